"""Bounds on what one job may ask of a machine (docs/cli.md, "Limits"), for every study and command.

Each estimate is arithmetic on the settings alone (Python ints: no overflow), so a typo such as
`--steps 10**12` or `runs: 100000000` is refused at once, before any array exists. Three kinds of
work, each in its own unit with its own bound, and one memory bound:

- train: neuron-sample-steps of the lottery trainer (width x seeds x steps x n_train); also the
  bridge study's trainings and rewound tickets. Bound `max_train_work`.
- race: weight-sample passes of the race trainer (one first-layer weight applied to one sample:
  runs x width x inputs x (max_epochs x n + checkpoints x (n + test samples))), its IMP trainings
  and the stable-cell probes (probes x inputs x samples per iteration). Bound `max_race_work`.
- analysis: values drawn or compared by the analyses (bootstrap resamples x the values of one
  resample, random pairs, null draws, neuron pairs of a ticket search). Bound `max_analysis_work`.
- memory: bytes of the arrays one job holds at its peak. Bound `max_job_memory` (default: the
  memory of the machine that checks).

The pipeline checks its config's `limits` (these names) before any job and passes the bounds it set
to the commands of its jobs in the environment variable LOTTERY_SCALING_LIMITS (JSON), so a bound
raised in the config is raised for its jobs too; a command run by hand takes --max-work and
--max-memory.
"""

from __future__ import annotations

import json
import math
import os

from .errors import UserError
from .studies.lottery.budget import format_bytes, machine_memory_bytes, parse_size

ENV = "LOTTERY_SCALING_LIMITS"
# kind -> (config key, default bound, unit)
WORK = {
    "train": ("max_train_work", 1e15, "neuron-sample-steps"),
    "race": ("max_race_work", 1e15, "weight-sample passes"),
    "analysis": ("max_analysis_work", 1e11, "drawn or compared values"),
}
MEMORY_KEY = "max_job_memory"
DEFAULTS = {key: default for key, default, _ in WORK.values()} | {"max_train_chunks": 20000, MEMORY_KEY: None}
# matplotlib's Agg renderer refuses an image of 2**16 pixels or more in either direction
MAX_PIXELS_PER_SIDE = 2**16


def from_environment() -> dict:
    """The bounds the pipeline passed to this job ({} outside the pipeline, or when unreadable)."""
    try:
        values = json.loads(os.environ.get(ENV, "") or "{}")
    except json.JSONDecodeError:
        return {}
    return {k: v for k, v in values.items() if k in DEFAULTS} if isinstance(values, dict) else {}


def work_bound(kind: str, given: float | None = None) -> tuple[float, str]:
    """(bound, how to name it) of a work kind: the command's option, else the pipeline's, else the default."""
    key, default, _ = WORK[kind]
    if given is not None:
        return float(given), "--max-work"
    value = from_environment().get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value), f"limits.{key} of the pipeline"
    return default, "the default of --max-work"


def memory_bound(given: int | None = None) -> tuple[int | None, str]:
    if given is not None:
        return int(given), "--max-memory"
    env = from_environment().get(MEMORY_KEY)
    if env is not None:
        try:
            return memory_bytes(env), f"limits.{MEMORY_KEY} of the pipeline"
        except ValueError:
            pass
    return machine_memory_bytes(), "this machine's memory"


def memory_bytes(value) -> int:
    """limits.max_job_memory as bytes: a number of bytes, or a size like 64G (ValueError otherwise)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"expected a size > 0, got {value!r}")
        return int(value)
    return parse_size(value)


def check_work(kind: str, amount: float, detail: str, given: float | None = None) -> None:
    """UserError when `amount` (detail: how it was counted, naming the values) exceeds the bound."""
    bound, what = work_bound(kind, given)
    if amount > bound:
        raise UserError(f"{detail} = {amount:.3g} {WORK[kind][2]}, more than {bound:.3g} ({what}); "
                        f"pass --max-work {amount:.2g} or more to run it anyway")


def check_memory(need: int, detail: str, given: int | None = None) -> None:
    bound, what = memory_bound(given)
    if bound is not None and need > bound:
        raise UserError(f"{detail} needs about {format_bytes(need)} of memory, more than {format_bytes(bound)} ({what}); "
                        "pass --max-memory SIZE if the machine really has it")


# ---- the race trainer (studies/race/trainer.py train_runs and _kernels.train_all) ----

# Upper bounds of the test set of each data set (studies/race/data.py): digits keeps every sample of
# labels 0-3 not in the training set (720 in all), CIFAR-10 the 4000 test images of those labels.
RACE_INPUTS = {"digits": 64, "cifar10": 1024, "photos": 1024}
RACE_SAMPLES = {"digits": 720, "cifar10": 4000, "photos": 520}
# Largest balanced training set: 4 x the smallest per-label pool (digits: 177 of label 2; CIFAR-10: 5000);
# photos: 100 of the 130 tiles per label, so that 30 per label are left for the test set (race/photos.py).
RACE_MAX_N = {"digits": 708, "cifar10": 20000, "photos": 400}


def race_test_samples(dataset: str, n: int) -> int:
    return RACE_SAMPLES[dataset] - n if dataset in ("digits", "photos") else RACE_SAMPLES[dataset]


def race_checkpoints(n: int, batch: int, max_epochs: int, checkpoints: int) -> int:
    """Checkpoint slots of one run: at most one per optimiser step of the cap, plus step 0 and the stop step."""
    cap = max_epochs * -(-n // batch)
    return min(checkpoints, cap) + 2


# Cost of one call of the race trainer beyond its passes (setup, checkpoint plan, results: ~10 ms),
# in passes; IMP makes one call per round, each pruning every (run, sparsity) pair in Python.
_TRAINER_CALL = 10**7


def race_train_work(runs: int, width: int, inputs: int, n: int, n_test: int, max_epochs: int, checkpoints: int,
                    batch: int) -> int:
    """Weight-sample passes of training `runs` runs to the max_epochs cap (an upper bound: runs stop
    at the loss threshold), including the evaluation of the training and test sets at each checkpoint."""
    k = race_checkpoints(n, batch, max_epochs, checkpoints)
    return runs * width * inputs * (max_epochs * n + k * (n + n_test))


def race_train_memory(runs: int, width: int, inputs: int, n: int, n_test: int, max_epochs: int, checkpoints: int,
                      batch: int, dtype: str = "float64", threads: int = 1, form: str = "auto",
                      masked: bool = False) -> int:
    """Estimated peak bytes of one train_runs call and its file: initial, final and 4 snapshot copies
    of the weights per run, the per-checkpoint neuron and run records, the data (and the span form's
    Gram matrix), each running thread's float64 work copies, and checkpoint_steps' log-spaced draft."""
    item = 4 if dtype == "float32" else 8
    k = race_checkpoints(n, batch, max_epochs, checkpoints)
    weights = width * inputs + 2 * width
    span = form == "span" or (form == "auto" and n < inputs and not masked)
    # neuron records: 6 fields per checkpoint, and the product w_norm x v_norm the file adds, and a copy while writing
    per_run = weights * (item + 8 + 4 * 8 + (item if masked else 0)) + k * (8 * width + 7) * 8
    data = (n + n_test) * inputs * 8 + n * inputs * item + (n * n * (8 + item) if span else 0)
    scratch = min(runs, threads) * (6 * weights + (width * n if span else 0)) * 8
    return runs * per_run + data + scratch + (batch + 1) * item + 4 * 8 * checkpoints


def race_train_estimate(runs: int, width: int, inputs: int, n: int, n_test: int, settings: dict,
                        threads: int = 1) -> tuple[int, int, str]:
    """(work, memory, how counted) of one race-train job; settings: max_epochs, checkpoints, batch, dtype, form."""
    e, c, b = int(settings["max_epochs"]), int(settings["checkpoints"]), int(settings["batch"])
    k = race_checkpoints(n, b, e, c)
    work = race_train_work(runs, width, inputs, n, n_test, e, c, b)
    memory = race_train_memory(runs, width, inputs, n, n_test, e, c, b, settings.get("dtype", "float64"), threads,
                               settings.get("form", "auto"))
    detail = (f"{runs} runs x width {width} x {inputs} inputs x (max_epochs {e} x n {n} + {k} checkpoint slots x "
              f"({n} + {n_test} test samples)), checkpoints {c}, batch {b}")
    return work, memory, detail


def race_imp_estimate(runs: int, sparsities: int, rounds: int, width: int, inputs: int, n: int, n_test: int,
                      settings: dict, threads: int = 1) -> tuple[int, int, str]:
    """IMP (studies/race/imp.py imp_many): the unpruned runs once, then `rounds` masked trainings of
    every (run, sparsity) pair, all pairs in one call."""
    e, c, b = int(settings["max_epochs"]), int(settings["checkpoints"]), int(settings["batch"])
    dtype = settings.get("dtype", "float64")
    pairs = runs * sparsities
    trainings = runs + rounds * pairs
    work = trainings * race_train_work(1, width, inputs, n, n_test, e, c, b) + (rounds + 1) * _TRAINER_CALL
    work += rounds * pairs * (width * inputs + 2 * width) * 2  # the magnitude sort of each pruning
    memory = (race_train_memory(runs, width, inputs, n, n_test, e, c, b, dtype, threads, "direct")
              + race_train_memory(pairs, width, inputs, n, n_test, e, c, b, dtype, threads, "direct", masked=True)
              + pairs * (width * inputs + 2 * width) * 16)  # imp_many's own float64 masks
    detail = (f"({runs} runs + {rounds} rounds x {runs} runs x {sparsities} sparsities) trainings x width {width} x "
              f"{inputs} inputs x (max_epochs {e} x n {n} + checkpoints), in {rounds + 1} trainer calls")
    return work, memory, detail


def race_cells_estimate(tasks: list[tuple[int, int]], probes: int, max_iter: int,
                        null_shuffles: int = 0) -> tuple[int, int, str]:
    """tasks: (n, inputs) of every data set; per set two alignments, each iteration a (probes x inputs)
    by (inputs x n) product and its transpose; the shuffled-label null repeats it once per shuffle."""
    labellings = 1 + int(null_shuffles)
    work = labellings * sum(2 * (max_iter + 2) * probes * n * d * 2 for n, d in tasks)
    memory = max((probes * (3 * d * 8 + n * 11) + 2 * n * d * 8 for n, d in tasks), default=0)
    ns = "+".join(str(n) for n, _ in tasks)
    detail = f"{probes} probes x {max_iter} iterations x 2 alignments x n {ns} x inputs"
    return work, memory, detail + (f" x {labellings} labellings (the task and {null_shuffles} shuffles)" if null_shuffles else "")


# ---- the analyses (bootstrap resamples; studies/lottery and studies/bridge) ----

# Density grid points of a loss histogram (studies/lottery/histogram.py: at least 1024)
_GRID = 1024
# A resample drawn in a Python loop (histogram modes, synergy) costs about 1 ms beyond its values:
# about as much as 10**5 values (at ~10 ns a value, the bound's 1e11 is about 20 minutes).
_RESAMPLE = 10**5


def resample_memory(resamples: int, values: int) -> int:
    """bootstrap.resampled_medians holds every resample at once: int64 indices and float64 values."""
    return resamples * values * 16


def histogram_estimate(seeds: int, bootstrap: int, median_bootstrap: int) -> tuple[int, int, str]:
    """(work, memory, how counted) of one width's histogram: every mode resample draws the seeds and
    evaluates the density grid; the median's resamples draw the seeds, all at once."""
    work = bootstrap * (seeds + _GRID + _RESAMPLE) + median_bootstrap * seeds
    detail = (f"{bootstrap} mode resamples x ({seeds} seeds + {_GRID} grid points + {_RESAMPLE} for the resample's "
              f"own cost) + {median_bootstrap} median resamples x {seeds} seeds")
    return work, resample_memory(median_bootstrap, seeds) + bootstrap * 8, detail


def synergy_estimate(seeds: list[tuple[int, int]], pairs: int, bootstrap: int) -> tuple[int, int, str]:
    """seeds: (width-N/2 seeds, width-N seeds) of every compared N."""
    work = sum(pairs + bootstrap * (half + wide + min(pairs, 4 * half) + _RESAMPLE) for half, wide in seeds)
    detail = (f"{len(seeds)} compared widths x ({pairs} pairs + {bootstrap} resamples x "
              f"(seeds of N/2 and N + up to {pairs} pairs + {_RESAMPLE} for the resample's own cost))")
    # pair indices, the two losses, the ensemble and its log; the samples table as Python rows (~300 bytes each)
    memory = pairs * 8 * 6 + bootstrap * 8 + sum(pairs + wide for _, wide in seeds) * 300
    return work, memory, detail


def fit_estimate(seeds: list[int], bootstrap: int) -> tuple[int, int, str]:
    """seeds: per width; every width's resampled medians are drawn at once and kept."""
    work = bootstrap * sum(seeds)
    memory = resample_memory(bootstrap, max(seeds, default=0)) + bootstrap * 8 * len(seeds)
    return work, memory, f"{bootstrap} resamples x {sum(seeds)} seeds of {len(seeds)} widths"


def bootstrap_estimate(resamples: int, values: int, what: str = "networks") -> tuple[int, int, str]:
    return resamples * values, resample_memory(resamples, values), f"{resamples} resamples x {values} {what}"


def bridge_claims_estimate(networks: int, bootstrap: int, null_draws: int) -> tuple[int, int, str]:
    """studies/bridge/claims.py: bootstrap resamples of the networks (a few claims at once) and null draws of a
    random neuron pair per network."""
    work = 3 * bootstrap * networks + null_draws * networks
    memory = resample_memory(bootstrap, networks) + null_draws * networks * 8 * 3
    return work, memory, f"(3 x {bootstrap} resamples + {null_draws} null draws) x {networks} networks"


def ticket_search_work(networks: int, width: int, n_train: int, snapshots: int = 0) -> int:
    """Neuron pairs compared and neuron outputs evaluated by the best-ticket search of each network
    (studies/lottery/pairs), plus the pair's R^2 at every snapshot (bridge-emergence)."""
    return networks * (width * (width + n_train) + snapshots * n_train)


def figure_pixels(width_in: float, height_in: float, dpi: float) -> tuple[int, int]:
    return math.ceil(width_in * dpi), math.ceil(height_in * dpi)


def check_figure(width_in: float, height_in: float, dpi: float, detail: str, given_memory: int | None = None) -> None:
    """A raster figure matplotlib can draw: under 2**16 pixels a side, its RGBA canvas within memory."""
    w, h = figure_pixels(width_in, height_in, dpi)
    if max(w, h) >= MAX_PIXELS_PER_SIDE:
        raise UserError(f"{detail}: {width_in:.3g} x {height_in:.3g} inches at dpi {dpi:g} is {w} x {h} pixels; "
                        f"matplotlib draws fewer than {MAX_PIXELS_PER_SIDE} a side: lower the dpi or the figure size")
    check_memory(w * h * 4 * 2, f"{detail}: a {w} x {h} pixel canvas", given_memory)


# ---- the survey study (studies/survey: edge-popup, linearised networks, IMP, supermasks, overlap) ----

# trainer.STORE_LIMIT_BYTES (as lottery/budget.py: the trainer pulls in numba): the survey kernels keep
# the (width x n_train) activations of a network below this size, as the lottery kernels do
_SURVEY_STORE = 2 * 2**20
_SURVEY_EVAL_BLOCK = 2**22  # elements per block of lottery_mse, evaluate_losses and linearised_mse


def _survey_evaluation(networks: int, width: int, n_train: int, n_test: int, arrays: int = 4) -> int:
    """The loss evaluations on the training and test sets: `arrays` float64 (networks x samples x width)
    arrays of one block of networks (a single network when width x samples exceeds the block)."""
    per = width * max(n_train, n_test)
    return arrays * 8 * min(networks * per, max(_SURVEY_EVAL_BLOCK, per))


def survey_train_estimate(method: str, networks: int, width: int, n_train: int, n_test: int, steps: int,
                          threads: int = 1, keeps: int = 1, rounds: int = 1, d: int = 1) -> tuple[int, int, str]:
    """(work, memory, how counted) of one survey training job on `networks` networks of one width:
    method "edgepopup" (survey-edgepopup: `keeps` keep fractions, one training each), "linearised"
    (survey-linearised: one training) or "imp" (survey-imp: `keeps` sparsities x `rounds` masked trainings).

    Work in the lottery trainer's unit (neuron-sample-steps), as the plan counts it. Memory: the
    networks' parameter arrays held at once (per-network copies: init, flat vectors, scores or
    masks and their results; IMP holds one network per (network, sparsity) pair), each running
    thread's kernel workspace (the edge-popup and masked kernels keep the width x n_train
    activations below the lottery trainer's store limit; the linearised kernel always keeps its two
    width x n_train feature arrays), the data, and the loss evaluations."""
    P = width * (d + 2) + 1
    store = width * n_train * 8 <= _SURVEY_STORE
    running = min(max(int(threads), 1), networks * (keeps if method == "imp" else 1))
    data = (n_train + n_test) * (d + 1) * 8 * 3
    curves = 51 * 16
    if method == "edgepopup":
        trainings = networks * keeps
        # file, init, theta0, scores (drawn and flat), mask, masked weights, returned scores and masks,
        # the starting mask's keys, order and masked parameters; every keep's bool masks and losses
        held = networks * (P * (20 * 8 + keeps) + keeps * 32 + curves)
        workspace = running * 8 * (8 * P + 7 * n_train + (width * n_train if store else 0) + 3 * width)
        evaluation = _survey_evaluation(networks, width, n_train, n_test)
        what = f"{networks} networks x {keeps} keeps"
    elif method == "linearised":
        trainings = networks
        # file, init, theta0, dtheta, theta, final w, b, v, c, the trained networks' init for their movement
        held = networks * (P * 16 * 8 + curves)
        workspace = running * 8 * (2 * width * n_train + 3 * P + (5 + d) * n_train)
        evaluation = _survey_evaluation(networks, width, n_train, n_test, 8)  # f0, act(z0), its slope, the moved z, products
        what = f"{networks} networks"
    elif method == "imp":
        pairs = networks * keeps
        trainings = pairs * rounds
        # per (network, sparsity): float masks of w and v, final weights, init, theta and mask of the masked
        # trainer, its results; the file and its init
        held = pairs * (P * 14 * 8 + curves) + networks * P * 8 * 8
        workspace = running * 8 * (3 * P + 6 * n_train + (width * n_train if store else 0) + 3 * width)
        evaluation = _survey_evaluation(pairs, width, n_train, n_test)
        what = f"{networks} networks x {keeps} sparsities x {rounds} rounds"
    else:
        raise ValueError(method)
    work = trainings * width * steps * n_train
    detail = (f"survey-{method}: {what} of width {width} x {steps} steps x n_train {n_train} "
              f"(n_test {n_test}, {running} threads)")
    return work, held + workspace + data + evaluation, detail


def survey_supermask_estimate(networks: int, width: int, n_test: int, keeps: int, draws: int,
                              d: int = 1) -> tuple[int, int, str]:
    """survey-supermask on lottery networks: per keep, Zhou's mask and `draws` random masks of every
    network held at once (bool), each evaluated with its kept weights at init and as signed constants.
    Work (analysis kind): masked networks evaluated x width x test samples."""
    P = width * (d + 2) + 1
    evaluations = networks * keeps * (1 + draws) * 2
    held = networks * P * 8 * 12 + networks * P * (1 + draws) + networks * keeps * (1 + draws) * 2 * 1000  # rows (dicts)
    memory = held + _survey_evaluation(networks, width, 0, n_test) + n_test * (d + 1) * 8 * 2
    return evaluations * width * n_test, memory, (f"survey-supermask: {networks} networks x {keeps} keeps x "
                                                  f"(1 + {draws} random draws) x 2 weight modes x width {width} x "
                                                  f"{n_test} test samples")


def survey_overlap_estimate(networks: int, width: int, n_train: int, keeps: int, methods: int, null_draws: int,
                            d: int = 1) -> tuple[int, int, str]:
    """survey-overlap: per (network, keep), `null_draws` random masks per method (drawn as float64 keys
    and sorted), their pairwise Jaccards; the best mirror pair's search (width x (width + n_train)).
    Work (analysis kind): mask entries drawn or compared, and the pair search."""
    n = width * (d + 1)
    pairs = methods * (methods - 1) // 2
    work = networks * keeps * (methods * null_draws * n + pairs * null_draws * 2 * n) + networks * keeps * width * (
        width + n_train)
    memory = (null_draws * n * (16 + methods) + pairs * null_draws * n * 4 + 8 * width * (width + n_train) * 4
              + (methods + 2) * networks * keeps * n)
    return work, memory, (f"survey-overlap: {networks} networks x {keeps} keeps x {methods} methods x {null_draws} "
                          f"null draws of width {width}")
