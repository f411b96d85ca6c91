"""The pipeline on configurations that used to stop it or plan without bound (docs/cli.md, Limits): an
experiment whose networks all diverge runs to the end; duplicate keys and oversized work are
refused before any job with one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from .test_pipeline import ROOT, copy_env

from ..conftest import copy_workflow

TINY = """\
results: results
training: {steps: 20, lr_decay_every: 10, n_train: 20, n_test: 31, curve_points: 3}
seeds_per_job: 4
train_threads: 1
experiments:
  x2_leaky_relu:
    task: x2
    activation: leaky_relu
    widths: [1, 2, 4]
    seeds: 4
    training: {lr: 1.0e+150}
histogram: {bootstrap: 5, median_bootstrap: 5}
synergy: {pairs: 20, bootstrap: 5}
fit: {bootstrap: 5, ranges: {n1: [2, 4], early: [1, 2], late: [2, 4]}}
figures: {dpi: 30}
pairs: {max_clusters: 2, align_iterations: 1, figures: {dpi: 30}}
claims:
  silu_n_minus_1: {activation: leaky_relu}
  width2_tickets_symmetric: {activation: leaky_relu}
  wide_symmetric_neurons: {activation: leaky_relu, min_width: 4, bootstrap: 5}
"""


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return copy_workflow(tmp_path_factory.mktemp("robust"))


def snakemake(work: Path, config_text: str, *args: str) -> subprocess.CompletedProcess:
    config = work / "config" / f"c{abs(hash(config_text))}.yaml"
    config.write_text(config_text)
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", str(config), *args],
                          cwd=work, capture_output=True, text=True, env=copy_env(work))


def test_an_experiment_whose_networks_all_diverge_runs_to_the_end(work):
    proc = snakemake(work, TINY)
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = work / "results"
    claims = pd.read_csv(results / "claims.csv")
    mine = claims[claims["experiment"] == "x2_leaky_relu"]
    assert len(mine) >= 4 and (mine["verdict"] == "not tested").all()
    assert mine["detail"].str.contains("every network diverged").all(), mine["detail"].tolist()
    assert (results / "figures" / "x2_leaky_relu_pairs_fig9_pca.png").is_file()
    assert "every network diverged" in (results / "logs" / "pairs" / "x2_leaky_relu" / "width2_algorithms.log").read_text()


def _config(**changes) -> str:
    import yaml

    config = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    for key, value in changes.items():
        target = config
        *parents, last = key.split(".")
        for p in parents:
            target = target.setdefault(p, {})
        target[last] = value
    return yaml.safe_dump(config)


DUPLICATE_EXPERIMENT = """\
results: results
experiments:
  x2_silu: {task: x2, activation: silu, widths: [1], seeds: 4}
  x2_silu: {task: x2, activation: relu, widths: [1], seeds: 4}
"""
DUPLICATE_TOP = """\
results: results
seeds_per_job: 10
experiments:
  x2_silu: {task: x2, activation: silu, widths: [1], seeds: 4}
seeds_per_job: 2
"""


@pytest.mark.parametrize("config_text, message", [
    (DUPLICATE_EXPERIMENT, "key 'x2_silu' appears twice in one mapping (lines 3 and 4)"),
    (DUPLICATE_TOP, "key 'seeds_per_job' appears twice in one mapping (lines 2 and 5)"),
    (_config(**{"experiments.x2_silu.seeds": 10_000_000}),
     "experiments.x2_silu: 2500002 training jobs (10000000 seeds x 3 widths in chunks of seeds_per_job 12), "
     "more than limits.max_train_chunks 20000"),
    (_config(**{"training.steps": 10**12}), "neuron-sample-steps (widths x seeds x steps x n_train), more than limits.max_train_work 1e+15"),
    (_config(**{"training.n_train": 10**9, "limits": {"max_job_memory": "16G"}}),
     "a training job (12 seeds of width 4, n_train 1000000000, n_test 101) needs about 208 GB of memory, more than 16 GB"),
    (_config(**{"training.init_seed": 2**70}), "training.init_seed: 1180591620717411303424 is greater than the maximum"),
])
def test_unbounded_or_ambiguous_configs_are_refused_at_once(work, config_text, message):
    proc = snakemake(work, config_text, "-n")
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and message in text, text[-3000:]
    assert "Traceback" not in text and len([line for line in text.splitlines() if line.strip()]) <= 2, text


def test_limits_can_be_raised_explicitly(work):
    text = _config(**{"training.steps": 10**12, "limits": {"max_train_work": 1e30, "max_job_memory": "2T"}})
    proc = snakemake(work, text, "-n", "-p")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "--max-memory 2000000000000" in proc.stdout + proc.stderr


@pytest.mark.parametrize("changes, message", [
    ({"experiments.x2_silu.task": {"expr": "1/0 + x"}}, "expression '1/0 + x': '1/0' is undefined"),
    # fine as a formula, but not on the experiment's data (its x_range): refused before any job too
    ({"experiments.x2_silu.task": {"expr": "log(x)"}}, "task 'expr:log(x)' is not finite at x = [-2.0]"),
    ({"experiments.x2_silu.task": {"expr": "sqrt(x)"}, "experiments.x2_silu.training": {"x_range": [0.0, 1.0]}}, None),
    ({"bridge": {"task": "expr:1/0 + x"}}, "expression '1/0 + x': '1/0' is undefined"),
    ({"bridge": {"task": "expr:log(x)"}}, "task 'expr:log(x)' is not finite at x = [-2.0]"),
])
def test_a_bad_formula_is_a_config_error_before_any_job(work, changes, message):
    """The config check refuses what the formula parser refuses (every class of it: tests/lottery/test_expressions.py)."""
    proc = snakemake(work, _config(**changes), "-n")
    text = proc.stdout + proc.stderr
    if message is None:
        assert proc.returncode == 0, text[-3000:]
        return
    key = "bridge.task" if "bridge" in changes else "experiments.x2_silu.task"
    assert proc.returncode != 0 and f"Config error: {key}: " in text and message in text, text[-3000:]
    assert "Traceback" not in text and len([line for line in text.splitlines() if line.strip()]) <= 2, text


def _renamed(section: str, old: str, new: str) -> str:
    """config/test.yaml with one experiment (of `section`: experiments, race.experiments) renamed."""
    import yaml

    config = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    target = config
    for key in section.split("."):
        target = target[key]
    target[new] = target.pop(old)
    return yaml.safe_dump(config)


_BIG_MEMORY = {"limits": {"max_job_memory": "64G"}}  # a bound independent of the test machine's memory


@pytest.mark.parametrize("config_text, message", [
    # integers that YAML reads as floats used to make paths like N2.0 (MissingInputException)
    (_config(**{"experiments.x2_silu.widths": [1, 2.0]}), "experiments.x2_silu.widths.1: 2.0 is not of type 'integer'"),
    (_config(**{"race.experiments.digits.n": 40.0}), "race.experiments.digits.n: 40.0 is not of type 'integer'"),
    # names: Python's `$` matched before a final newline; long names broke file names (ENAMETOOLONG)
    (_renamed("experiments", "x2_silu", "ab\n"), r"experiments: 'ab\n' does not match"),
    (_renamed("experiments", "x2_silu", "a" * 300), "experiments: 'aaaaaaaaaa"),
    (_config(results="r/" + "x" * 300), "results: the folder name 'xxxx"),
    # enums the bridge section lacked (a stack trace)
    (_config(**{"bridge.task": "foo"}), "bridge.task: 'foo' does not match '^expr:'; or 'foo' is not one of ['x2'"),
    # race: work and memory of every job, n within the data set
    (_config(**{"race.experiments.digits.runs": 10**8}),
     "race.experiments.digits (setting n 40, width 20, sigma 0.001): 100000000 runs x width 20 x 64 inputs"),
    (_config(**{"race.experiments.digits.width": 10**8, **_BIG_MEMORY}), "width 100000000 x 64 inputs"),
    (_config(**{"race.training.checkpoints": 10**10, **_BIG_MEMORY}), "checkpoints 10000000000, batch 4 needs about 320 GB"),
    (_config(**{"race.cells.probes": 10**10}), "race.cells (experiment digits): 10000000000 probes x 30 iterations"),
    (_config(**{"race.imp.rounds": 10**8}), "race.imp (experiment digits): (1 runs + 100000000 rounds"),
    (_config(**{"race.experiments.digits.vary_n": [800]}), "n 800 is more than the 708 balanced training samples digits holds"),
    # bridge: trainings with snapshots, rewound tickets, ticket searches, resamples, pruning widths
    (_config(**{"bridge.seeds": 10**9, **_BIG_MEMORY}), "a training job with snapshots (1000000000 seeds of width 4"),
    (_config(**{"bridge.training": {"steps": 10**12}}), "x 1000000000000 steps x n_train 50 x 2 init scales"),
    (_config(**{"bridge.widths": [4, 10**6]}), "bridge (alignment and emergence): ticket searches of 6 seeds x widths [4, 1000000]"),
    (_config(**{"bridge.prune_k": [99]}), "bridge.prune_k: 99 is not below rewind width 4"),
    (_config(**{"bridge.claims": {"null_draws": 10**12}}), "bridge.claims: (3 x 1000 resamples + 1000000000000 null draws) x 24 networks"),
    # lottery analyses and figures
    (_config(**{"histogram.bootstrap": 10**12}), "histogram (experiment x2_leaky_relu, per width): 1000000000000 mode resamples"),
    (_config(**{"synergy.pairs": 10**12}), "synergy (experiment x2_leaky_relu): 2 compared widths x (1000000000000 pairs"),
    (_config(**{"figures.dpi": 100000}), "figures.dpi: the largest figure: 9.6 x 2.4 inches at dpi 100000"),
    (_config(**{"figures.bins_per_decade": 10**9}), "figures.bins_per_decade: 1e+09 bins per decade"),
])
def test_sizes_and_names_that_reached_snakemake_are_refused_at_once(work, config_text, message):
    proc = snakemake(work, config_text, "-n")
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and message in text, text[-3000:]
    assert "Traceback" not in text and 'File "' not in text, text
    assert len([line for line in text.splitlines() if line.strip()]) <= 2, text


def test_every_shipped_config_is_within_the_limits(work, tmp_path):
    """The paper-size configurations plan without hitting a bound (race-cifar.yaml with stand-in batch files),
    and their DAG builds (race-photos.yaml: the photos data set passes the rules' wildcard constraints)."""
    cifar = tmp_path / "cifar"
    cifar.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (cifar / name).touch()
    for name in ("paper.yaml", "appendix.yaml", "bridge.yaml", "race-cifar.yaml", "race-photos.yaml"):
        text = (ROOT / "config" / name).read_text().replace("cifar_dir: cifar-10-batches-py", f"cifar_dir: {cifar}")
        proc = snakemake(work, text, "-n", "--quiet", "all")
        assert proc.returncode == 0, (name, proc.stderr[-2000:])


def test_limits_raised_in_the_config_let_big_race_and_bridge_plans_pass(work):
    raised = {"limits": {"max_race_work": 1e30, "max_train_work": 1e30, "max_analysis_work": 1e30, "max_job_memory": "100T"}}
    change = {"race.experiments.digits.runs": 10**8, "bridge.training": {"steps": 10**12}, "histogram.bootstrap": 10**12}
    proc = snakemake(work, _config(**change, **raised), "-n", "--quiet", "all")
    assert proc.returncode == 0, proc.stderr[-2000:]
