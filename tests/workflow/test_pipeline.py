"""The real pipeline on the tiny test configuration: every output appears, and after a
complete run Snakemake redoes exactly what a change touches (docs/development.md, Rerunning only what changed)."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ..conftest import copy_workflow

ROOT = Path(__file__).resolve().parents[2]


def copy_env(workdir: Path) -> dict:
    """Environment in which the rules' `lottery-scaling` runs the copy's package (as an editable
    install of that checkout would), so an edit of the copy is what runs."""
    return dict(os.environ, PYTHONPATH=str(workdir / "src"))


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=workdir, capture_output=True, text=True, env=copy_env(workdir),
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


def planned_jobs(workdir: Path, configfile: Path) -> list[tuple[str, str]]:
    """(rule, first output) of every job a dry run would execute."""
    proc = snakemake(workdir, "-n", "--configfile", str(configfile))
    text = proc.stdout + proc.stderr
    jobs = re.findall(r"^\s*(?:localrule|rule) (\w+):\n(?:\s+input: .*\n)?\s+output: ([^,\n]+)", text, re.M)
    if "Nothing to be done" not in text:
        assert jobs, text[-3000:]
    return jobs


# The results folder of the test pipeline: a space, a command substitution, a quote and a semicolon,
# so every test below also runs with a path that an unquoted shell command would split, run or
# truncate (`> .../res dir ...` would empty the decoy file `res` beside it).
HOSTILE_RESULTS = "res dir $(touch PWNED) it's; x"


def results_of(work: Path) -> Path:
    return work / HOSTILE_RESULTS


def _files_outside(work: Path, results: Path) -> dict:
    """Every file under `work` outside the results folder and Snakemake's own records, with its
    size and mtime (compiled-code caches excluded: importing the package may write them)."""
    out = {}
    for path in work.rglob("*"):
        rel = path.relative_to(work)
        if path.is_dir() or rel.parts[0] in (".snakemake", HOSTILE_RESULTS) or "__pycache__" in rel.parts:
            continue
        out[str(rel)] = (path.stat().st_size, path.stat().st_mtime_ns)
    return out


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """A copy of the workflow, run to completion on config/test.yaml with a hostile results path."""
    work = tmp_path_factory.mktemp("pipeline")
    copy_workflow(work)
    config = work / "config" / "test.yaml"
    settings = yaml.safe_load(config.read_text())
    settings["results"] = str(results_of(work))
    config.write_text(yaml.safe_dump(settings))
    (work / "res").write_text("decoy\n")
    before = _files_outside(work, results_of(work))
    snakemake(work, "--configfile", str(config))
    assert _files_outside(work, results_of(work)) == before  # nothing outside the results folder touched
    assert (work / "res").read_text() == "decoy\n" and not list(work.rglob("PWNED"))
    return work, config


def write_config(work: Path, change) -> Path:
    config = yaml.safe_load((work / "config" / "test.yaml").read_text())
    config = copy.deepcopy(config)
    change(config)
    path = work / "config" / f"changed-{abs(hash(repr(config)))}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_every_output_is_made_and_nothing_reruns(pipeline):
    work, config = pipeline
    proc = snakemake(work, "-n", "--configfile", str(config))
    assert "Nothing to be done" in proc.stdout + proc.stderr
    results = results_of(work)
    merged = sorted(p.name for p in results.glob("train/*/N*_seeds*.h5"))
    assert merged == sorted(f"N{w}_seeds0-20.h5" for w in (1, 2, 4) for _ in range(2))
    # every rule wrote its log, and the training logs show progress
    logs = list((results / "logs").rglob("*.log"))
    assert any("% of steps" in p.read_text() for p in logs if "train" in p.parts)
    assert not list(results.rglob("*.tmp"))


def test_adding_a_width_trains_only_that_width(pipeline):
    work, _ = pipeline
    config = write_config(work, lambda c: c["experiments"]["x2_silu"]["widths"].append(3))
    trained = [out for rule, out in planned_jobs(work, config) if rule == "train_chunk"]
    assert sorted(trained) == sorted(
        [p for p in trained if "/x2-silu-" in p and "/N3/" in p]
    ) and len(trained) == 2  # seeds 0-12 and 12-20 of width 3


def test_adding_seeds_trains_only_new_chunks(pipeline):
    work, _ = pipeline
    config = write_config(work, lambda c: c["experiments"]["x2_silu"].update(seeds=30))
    trained = sorted(out for rule, out in planned_jobs(work, config) if rule == "train_chunk")
    expected = sorted(
        f"{results_of(work)}/train/{run}/N{w}/seeds{lo}-{hi}.h5"
        for run in {Path(p).relative_to(results_of(work)).parts[1] for p in trained}
        for w in (1, 2, 4)
        for lo, hi in ((20, 24), (24, 30))  # seeds 12-20 are on disk and reused
    )
    assert trained == expected
    assert all("/x2-silu-" in p for p in trained)


def test_changing_a_training_setting_retrains_that_experiment_only(pipeline):
    work, _ = pipeline

    def change(c):
        c["experiments"]["x2_leaky_relu"]["training"] = {"steps": 200}

    jobs = planned_jobs(work, write_config(work, change))
    trained = [out for rule, out in jobs if rule == "train_chunk"]
    assert len(trained) == 6 and all("/x2-leaky_relu-" in p for p in trained)
    # nothing of the SiLU experiment is redone
    redone = [job for job in jobs if "x2_silu" in job[1] or "/x2-silu-" in job[1]]
    assert not redone


def test_changing_a_figure_setting_reruns_only_figure_rules(pipeline):
    work, _ = pipeline
    config = write_config(work, lambda c: c.setdefault("figures", {}).update(dpi=72))
    rules = {rule for rule, _ in planned_jobs(work, config)}
    assert rules and all(rule.startswith("plot_") for rule in rules), rules


def test_changing_the_ticket_mode_search_retrains_no_rewind(pipeline):
    """Which rewound networks win the lottery is decided after training (bridge_ticket_basin)."""
    work, _ = pipeline
    config = write_config(work, lambda c: c["bridge"].update(mode_bootstrap=7))
    rules = {rule for rule, _ in planned_jobs(work, config)}
    assert rules == {"bridge_ticket_basin", "bridge_claims", "plot_bridge_rewind", "claims_table"}, rules


def test_changing_the_trainer_core_marks_training_for_rerun(pipeline):
    work, config = pipeline
    kernels = work / "src" / "lottery_scaling" / "studies" / "lottery" / "_kernels.py"
    original = kernels.read_text()
    try:
        kernels.write_text(original + "\n# a change of the core\n")
        trained = [out for rule, out in planned_jobs(work, config) if rule == "train_chunk"]
        assert len(trained) == 12
    finally:
        kernels.write_text(original)
    assert planned_jobs(work, config) == []


def test_a_config_without_race_section_runs_the_lottery_study_only(pipeline):
    work, _ = pipeline
    jobs = planned_jobs(work, write_config(work, lambda c: c.pop("race")))
    assert jobs and not [rule for rule, _ in jobs if rule.startswith("race_")]


def test_race_study_outputs_and_claims_rows(pipeline):
    import pandas as pd

    from lottery_scaling.studies.race.settings import CLAIM_IDS

    work, _ = pipeline
    results = results_of(work)
    assert len(list(results.glob("race/train/digits_n*_d20_*.h5"))) == 3  # main, vary_n, vary_sigma
    for kind in ("fig1", "fig3a", "fig3b", "fig4", "fig5", "fig8"):
        assert (results / "figures" / f"race_digits_{kind}.png").stat().st_size > 0
        assert (results / "figures" / f"race_digits_{kind}.pdf").stat().st_size > 0
    table = pd.read_csv(results / "claims.csv")
    race = table[table["claim"].str.startswith("race_")]
    assert list(race["claim"]) == list(CLAIM_IDS) and set(race["experiment"]) == {"digits"}
    assert set(table["claim"]) - set(race["claim"])  # the lottery rows are still there


def test_survey_study_outputs_and_claims_rows(pipeline):
    """The toy survey section of config/test.yaml: every table, masks file and figure the fixture's
    run made, and the survey_* rows in the claims table with a verdict from the allowed set."""
    import pandas as pd

    from lottery_scaling.claims import VERDICTS
    from lottery_scaling.studies.survey.settings import CLAIM_IDS

    work, config = pipeline
    results = results_of(work)
    survey = yaml.safe_load(config.read_text())["survey"]
    assert survey["widths"] == [2, 4] and survey["overlap_width"] == 4
    tables = [f"{kind}/N{w}.csv" for kind in ("edgepopup", "linearised") for w in survey["widths"]]
    tables += [f"supermask/N{w}.csv" for w in survey["supermask_widths"]]
    tables += ["imp/N4.csv", "overlap/N4.csv", "pairs/N4.csv", "manifold.csv", "claims.csv"]
    for name in tables + ["edgepopup/N4_masks.h5", "imp/N4_masks.h5"]:
        assert (results / "survey" / name).stat().st_size > 0, name
    for name in tables[:-1]:
        assert len(pd.read_csv(results / "survey" / name)) > 0, name
    for kind in ("scaling", "movement", "supermask", "overlap", "manifold"):
        for ext in ("png", "pdf"):
            assert (results / "figures" / f"survey_{kind}.{ext}").stat().st_size > 1000, (kind, ext)
    table = pd.read_csv(results / "claims.csv", keep_default_na=False)
    rows = table[table["claim"].str.startswith("survey_")]
    assert set(rows["claim"]) == set(CLAIM_IDS), sorted(set(rows["claim"]) ^ set(CLAIM_IDS))
    assert set(rows["verdict"]) <= set(VERDICTS), set(rows["verdict"])
    own = pd.read_csv(results / "survey" / "claims.csv", keep_default_na=False)
    assert len(rows) == len(own) and list(rows["claim"]) == list(own["claim"])  # the study's rows, all of them
    assert set(table["claim"]) - set(rows["claim"])  # beside the other studies' rows


def test_changing_a_race_setting_retrains_only_that_setting(pipeline):
    work, _ = pipeline
    jobs = planned_jobs(work, write_config(work, lambda c: c["race"]["experiments"]["digits"].update(vary_sigma=[0.02])))
    rules = sorted(rule for rule, _ in jobs)
    trained = [out for rule, out in jobs if rule == "race_train"]
    assert len(trained) == 1 and "/race/train/digits_n40_d20_" in trained[0]
    # the experiment's analyses that read every setting rerun (alignment too: the other sigmas are
    # its claims' nulls); IMP of the main setting and nothing of the lottery study do not
    assert "race_clusters" in rules and "race_alignment" in rules and "race_imp" not in rules
    assert all(rule.startswith("race_") or rule in ("plot_race", "claims_table", "all") for rule in rules), rules


def test_changing_a_race_figure_setting_reruns_only_race_figures(pipeline):
    work, _ = pipeline
    jobs = planned_jobs(work, write_config(work, lambda c: c["race"]["figures"].update(dpi=72)))
    assert {rule for rule, _ in jobs} == {"plot_race"}


def test_changing_the_race_trainer_core_marks_race_training_only(pipeline):
    work, config = pipeline
    kernels = work / "src" / "lottery_scaling" / "studies" / "race" / "_kernels.py"
    original = kernels.read_text()
    try:
        kernels.write_text(original + "\n# a change of the core\n")
        rules = [rule for rule, _ in planned_jobs(work, config)]
        assert rules.count("race_train") == 3 and rules.count("race_imp") == 1 and "train_chunk" not in rules
    finally:
        kernels.write_text(original)
    assert planned_jobs(work, config) == []


def test_bad_config_stops_before_any_job_with_a_clear_message(pipeline):
    work, _ = pipeline
    config = write_config(work, lambda c: c["experiments"]["x2_silu"].update(activation="gelu"))
    proc = snakemake(work, "--configfile", str(config), check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "gelu" in text and "activation" in text and "leaky_relu" in text
    assert "Traceback" not in text


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c["experiments"]["x2_silu"].update(seeds=[5, 3]), "experiments.x2_silu.seeds"),
        (lambda c: c["experiments"]["x2_silu"].update(training={"x_range": [1, -1]}), "x_range must be two finite numbers"),
        (lambda c: c["experiments"]["x2_silu"].update(seeds=1), "at least 2 seeds"),
        (lambda c: c.update(fit={"ranges": {"n1": [50, 10]}}), "fit.ranges.n1"),
        (lambda c: c.update(figures={"fit_lines": {"silu": ["nope"]}}), "figures.fit_lines.silu"),
        (lambda c: c.update(claims={"silu_n_minus_one": {"target": 2}}), "silu_n_minus_one"),
        # schema errors: one line with the key path, not a dump of the schema
        (lambda c: c["experiments"]["x2_silu"].update(seeds=0), "Config error: experiments.x2_silu.seeds: 0 is less than"),
        (lambda c: c["experiments"]["x2_silu"].update(seeds=[0, 10**15]), "at most 10000000 seeds"),
        (lambda c: c.update(seed_per_job=5), "'seed_per_job' was unexpected"),
        (lambda c: c.update(training={"x_range": [2, -2]}), "Config error: training: x_range"),
        (lambda c: c.update(figures={"colors": {"silu": "notacolor"}}), "figures.colors.silu: 'notacolor'"),
        (lambda c: c.update(figures={"modes_width": 7}), "figures.modes_width: no experiment trains width 7"),
        (lambda c: c["race"]["experiments"]["digits"].update(sigma=0), "Config error: race.experiments.digits.sigma: 0 is less than"),
        (lambda c: c["race"].update(training={"align_frac": 2}), "Config error: race.training.align_frac"),
        (lambda c: c["race"]["experiments"]["digits"].update(dataset="cifar10"), "needs race.cifar_dir"),
        (lambda c: c["race"].update(imp={"sparsity": [0.2]}), "'sparsity' was unexpected"),
    ],
)
def test_config_mistakes_found_while_parsing_are_one_line(pipeline, change, message):
    work, _ = pipeline
    proc = snakemake(work, "-n", "--configfile", str(write_config(work, change)), check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert message in text
    assert "Traceback" not in text and 'File "' not in text
    assert len([line for line in text.splitlines() if line.strip()]) <= 2, text


def test_report_is_written_with_the_declared_dependencies(pipeline):
    # `snakemake --report` needs pygments, which the test extras (pytest) bring but a user's
    # `pip install -e .` does not unless the project declares it.
    import tomllib

    work, config = pipeline
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.lower().startswith("pygments") for d in deps), deps
    from lottery_scaling.commands.report import report_is_complete

    # through `lottery-scaling report`, which renames Snakemake's finished file onto report.html
    proc = subprocess.run([sys.executable, "-m", "lottery_scaling", "report", "--out", "report.html", "--",
                           "--cores", "1", "--configfile", str(config)],
                          cwd=work, capture_output=True, text=True, env=copy_env(work))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert report_is_complete(work / "report.html") and not list(work.glob(".report.partial-*"))
    html = (work / "report.html").read_text(errors="replace")
    assert "Claims" in html and "Scaling law" in html and "Pair and disentangle" in html, proc.stderr[-2000:]
    assert "Race" in html and "race_digits_fig4.png" in html, proc.stderr[-2000:]


def test_lint_is_clean(pipeline):
    work, config = pipeline
    proc = snakemake(work, "--lint", "--configfile", str(config), check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Lints for" not in text, text[-3000:]


def test_a_lottery_scaling_of_other_code_on_path_stops_the_run(pipeline, tmp_path):
    # the rules run `lottery-scaling` from PATH; if it runs another package than this checkout's,
    # the run stops before any job, naming both
    work, config = pipeline
    other = tmp_path / "other" / "lottery_scaling"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("__version__ = 'other'\n")
    env = dict(os.environ, PYTHONPATH=str(other.parent))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--configfile", str(config)],
                          cwd=work, capture_output=True, text=True, env=env)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Config error: the lottery-scaling on PATH" in text and str(other) in text, text[-2000:]
    assert "Traceback" not in text


def test_default_claims_table_has_no_appendix_rows(pipeline):
    """One target (test.yaml): no appendix figures or claims, so single-target runs are unchanged."""
    work, _ = pipeline
    claims = (results_of(work) / "claims.csv").read_text()
    assert "appendix_" not in claims
    assert not list((results_of(work) / "figures").glob("appendix_*"))


def test_appendix_with_user_defined_targets_runs_end_to_end(pipeline):
    """config/test-appendix.yaml: a built-in unary target, a formula in x and one in x1..x3;
    every stage runs (pairs only for d = 1), the appendix figures and claims are made."""
    import pandas as pd

    work, _ = pipeline
    config = work / "config" / "test-appendix.yaml"
    snakemake(work, "--configfile", str(config), "--config", "results=results-appendix")
    results = work / "results-appendix"
    for group in ("unary", "multi"):
        for kind in ("histograms", "scaling"):
            assert (results / "figures" / f"appendix_{kind}_{group}.png").stat().st_size > 0
    runs = sorted(p.name for p in (results / "train").iterdir())
    assert any(r.startswith("expr_sin_3_x_x_2_") for r in runs) and any(r.startswith("expr3_x1_x2_x3_") for r in runs), runs
    assert (results / "wave_silu" / "pairs" / "distilled.csv").exists()  # d = 1 formula: pair stage
    assert (results / "poly3_silu" / "pairs" / "SKIPPED.txt").exists()  # d = 3: skipped, with the reason
    claims = pd.read_csv(results / "claims.csv")
    app = claims[claims["claim"].str.startswith("appendix_")]
    assert set(app["claim"]) == {"appendix_narrow_multimodal", "appendix_wide_single_peaked", "appendix_scaling_class"}
    assert set(app["experiment"]) == {"x3_silu", "wave_silu", "poly3_silu"}
    assert app["detail"].str.contains("paper:|no statement in the paper").all()
    table = pd.read_csv(results / "claims" / "appendix_table.csv").set_index("experiment")
    assert set(table.index) == {"x3_silu", "wave_silu", "poly3_silu"}
    medians = pd.read_csv(results / "x3_silu" / "fit" / "medians.csv").set_index("width")["median_loss"]
    assert table.loc["x3_silu", "median_N2"] == pytest.approx(medians[2])  # the fit stage's median, unchanged
    assert table.loc["x3_silu", "class_paper"] == "follows N^-1" and pd.isna(table.loc["wave_silu", "class_paper"])
    # the formula's title is the formula, in the per-task figure too
    assert list((results / "figures").glob("scaling_expr_sin_3_x_x_2_*.png"))
    proc = snakemake(work, "-n", "--configfile", str(config), "--config", "results=results-appendix")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def _record_key(work: Path, record: Path) -> str:
    """The output path a Snakemake metadata record is about (its file path is the urlsafe base64 of
    the output's path, split into folders whose names start with '@' where it is long)."""
    import base64

    parts = record.relative_to(work / ".snakemake" / "metadata").parts
    try:
        return base64.urlsafe_b64decode("".join(s.lstrip("@") for s in parts)).decode()
    except ValueError:
        return ""


def _records(work: Path) -> dict:
    return {p: p.read_text() for p in (work / ".snakemake" / "metadata").rglob("*") if p.is_file()}


def test_records_made_before_the_rules_quoted_their_paths_need_no_rerun(pipeline):
    # Results of a checkout whose rules said `{output}` where they now say `{output:q}` (main
    # 3fa611c and before): Snakemake compares the recorded shell text, so without the upgrade of
    # the records every job, training included, would rerun as "code changed".
    import json

    from lottery_scaling.snakemake_records import without_quoting

    work, config = pipeline
    saved = _records(work)
    try:
        for path, text in saved.items():
            record = json.loads(text)
            if record.get("code"):
                record["code"] = without_quoting(record["code"])
            path.write_text(json.dumps(record))
        assert planned_jobs(work, config) == []
        listed = snakemake(work, "--list-changes", "code", "--configfile", str(config)).stdout
        assert not [line for line in listed.splitlines() if line.startswith(str(results_of(work)))], listed
        # any other change of a command's text still reruns its job
        merged = next(results_of(work).glob("train/*/N1_seeds*.h5"))
        path = next(p for p in _records(work) if _record_key(work, p) == str(merged))
        record = json.loads(path.read_text())
        record["code"] = without_quoting(record["code"]) + " --another-option"
        path.write_text(json.dumps(record))
        assert "merge_width" in [rule for rule, _ in planned_jobs(work, config)]
    finally:
        for path, text in saved.items():
            path.write_text(text)
    assert planned_jobs(work, config) == []


@pytest.mark.parametrize("results, shown", [("res\nults", "'\\n'"), ("res\x1bults", "'\\x1b'"), ("res{run}", "'{'")])
def test_a_results_path_that_no_path_pattern_can_carry_is_refused(pipeline, results, shown):
    work, _ = pipeline
    config = write_config(work, lambda c: c.update(results=str(work / results)))
    proc = snakemake(work, "-n", "--configfile", str(config), check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Config error: results:" in text and shown in text, text[-2000:]
    assert "Traceback" not in text
    assert len([line for line in text.splitlines() if line.strip()]) <= 2, text


def test_every_command_keeps_each_results_path_in_one_word(pipeline):
    # What the shell sees: every command of every job (params included), split as the shell
    # would split it; a word holding part of the results path must hold all of it.
    import shlex

    work, config = pipeline
    proc = snakemake(work, "-n", "-p", "--forceall", "--configfile", str(config))
    commands = re.findall(r"^Shell command: (.*)$", proc.stdout + proc.stderr, re.M)
    assert len(commands) > 50
    for command in commands:
        if command == "None":  # a rule without a shell command (rule all)
            continue
        words = shlex.split(command)
        pieces = [w for w in words if "PWNED" in w or "res dir" in w]
        assert pieces and all(str(results_of(work)) in w for w in pieces), command


def test_the_results_api_reads_every_study_of_the_finished_pipeline(pipeline):
    from lottery_scaling import open_results

    work, config = pipeline
    res = open_results(configfile=config)
    assert res.dir == str(results_of(work))
    claims = set(res.claims()["claim"])
    assert "silu_n_minus_1" in claims and any(c.startswith("race_") for c in claims) and any(c.startswith("bridge_") for c in claims)
    assert res.histogram("x2_silu")["width"].tolist() == [1, 2, 4]
    assert res.fit("x2_leaky_relu", "medians")["width"].tolist() == [1, 2, 4]
    assert res.networks("x2_leaky_relu", 2).w.shape == (20, 2, 1)
    assert len(res.race_table("digits", "claims")) > 0 and res.race_runs("digits") is not None
    assert res.bridge_networks(1.0, 4).snapshots is not None and len(res.bridge_table("claims")) > 0
