# Helpers of the lottery study's rules: experiments and their runs, seed chunks, and the paths of
# every stage's outputs (so each rule file of the study needs only this file and ../common.smk).

from lottery_scaling.provenance import core_hash
from lottery_scaling.studies.lottery.expressions import SLUG_PATTERN, canonical, task_slug
from lottery_scaling.studies.lottery.figures import ACTIVATION_LABELS, task_label
from lottery_scaling.studies.lottery.fit import DEFAULT_RANGES, FitSettings
from lottery_scaling.studies.lottery.pairs.settings import (
    PairFigureSettings,
    PairSettings,
    TicketClaimSettings,
    WideClaimSettings,
)
from lottery_scaling.studies.lottery.runs import RUN_NAME_PATTERN, run_name
from lottery_scaling.studies.lottery.tasks import input_dim
from lottery_scaling.studies.lottery.trainer import TrainSettings

SEEDS_PER_JOB = int(config.get("seeds_per_job", 100))
TRAIN_THREADS = int(config.get("train_threads", 2))
LOTTERY_CORE_HASH = core_hash("lottery")

_TRAINING_KEYS = [f.name for f in fields(TrainSettings) if f.name not in ("task", "activation", "width")]
_TRAINING_DEFAULTS = {k: getattr(TrainSettings("x2", "silu", 1), k) for k in _TRAINING_KEYS}
_MAX_SEEDS = 10_000_000  # the schema's bound on a seed count; the DAG lists every chunk
# Bounds on what the config may plan (config `limits`, read in ../common.smk; README "Limits"):
# checked per experiment from arithmetic alone, before any chunk list is built.


def _settings(task, activation, training):
    return TrainSettings(task=task, activation=activation, width=1, **{
        k: (tuple(v) if isinstance(v, list) else v) for k, v in training.items()
    }).resolved().as_attrs()


def _check_global_training():
    """A bad value in the top-level training block is reported there, not per experiment."""
    try:
        _settings("x2", "silu", config.get("training") or {})
    except UserError as exc:
        config_error(f"training: {exc}")


_check_global_training()


def _task_of(name, task):
    """The task text of an experiment: a built-in name, or a user-defined formula {expr, dim} in canonical form."""
    if not isinstance(task, dict):
        return task
    try:
        return canonical(task["expr"], task.get("dim", 1))
    except UserError as exc:
        config_error(f"experiments.{name}.task: {exc}")


def _experiment(name, spec):
    spec = {**spec, "task": _task_of(name, spec["task"])}
    training = dict(_TRAINING_DEFAULTS)
    training.update(config.get("training") or {})
    training.update(spec.get("training") or {})
    try:
        settings = _settings(spec["task"], spec["activation"], training)
    except UserError as exc:
        config_error(f"experiments.{name} (training settings): {exc}")
    defaults = _settings(spec["task"], spec["activation"], _TRAINING_DEFAULTS)
    del settings["width"]
    seeds = spec["seeds"]
    lo, hi = (0, seeds) if isinstance(seeds, int) else seeds
    if hi <= lo:
        config_error(f"experiments.{name}.seeds: [START, STOP] needs STOP > START, got {seeds}")
    if hi - lo > _MAX_SEEDS:
        config_error(f"experiments.{name}.seeds: at most {_MAX_SEEDS} seeds per experiment, got {seeds}")
    if 2 in spec["widths"] and hi - lo < 2:
        config_error(f"experiments.{name}.seeds: width 2 is trained, and its algorithms need at least 2 seeds; got {seeds}")
    _check_limits(name, spec, settings, lo, hi)
    check_formula_on_data(f"experiments.{name}.task", settings)
    return {
        "name": name,
        "task": spec["task"],
        "activation": spec["activation"],
        "widths": sorted(spec["widths"]),
        "seeds": (lo, hi),
        "settings": settings,
        "run": run_name(settings, defaults),
    }


# A formula is evaluated on an experiment's data when the config is read up to this many input
# numbers (train + test points x d, float64); a larger data set is checked by its training jobs.
_MAX_CHECKED_INPUTS = 2_000_000


def check_formula_on_data(key, settings):
    """A formula that is not finite somewhere on the data of `settings` (log(x) on [-2, 2], 1/x at 0)
    is refused before any job, naming the config key and the first bad point, rather than by every
    training job (the bridge study's rules use it too)."""
    from lottery_scaling.studies.lottery.expressions import is_expression
    from lottery_scaling.studies.lottery.tasks import DataSpec, make_dataset

    task = settings["task"]
    if not is_expression(task) or (settings["n_train"] + settings["n_test"]) * input_dim(task) > _MAX_CHECKED_INPUTS:
        return
    try:
        make_dataset(DataSpec(task, settings["n_train"], settings["n_test"], tuple(settings["x_range"]), settings["data_seed"]))
    except UserError as exc:
        config_error(f"{key}: {exc}")


def _check_limits(name, spec, settings, lo, hi):
    """Refuse an experiment whose chunks, work or per-job memory exceed config `limits`."""
    from lottery_scaling.studies.lottery.budget import format_bytes, train_memory_bytes

    widths = spec["widths"]
    chunks = len(widths) * ((hi - 1) // SEEDS_PER_JOB - lo // SEEDS_PER_JOB + 1)
    if chunks > LIMITS["max_train_chunks"]:
        config_error(f"experiments.{name}: {chunks} training jobs ({hi - lo} seeds x {len(widths)} widths in chunks of "
                     f"seeds_per_job {SEEDS_PER_JOB}), more than limits.max_train_chunks {LIMITS['max_train_chunks']}; "
                     "raise seeds_per_job, or limits.max_train_chunks if the DAG really should hold them")
    work = sum(widths) * (hi - lo) * settings["steps"] * settings["n_train"]
    if work > LIMITS["max_train_work"]:
        config_error(f"experiments.{name}: {work:.3g} neuron-sample-steps (widths x seeds x steps x n_train), more than "
                     f"limits.max_train_work {LIMITS['max_train_work']:.3g}; raise limits.max_train_work to run it anyway")
    n = min(SEEDS_PER_JOB, hi - lo)
    need = train_memory_bytes(input_dim(spec["task"]), max(widths), n, settings["n_train"], settings["n_test"],
                              settings["curve_points"], settings["dtype"], TRAIN_THREADS, settings["snapshots"],
                              settings["steps"])
    bound, what = job_memory_bound()
    if bound is not None and need > bound:
        config_error(f"experiments.{name}: a training job ({n} seeds of width {max(widths)}, n_train {settings['n_train']}, "
                     f"n_test {settings['n_test']}) needs about {format_bytes(need)} of memory, more than "
                     f"{format_bytes(bound)} ({what})")


EXPERIMENTS = {name: _experiment(name, spec) for name, spec in config["experiments"].items()}
_all_chunks = sum(len(e["widths"]) * ((e["seeds"][1] - 1) // SEEDS_PER_JOB - e["seeds"][0] // SEEDS_PER_JOB + 1)
                  for e in EXPERIMENTS.values())
if _all_chunks > LIMITS["max_train_chunks"]:
    config_error(f"experiments: {_all_chunks} training jobs in all experiments together, more than "
                 f"limits.max_train_chunks {LIMITS['max_train_chunks']}; raise seeds_per_job, or limits.max_train_chunks")
RUNS = {e["run"]: e["settings"] for e in EXPERIMENTS.values()}
# Experiments with one input (d = 1): the pair-and-disentangle stage applies to them only.
PAIR_EXPERIMENTS = [n for n, e in EXPERIMENTS.items() if input_dim(e["task"]) == 1]
PAIR_SKIPPED = [n for n, e in EXPERIMENTS.items() if input_dim(e["task"]) != 1]


def seed_chunks(lo, hi, run=None, width=None):
    """Half-open seed chunks aligned on multiples of seeds_per_job.

    With run and width: inside each aligned block, a chunk file already on disk that starts
    where the block (or its untrained rest) starts is reused, so growing `seeds` past a
    partial last chunk (20 -> 30 with 12 per job: 12-20 exists) trains only 20-24 and 24-30.
    """
    edges = sorted({lo, hi, *range((lo // SEEDS_PER_JOB + 1) * SEEDS_PER_JOB, hi, SEEDS_PER_JOB)})
    chunks = []
    for a, b in zip(edges[:-1], edges[1:]):
        while run is not None and a < b:
            ends = _chunk_ends_on_disk(run, width, a, b)
            if not ends:
                break
            chunks.append((a, max(ends)))
            a = max(ends)
        if a < b:
            chunks.append((a, b))
    return chunks


def _chunk_ends_on_disk(run, width, start, limit):
    """Ends e (start < e <= limit) of existing chunk files seeds{start}-{e}.h5."""
    ends = []
    for path in Path(f"{R}/train/{run}/N{width}").glob(f"seeds{start}-*.h5"):
        tail = path.name[len(f"seeds{start}-"):-len(".h5")]
        if tail.isdigit() and start < int(tail) <= limit:
            ends.append(int(tail))
    return ends


def train_cli_args(settings):
    """Command-line options of `lottery-scaling train` for a settings dict (plus --max-memory when
    the config sets limits.max_job_memory: the train command's own default bound is its machine's memory)."""
    args = [f"--max-memory {job_memory_bound()[0]}"] if LIMITS["max_job_memory"] is not None else []
    for key, value in settings.items():
        if key in ("task", "activation"):
            args.append(f"--{key} {shlex.quote(value)}")  # a user-defined formula has spaces and brackets
        elif key == "x_range":
            args.append(f"--x-range {value[0]!r} {value[1]!r}")
        else:
            args.append(f"--{key.replace('_', '-')} {value!r}")
    return " ".join(args)


def train_work(settings, width, n_seeds):
    """Neuron-sample-steps of a training job (its cost)."""
    return width * n_seeds * settings["steps"] * settings["n_train"]


# ---- paths of every stage's outputs ----

def chunk_file(run, width, lo, hi):
    return f"{R}/train/{run}/N{width}/seeds{lo}-{hi}.h5"


def merged_file(experiment, width):
    """All seeds of one experiment and width (input of every analysis stage)."""
    e = EXPERIMENTS[experiment]
    lo, hi = e["seeds"]
    return f"{R}/train/{e['run']}/N{width}_seeds{lo}-{hi}.h5"


def histogram_file(experiment, width, kind):
    """kind: summary, modes or kde (see `lottery-scaling histogram --help`)."""
    return f"{R}/{experiment}/histogram/N{width}_{kind}.csv"


def histogram_table(experiment, kind="summary"):
    """One row per width (kind=summary) or per candidate mode (kind=modes) of an experiment."""
    return f"{R}/{experiment}/histogram/{kind}.csv"


def synergy_table(experiment, kind="summary"):
    """kind: summary (one row per compared N) or samples (the two loss distributions per N)."""
    return f"{R}/{experiment}/synergy/{kind}.csv"


def fit_table(experiment, kind):
    """kind: medians (one row per width), slopes (neighbouring widths) or exponents (one row per range)."""
    return f"{R}/{experiment}/fit/{kind}.csv"


def pairs_dir(experiment):
    return f"{R}/{experiment}/pairs"


FIG = f"{R}/figures"


def figure(name, ext):
    return f"{FIG}/{name}.{ext}"


def pair_fig(experiment, name):
    """Stem of a figure of the pair-and-disentangle stage (add .png / .pdf)."""
    return f"{FIG}/{experiment}_pairs_{name}"


# ---- the fit's width ranges (the fit computes them; claims and figures name them) ----
FIT = section("fit", {**asdict(FitSettings()), "ranges": DEFAULT_RANGES})
FIT_RANGES = {name: (float(lo), float(hi)) for name, (lo, hi) in FIT["ranges"].items()}
for _rname, (_lo, _hi) in FIT_RANGES.items():
    if not 0 < _lo <= _hi:
        config_error(f"fit.ranges.{_rname}: needs 0 < LO <= HI, got [{_lo:g}, {_hi:g}]")


wildcard_constraints:
    run=RUN_NAME_PATTERN,
    width="[0-9]+",
    lo="[0-9]+",
    hi="[0-9]+",
    experiment="[A-Za-z][A-Za-z0-9_]*",
    task=SLUG_PATTERN,


# ---- helpers of train.smk ----

# Conservative per-thread speed of the trainer (neuron-sample-steps per second) for runtime requests.
_SLOW_RATE = 2e8


# A retry (profile: retries) of a job that ran out of time or memory asks for 2x, 3x as much.
def _train_runtime(wildcards, threads, attempt):
    work = train_work(RUNS[wildcards.run], int(wildcards.width), int(wildcards.hi) - int(wildcards.lo))
    return attempt * (10 + math.ceil(2 * work / (_SLOW_RATE * threads) / 60))


def _train_mem(wildcards, threads, attempt):
    s = RUNS[wildcards.run]
    per_thread = int(wildcards.width) * s["n_train"] * 8 * 4
    return attempt * (1000 + math.ceil(threads * per_thread / 2**20))


def _chunks_of_merged(wildcards):
    lo, hi = int(wildcards.lo), int(wildcards.hi)
    return [chunk_file(wildcards.run, wildcards.width, a, b) for a, b in seed_chunks(lo, hi, wildcards.run, wildcards.width)]


# ---- helpers of claims.smk ----


def _claims_inputs(wildcards):
    return [
        path
        for name in EXPERIMENTS
        for path in (histogram_table(name), synergy_table(name), fit_table(name, "exponents"))
    ]


# ---- helpers of figures.smk ----


def _histogram_figure_inputs(wc, widths):
    return {
        "h5": [merged_file(wc.experiment, w) for w in widths],
        "modes": [histogram_file(wc.experiment, w, "modes") for w in widths],
        "kde": [histogram_file(wc.experiment, w, "kde") for w in widths],
    }


def _title(experiment):
    e = EXPERIMENTS[experiment]
    return f"{ACTIVATION_LABELS.get(e['activation'], e['activation'])} on {task_label(e['task'])} ({experiment})"


# Tasks by their file-name slug (figures/scaling_{task}: a user-defined formula's slug, see expressions.task_slug).
TASK_OF_SLUG = {task_slug(e["task"]): e["task"] for e in EXPERIMENTS.values()}


def _experiments_of_slug(slug):
    return [(n, e) for n, e in sorted(EXPERIMENTS.items()) if e["task"] == TASK_OF_SLUG[slug]]


# ---- Appendix A (every target; docs/lottery.md): figures and claims only when the config has more than one target ----
from lottery_scaling.studies.lottery.appendix import CLAIM_IDS as APPENDIX_CLAIM_IDS, AppendixSettings

try:
    APPENDIX = AppendixSettings.from_dict(config.get("appendix"))
except UserError as _exc:
    config_error(str(_exc))
APPENDIX_ON = len({e["task"] for e in EXPERIMENTS.values()}) > 1
for _key in ("early_range", "late_range", "table_range"):
    if APPENDIX_ON and getattr(APPENDIX, _key) not in FIT_RANGES:
        config_error(f"appendix.{_key}: '{getattr(APPENDIX, _key)}' is not a width range of fit.ranges (allowed: {', '.join(FIT_RANGES)})")
# Experiments judged by the appendix claims (activation in appendix.activations).
APPENDIX_EXPERIMENTS = [n for n, e in sorted(EXPERIMENTS.items()) if e["activation"] in APPENDIX.activations]


def _appendix_rows(group):
    """The experiment drawn per target in the appendix figures: group 'unary' (d = 1) or 'multi' (d > 1);
    per target the judged experiment with the most widths (ties: the first name)."""
    best = {}
    for n in APPENDIX_EXPERIMENTS:
        e = EXPERIMENTS[n]
        if (input_dim(e["task"]) == 1) != (group == "unary"):
            continue
        if e["task"] not in best or len(e["widths"]) > len(EXPERIMENTS[best[e["task"]]]["widths"]):
            best[e["task"]] = n
    return [best[t] for t in sorted(best, key=_task_order)]


def _task_order(task):
    from lottery_scaling.studies.lottery.tasks import TASKS

    return (0, TASKS.index(task), task) if task in TASKS else (1, 0, task)


APPENDIX_GROUPS = [g for g in ("unary", "multi") if APPENDIX_ON and _appendix_rows(g)]


def _appendix_histogram_inputs(wc):
    rows = _appendix_rows(wc.group)
    return {
        "h5": [merged_file(n, w) for n in rows for w in EXPERIMENTS[n]["widths"]],
        "modes": [histogram_file(n, w, "modes") for n in rows for w in EXPERIMENTS[n]["widths"]],
        "kde": [histogram_file(n, w, "kde") for n in rows for w in EXPERIMENTS[n]["widths"]],
    }


def _appendix_title(group, what):
    acts = ", ".join(ACTIVATION_LABELS.get(a, a) for a in APPENDIX.activations)
    kind = "unary targets (d = 1)" if group == "unary" else "multi-input targets (d > 1; the paper's products)"
    return f"{acts}, {kind}: {what}"


# ---- helpers of pairs.smk (the stage's settings, parsed once) ----

_pairs_config = dict(config.get("pairs") or {})
_PAIR_FIGS = section("pairs.figures", asdict(PairFigureSettings()), _pairs_config.pop("figures", None))
if "dpi" not in ((config.get("pairs") or {}).get("figures") or {}) and "dpi" in (config.get("figures") or {}):
    _PAIR_FIGS["dpi"] = config["figures"]["dpi"]  # the study's figure dpi, unless the stage sets its own
PAIRS = section("pairs", asdict(PairSettings()), _pairs_config)
_claims_config = config.get("claims") or {}
_CLAIM_TICKETS = section("claims.width2_tickets_symmetric", asdict(TicketClaimSettings()), _claims_config.get("width2_tickets_symmetric"))
_CLAIM_WIDE = section("claims.wide_symmetric_neurons", asdict(WideClaimSettings()), _claims_config.get("wide_symmetric_neurons"))
for _name, _e in EXPERIMENTS.items():  # the wide claim resamples the networks of the widest width
    check_estimate(f"claims.wide_symmetric_neurons.bootstrap (experiment {_name})", "analysis",
                   _limits.bootstrap_estimate(_CLAIM_WIDE["bootstrap"], _e["seeds"][1] - _e["seeds"][0]))


_PAIR_EXP_RE = "|".join(PAIR_EXPERIMENTS) or "(?!x)x"


def _in_scope(experiment, claim):
    e = EXPERIMENTS[experiment]
    return e["task"] == claim["task"] and e["activation"] == claim["activation"]


def _pair_claim_rows(experiment):
    """Which rows `pair-claims` writes for an experiment: ticket (needs width 2), wide."""
    rows = []
    if _in_scope(experiment, _CLAIM_TICKETS) and 2 in EXPERIMENTS[experiment]["widths"]:
        rows.append("ticket")
    if _in_scope(experiment, _CLAIM_WIDE):
        rows.append("wide")
    return rows


def _widest(experiment):
    return max(EXPERIMENTS[experiment]["widths"])


def _pair_widths(experiment):
    return [w for w in EXPERIMENTS[experiment]["widths"] if w >= 2]


def _ticket_fig_widths(experiment):
    chosen = _PAIR_FIGS["ticket_widths"]
    widths = _pair_widths(experiment)
    if chosen:
        return [w for w in widths if w in chosen]
    return [w for w in widths if w >= 4][-4:]


def _opt(flag, value):
    return "" if value is None else f"{flag} {value!r}"


def _pair_claim_inputs(wc):
    e = wc.experiment
    d = pairs_dir(e)
    rows = _pair_claim_rows(e)
    out = {"wide": f"{d}/N{_widest(e)}_networks.csv"} if "wide" in rows and _widest(e) >= 2 else {}
    if "ticket" in rows:
        out["clusters"] = f"{d}/width2_clusters.csv"
        out["networks"] = f"{d}/width2_networks.csv"
    return out


def _pair_claim_opts(wc, input):
    parts = []
    if "clusters" in input.keys():
        parts.append(f"--width2-clusters {shlex.quote(input.clusters)} --width2-networks {shlex.quote(input.networks)}")
    if "wide" in input.keys():
        parts.append(f"--wide-networks {shlex.quote(input.wide)}")
    return " ".join(parts)


def _fig_rule_outputs(name, caption):
    return {
        "png": report(f"{R}/figures/{{experiment}}_pairs_{name}.png", caption=f"../../report/lottery/{caption}",
                      category="Pair and disentangle", subcategory="{experiment}"),
        "pdf": f"{R}/figures/{{experiment}}_pairs_{name}.pdf",
    }


def _distill_fig_inputs(wc):
    out = {"distilled": f"{pairs_dir(wc.experiment)}/distilled.csv"}
    if 2 in EXPERIMENTS[wc.experiment]["widths"]:
        out["width2"] = f"{pairs_dir(wc.experiment)}/width2_networks.csv"
    return out


_chosen_ticket_widths = _PAIR_FIGS["ticket_widths"]
if _chosen_ticket_widths and not any(
        w in EXPERIMENTS[n]["widths"] for n in PAIR_EXPERIMENTS for w in _chosen_ticket_widths):
    config_error(f"pairs.figures.ticket_widths: no one-input experiment trains any of {_chosen_ticket_widths}")
_dpi_key = "pairs.figures.dpi" if "dpi" in ((config.get("pairs") or {}).get("figures") or {}) else "figures.dpi"
check_figure(_dpi_key, 15, 3.3 * 4, _PAIR_FIGS["dpi"])  # the pairs' ticket figure: 4 widths x 4 panels
_W_SCALE = _opt("--w-scale", PAIRS["w_scale"])
_FIG_DPI = int(_PAIR_FIGS["dpi"])
