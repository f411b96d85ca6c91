# Helpers of the race study's rules (SPEC section 6): experiments of the config section `race`,
# the settings each one trains, run names, paths of every output, and the option strings of
# the commands (so each rule file of the study needs only this file and ../common.smk).
from lottery_scaling.provenance import core_hash
from lottery_scaling.studies.race.runs import RUN_NAME_PATTERN as RACE_RUN_PATTERN
from lottery_scaling.studies.race.runs import run_name as race_run_name
from lottery_scaling.studies.race.settings import CLAIM_IDS as RACE_CLAIM_IDS
from lottery_scaling.studies.race.settings import (
    CellSettings,
    ClaimSettings,
    ClusterSettings,
    FigureSettings,
    ImpSettings,
)
from lottery_scaling.studies.race.trainer import RaceSettings

RACE_CORE_HASH = core_hash("race")
# Bumped when an analysis table or figure changes its content (a params change reruns the rule,
# so an existing results folder is brought up to date without retraining).
RACE_ANALYSIS_VERSION = "2: nulls (issue 21)"
_RACE = dict(config.get("race") or {})
RACE_THREADS = int(_RACE.get("train_threads", 2))
_RACE_TRAINING_DEFAULTS = {f.name: getattr(RaceSettings(), f.name) for f in fields(RaceSettings) if f.name not in ("width", "sigma")}
RACE_CLUSTERS = section("race.clusters", asdict(ClusterSettings()), _RACE.get("clusters"))
RACE_IMP = section("race.imp", asdict(ImpSettings()), _RACE.get("imp"))
RACE_CELLS = section("race.cells", asdict(CellSettings()), _RACE.get("cells"))
RACE_FIGURES = section("race.figures", asdict(FigureSettings()), _RACE.get("figures"))
RACE_CLAIMS = section("race.claims", asdict(ClaimSettings()), _RACE.get("claims"))
RACE_CIFAR_DIR = _RACE.get("cifar_dir")
if RACE_CIFAR_DIR is not None:
    check_path_setting("race.cifar_dir", RACE_CIFAR_DIR)
CIFAR_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
RACE_FIGURE_KINDS = ("fig1", "fig3a", "fig3b", "fig4", "fig5", "fig6", "fig8", "unlock", "inhibition", "imp_clusters")
_RACE_ONE_RUNS_FIGURES = ("fig1", "fig4", "fig8", "unlock", "inhibition")
RACE_INPUTS = {"digits": 64, "cifar10": 1024}


def _race_training(name, spec):
    training = {**_RACE_TRAINING_DEFAULTS, **(_RACE.get("training") or {}), **(spec.get("training") or {})}
    try:
        RaceSettings(width=spec["width"], sigma=spec["sigma"], **training).check()
    except (UserError, TypeError) as exc:
        config_error(f"race.experiments.{name} (training settings): {exc}")
    return training


def _race_experiment(name, spec):
    training = _race_training(name, spec)
    data_seed = int(spec.get("data_seed", 0))
    main = (int(spec["n"]), int(spec["width"]), float(spec["sigma"]))
    ns = sorted({main[0], *spec.get("vary_n", [])})
    widths = sorted({main[1], *spec.get("vary_width", [])})
    sigmas = sorted({main[2], *map(float, spec.get("vary_sigma", []))})
    # Fig 3a grid (n x width at the main sigma) and Fig 3b line (sigmas at the main n, width)
    grid = sorted({(n, w, main[2]) for n in ns for w in widths} | {(main[0], main[1], s) for s in sigmas})
    settings = {}
    for n, w, s in grid:
        full = {"dataset": spec["dataset"], "n": n, "data_seed": data_seed, "width": w, "sigma": s, **training}
        settings[(n, w, s)] = {"run": race_run_name(full), "settings": full}
    if spec["dataset"] == "cifar10":
        if not RACE_CIFAR_DIR:
            config_error(f"race.experiments.{name}: dataset cifar10 needs race.cifar_dir (the folder with CIFAR-10's python batches)")
        missing = [f for f in CIFAR_FILES if not (Path(RACE_CIFAR_DIR) / f).is_file()]
        if missing:
            config_error(f"race.cifar_dir: {RACE_CIFAR_DIR} lacks {', '.join(missing)} (CIFAR-10's python batches)")
    return {"name": name, "dataset": spec["dataset"], "data_seed": data_seed, "runs": int(spec.get("runs", 1)),
            "main": main, "ns": ns, "settings": settings}


RACE_EXPERIMENTS = {name: _race_experiment(name, spec) for name, spec in (_RACE.get("experiments") or {}).items()}
# run name -> (settings, runs); a run name shared by two experiments must ask for the same runs
RACE_RUNS = {}
for _e in RACE_EXPERIMENTS.values():
    for _s in _e["settings"].values():
        _prev = RACE_RUNS.get(_s["run"])
        RACE_RUNS[_s["run"]] = {**_s["settings"], "runs": max(_e["runs"], _prev["runs"] if _prev else 0)}


# ---- paths ----
def race_data_file(dataset, n, data_seed):
    return f"{R}/race/data/{dataset}_n{n}_seed{data_seed}.h5"


def race_runs_file(run):
    return f"{R}/race/train/{run}.h5"


def race_setting_file(experiment, key):
    return race_runs_file(RACE_EXPERIMENTS[experiment]["settings"][key]["run"])


def race_main_file(experiment):
    e = RACE_EXPERIMENTS[experiment]
    return race_setting_file(experiment, e["main"])


def race_table(experiment, name):
    """name: alignment, angle_curve, clusters, merge, imp, imp_neurons, cells, claims."""
    return f"{R}/race/{experiment}/{name}.csv"


def race_figure(experiment, kind, ext):
    return f"{R}/figures/race_{experiment}_{kind}.{ext}"


def race_main_option(experiment):
    n, w, s = RACE_EXPERIMENTS[experiment]["main"]
    return f"{n} {w} {s!r}"


# ---- helpers of data.smk and train.smk ----
def _race_data_input(wildcards):
    if wildcards.dataset == "cifar10":
        return [str(Path(RACE_CIFAR_DIR) / f) for f in CIFAR_FILES]
    return []


def _race_data_options(wildcards):
    return f"--cifar-dir {shlex.quote(str(RACE_CIFAR_DIR))}" if wildcards.dataset == "cifar10" else ""


def _race_train_input(wildcards):
    s = RACE_RUNS[wildcards.race_run]
    return race_data_file(s["dataset"], s["n"], s["data_seed"])


_RACE_CLI_SKIP = ("dataset", "n", "data_seed", "runs")


def _race_train_options(wildcards):
    s = RACE_RUNS[wildcards.race_run]
    return cli_options({k: v for k, v in s.items() if k not in _RACE_CLI_SKIP}) + f" --runs 0:{s['runs']}"


# Conservative speed for runtime requests: multiply-adds per second per thread of the direct form.
_RACE_SLOW_RATE = 5e8


def _race_train_runtime(wildcards, threads):
    s = RACE_RUNS[wildcards.race_run]
    work = s["runs"] * s["max_epochs"] * s["n"] * s["width"] * RACE_INPUTS[s["dataset"]] * 6
    return 10 + math.ceil(work / (_RACE_SLOW_RATE * threads) / 60)


def _race_train_mem(wildcards, threads):
    s = RACE_RUNS[wildcards.race_run]
    snapshots = s["runs"] * 6 * s["width"] * RACE_INPUTS[s["dataset"]] * 8
    return 1000 + math.ceil(2 * snapshots / 2**20)


# ---- helpers of analysis.smk ----
def _race_all_files(wildcards):
    return sorted({race_runs_file(s["run"]) for s in RACE_EXPERIMENTS[wildcards.experiment]["settings"].values()})


def _race_main_input(wildcards):
    return race_main_file(wildcards.experiment)


def _race_cells_input(wildcards):
    e = RACE_EXPERIMENTS[wildcards.experiment]
    return [race_data_file(e["dataset"], n, e["data_seed"]) for n in e["ns"]]


def _race_imp_runtime(wildcards, threads):
    e = RACE_EXPERIMENTS[wildcards.experiment]
    n, w, _ = e["main"]
    s = RACE_RUNS[e["settings"][e["main"]]["run"]]
    trainings = RACE_IMP["runs"] * (1 + RACE_IMP["rounds"] * len(RACE_IMP["sparsities"]))
    work = trainings * s["max_epochs"] * n * w * RACE_INPUTS[e["dataset"]] * 6
    return 10 + math.ceil(work / (_RACE_SLOW_RATE * threads) / 60)


RACE_THRESHOLDS = " ".join(repr(float(t)) for t in RACE_CLUSTERS["thresholds"])
RACE_SPARSITIES = " ".join(repr(float(p)) for p in RACE_IMP["sparsities"])
RACE_CLAIM_JSON = shlex.quote(json.dumps(RACE_CLAIMS, sort_keys=True))
_RACE_EXP_RE = "|".join(RACE_EXPERIMENTS) or "(?!x)x"


def _race_sigma_files(experiment):
    """Runs files of every sigma at the main n and width (Fig 6: one line per init scale)."""
    e = RACE_EXPERIMENTS[experiment]
    n, w, _ = e["main"]
    return [race_runs_file(s["run"]) for (n_, w_, _), s in sorted(e["settings"].items()) if (n_, w_) == (n, w)]


def _race_figure_inputs(wildcards):
    k, e = wildcards.kind, wildcards.experiment
    if k in _RACE_ONE_RUNS_FIGURES:
        return {"runs": race_main_file(e)}
    if k == "fig6":
        return {"runs": _race_sigma_files(e)}
    if k in ("fig3a", "fig3b"):
        return {"counts": race_table(e, "clusters")}
    return {"imp_neurons": race_table(e, "imp_neurons")}


def _race_figure_options(wildcards, input):
    k, e = wildcards.kind, wildcards.experiment
    if k in _RACE_ONE_RUNS_FIGURES:
        return f"--runs {shlex.quote(input.runs)}"
    if k == "fig6":
        return "--runs " + " ".join(shlex.quote(f) for f in input.runs)
    if k in ("fig3a", "fig3b"):
        carry = f" --carry-share {RACE_CLAIMS['carry_share']!r}" if k == "fig3a" else ""
        return f"--counts {shlex.quote(input.counts)} --main {race_main_option(e)}{carry}"
    return f"--imp-neurons {shlex.quote(input.imp_neurons)}"


wildcard_constraints:
    race_run=RACE_RUN_PATTERN,
