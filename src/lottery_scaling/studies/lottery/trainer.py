"""Train many networks of one (task, activation, width): checks and prepares arrays for the numba kernels."""

from __future__ import annotations

import heapq
import math
import threading
import time
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from . import init, model, tasks
from ...errors import UserError

DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class TrainSettings:
    """Every setting that determines a trained network, apart from its seed (SPEC section 1)."""

    task: str
    activation: str
    width: int
    steps: int = 50000
    lr: float = 1e-2
    lr_decay: float = 0.2
    lr_decay_every: int = 10000
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    n_train: int = 1000
    n_test: int | None = None
    x_range: tuple[float, float] | None = None
    data_seed: int = 0
    init_seed: int = 0
    dtype: str = "float64"
    curve_points: int = 51

    def data_spec(self) -> tasks.DataSpec:
        return tasks.DataSpec(self.task, self.n_train, self.n_test, self.x_range, self.data_seed)

    def resolved(self) -> "TrainSettings":
        """Validated copy with data defaults (n_test, x_range) filled in."""
        self.validate()
        data = self.data_spec().resolved()
        values = asdict(self)
        values.update(n_test=data.n_test, x_range=data.x_range)
        return TrainSettings(**values)

    def validate(self) -> None:
        tasks.input_dim(self.task)
        model.check_activation(self.activation)
        _require(self.width >= 1, "width", "an integer >= 1", self.width)
        _require(self.steps >= 0, "steps", "an integer >= 0", self.steps)
        _require(math.isfinite(self.lr) and self.lr > 0, "lr", "a number > 0", self.lr)
        _require(math.isfinite(self.lr_decay) and self.lr_decay > 0, "lr_decay", "a number > 0", self.lr_decay)
        _require(self.lr_decay_every >= 1, "lr_decay_every", "an integer >= 1", self.lr_decay_every)
        _require(0 <= self.beta1 < 1, "beta1", "a number in [0, 1)", self.beta1)
        _require(0 <= self.beta2 < 1, "beta2", "a number in [0, 1)", self.beta2)
        _require(math.isfinite(self.eps) and self.eps > 0, "eps", "a number > 0", self.eps)
        _require(self.dtype in DTYPES, "dtype", " or ".join(DTYPES), self.dtype)
        _require(self.curve_points >= 2, "curve_points", "an integer >= 2", self.curve_points)
        _require(self.init_seed >= 0, "init_seed", "an integer >= 0", self.init_seed)
        self.data_spec().validate()

    def as_attrs(self) -> dict:
        """Flat dict of plain values, for HDF5 attributes and provenance."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


def _require(ok: bool, name: str, allowed: str, value) -> None:
    if not ok:
        raise UserError(f"{name} must be {allowed}, got {value!r}")


@dataclass
class TrainResult:
    """Final parameters and losses of S networks (arrays indexed by seed position)."""

    settings: TrainSettings
    seed: np.ndarray  # (S,) int64
    w: np.ndarray  # (S, N, d)
    b: np.ndarray  # (S, N)
    v: np.ndarray  # (S, N)
    c: np.ndarray  # (S,)
    train_loss: np.ndarray  # (S,) float64 MSE on the training set
    test_loss: np.ndarray  # (S,) float64 MSE on the test set
    diverged: np.ndarray  # (S,) bool
    loss_curve: np.ndarray  # (S, K) training MSE at curve_step, in the training dtype
    curve_step: np.ndarray  # (K,) int64
    seconds: float = 0.0
    extra_attrs: dict = field(default_factory=dict)


def curve_steps(steps: int, points: int) -> np.ndarray:
    """K distinct step indices from 0 to `steps` (inclusive), evenly spaced."""
    return np.unique(np.round(np.linspace(0, steps, points)).astype(np.int64))


def parse_seeds(text: str) -> np.ndarray:
    """'0:1000' (half-open range), '7' or '1,5,9' -> sorted unique int64 seeds."""
    try:
        if ":" in text:
            lo, hi = (int(p) for p in text.split(":"))
            seeds = np.arange(lo, hi, dtype=np.int64)
        else:
            seeds = np.array([int(p) for p in text.split(",")], dtype=np.int64)
    except ValueError:
        raise UserError(f"seeds must look like START:STOP, N or N,M,...; got {text!r}") from None
    if seeds.size == 0 or seeds.min() < 0:
        raise UserError(f"seeds must be a non-empty set of integers >= 0; got {text!r}")
    if np.unique(seeds).size != seeds.size:
        raise UserError(f"seeds contain duplicates: {text!r}")
    return seeds


def evaluate_losses(settings: TrainSettings, w, b, v, c, x, y, block_elems: int = 2**22) -> np.ndarray:
    """MSE of each network on (x, y), evaluated in float64 in blocks of seeds."""
    S, N = b.shape
    out = np.empty(S)
    per = max(1, block_elems // max(1, N * x.shape[0]))
    with np.errstate(all="ignore"):
        for lo in range(0, S, per):
            hi = min(S, lo + per)
            out[lo:hi] = model.mse(
                w[lo:hi].astype(np.float64), b[lo:hi].astype(np.float64), v[lo:hi].astype(np.float64),
                c[lo:hi].astype(np.float64), x, y, settings.activation,
            )
    return out


def _mirrored_order(x: np.ndarray):
    """Sample order for the kernels and the number of mirrored pairs.

    On an exactly symmetric one-input grid the samples are reordered to
    [x_0 .. x_{h-1}, -x_0 .. -x_{h-1}, (middle)] so that the SiLU kernel computes one exp per
    pair with contiguous loads; the loss is a sum over samples, so only its rounding changes.
    Otherwise the order is kept and the pair count is 0.
    """
    M, d = x.shape
    if d != 1 or M < 2 or not np.array_equal(x[:, 0], -x[::-1, 0]):
        return np.arange(M), 0
    half = M // 2
    order = np.concatenate([np.arange(half), np.arange(M - 1, M - 1 - half, -1), np.arange(half, M - half)])
    return order, half


# Above this many bytes of per-network activations (N x M), the SiLU kernel does not keep
# them between the passes: on a mirrored grid it fuses forward and backward per sample
# pair, vectorised over neurons (_kernels._step_wide_silu); in steps where a neuron is too
# steep for that, or without mirrored pairs, the backward pass recomputes them.
# benchmarks/wide_networks.py measures the wide step against keeping them: 1.9x faster at
# N = 10000, 1.1-1.3x at N = 200-1000, even or slower at N = 50-150 (its loops over
# neurons are short there). 2 MiB is N = 262 at M = 1000.
STORE_LIMIT_BYTES = 2 * 2**20


def keeps_activations(width: int, n_samples: int, dtype) -> bool:
    """Whether the kernels keep the (width x n_samples) activations between the passes."""
    return width * n_samples * np.dtype(dtype).itemsize <= STORE_LIMIT_BYTES


class StepRate:
    """Steps per second of one training network, from the step counters sampled over time.

    Integrates the number of busy threads between samples (busy thread-seconds), so the
    rate stays right when fewer than `threads` networks are left. Networks are handed out
    one at a time, so a thread is busy while any network is unfinished.
    """

    def __init__(self, threads: int, networks: int):
        self.threads = threads
        self.busy_seconds = 0.0
        self.last_time = 0.0
        self.last_running = min(threads, networks)

    def update(self, steps_done: np.ndarray, steps: int, now: float) -> float | None:
        self.busy_seconds += self.last_running * (now - self.last_time)
        self.last_time = now
        self.last_running = min(self.threads, int(np.sum(steps_done < steps)))
        done = float(steps_done.sum())
        return done / self.busy_seconds if done > 0 and self.busy_seconds > 0 else None


def seconds_left(steps_done: np.ndarray, steps: int, threads: int, rate: float | None) -> float | None:
    """Time to finish if every network takes `rate` steps per second and `threads` run at
    once: networks not yet started (0 steps) queue for the first thread that frees up, so
    3 networks on 2 threads take two rounds. None without a rate.
    """
    if not rate:
        return None
    running = [(steps - int(c)) / rate for c in steps_done if 0 < c < steps]
    queued = int(np.sum(steps_done <= 0))
    free_at = sorted(running + [0.0] * max(0, threads - len(running)))
    for _ in range(queued):
        heapq.heappush(free_at, heapq.heappop(free_at) + steps / rate)
    return max(free_at) if free_at else 0.0


def train(settings: TrainSettings, seeds, threads: int | None = None, progress=None, progress_interval: float = 1.0) -> TrainResult:
    """Train one network per seed with full-batch Adam; parallel over seeds.

    threads: numba threads to use (default: numba's current setting).
    progress: optional callable(done, total, seconds, fraction, seconds_left): networks
        finished, networks, seconds elapsed, the fraction of all training steps done and an
        estimate of the seconds left (None before there is one; see `seconds_left`); called
        every `progress_interval` seconds from a watcher thread while training runs, and
        once at the end.
    """
    import numba

    from . import _kernels

    settings = settings.resolved()
    seeds = np.asarray(seeds, dtype=np.int64)
    if seeds.ndim != 1 or seeds.size == 0:
        raise UserError("seeds must be a non-empty 1-d list of integers")
    if threads is not None:
        if threads < 1:
            raise UserError(f"threads must be >= 1, got {threads}")
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    dtype = np.dtype(settings.dtype)
    N = settings.width
    x_train, y_train, x_test, y_test = tasks.make_dataset(settings.data_spec())
    d = x_train.shape[1]
    w0, b0, v0, c0 = init.initial_parameters(d, N, seeds, settings.init_seed)
    S = seeds.size
    theta = np.concatenate([w0.reshape(S, N * d), b0, v0, c0[:, None]], axis=1).astype(dtype)
    theta = np.ascontiguousarray(theta)
    order, half = _mirrored_order(x_train)
    xT = np.ascontiguousarray(x_train[order].T, dtype=dtype)
    y = np.ascontiguousarray(y_train[order], dtype=dtype)
    steps_at = curve_steps(settings.steps, settings.curve_points)
    curve = np.empty((S, steps_at.size), dtype=dtype)
    diverged = np.zeros(S, dtype=np.bool_)

    # One parallel call over all seeds, handed out one at a time (dynamic scheduling), so a
    # thread slowed by a busy core does not hold the others back. The kernel runs without
    # the GIL; a watcher thread reports progress from the per-seed step counters.
    steps_done = np.zeros(S, dtype=np.int64)
    act = _kernels.ACTIVATION_CODES[settings.activation]
    store = keeps_activations(N, xT.shape[1], dtype)
    start = time.perf_counter()
    stop = threading.Event()
    watcher = None
    total_steps = S * settings.steps
    if progress is not None:

        threads_used = numba.get_num_threads()
        meter = StepRate(threads_used, S)

        def watch():
            while not stop.wait(progress_interval):
                counts = steps_done.copy()
                elapsed = time.perf_counter() - start
                rate = meter.update(counts, settings.steps, elapsed)
                progress(int((counts >= settings.steps).sum()), S, elapsed,
                         float(counts.sum()) / total_steps if total_steps else 1.0,
                         seconds_left(counts, settings.steps, threads_used, rate))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
    previous_chunk = numba.set_parallel_chunksize(1)
    try:
        _kernels.train_batch(
            act, theta, N, d, xT, y, half, store, settings.steps, settings.lr, settings.lr_decay,
            settings.lr_decay_every, settings.beta1, settings.beta2, settings.eps, steps_at, curve, diverged, steps_done,
        )
    finally:
        numba.set_parallel_chunksize(previous_chunk)
        stop.set()
        if watcher is not None:
            watcher.join()
    seconds = time.perf_counter() - start
    if progress is not None:
        progress(S, S, seconds, 1.0, 0.0)

    w = theta[:, : N * d].reshape(S, N, d).copy()
    b = theta[:, N * d : N * d + N].copy()
    v = theta[:, N * d + N : N * d + 2 * N].copy()
    c = theta[:, -1].copy()
    train_loss = evaluate_losses(settings, w, b, v, c, x_train, y_train)
    test_loss = evaluate_losses(settings, w, b, v, c, x_test, y_test)
    diverged |= ~np.isfinite(train_loss) | ~np.isfinite(test_loss)
    return TrainResult(settings, seeds.copy(), w, b, v, c, train_loss, test_loss, diverged, curve, steps_at, seconds)
