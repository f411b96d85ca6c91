"""Strong lottery tickets by edge-popup (Ramanujan et al. 2019): train a mask, never the weights.

Each network's weights are frozen at the lottery trainer's initialisation of its seed
(`init.scaled_initial_parameters(d, N, seeds, init_seed, init_scale)`), so seed s here and seed s
of a trained lottery run start from the same network. Every weight w_ik, b_i, v_i carries a real
score; the forward pass uses the network theta0 * mask, where the mask keeps the largest |score|s
(ties to the lower index). The choices, where the paper leaves them to us:

- c (the output bias) has no score and is always kept at its initial value: one constant offset.
- `scope="layer"` (default; Ramanujan et al. select per layer): the first layer (w and b, ranked
  together) and the output layer (v) each keep kept_count(n, keep) = floor(keep n + 1/2) of
  their n parameters. `scope="global"`: one ranking over all of w, b, v.
- Scores start as U(-1/sqrt(fan_in), 1/sqrt(fan_in)) per layer (fan_in d for w and b, N for v):
  PyTorch's kaiming_uniform_(a=sqrt(5)), which Ramanujan et al. applied to their scores; drawn
  from their own stream keyed by (init_seed, score_seed, d, N, seed), independent of the weights.
- Gradient by the straight-through estimator through the mask of |score|: dLoss/dscore_p =
  dLoss/d(masked weight p) x theta0_p x sign(score_p), the gradient of the masked network
  evaluated as it is (pruned weights included; a pruned v_i also blocks the gradient of its
  neuron's w_i, b_i). The factor sign(score_p) is d|score_p|/dscore_p: Ramanujan et al.'s code
  ranks scores.abs() and lets autograd differentiate it. Without it a negative score would be
  pushed the wrong way in the ranking (a descent step that asks for more of weight p would
  shrink |score_p|); in a 200-step trial at N = 10 that version raised the loss of 2 of 4 networks.
- Optimiser: Adam with PyTorch semantics and the lottery schedule by default (lr 1e-2, x0.2 every
  10000 steps, 50000 steps), because it is the project's optimiser and makes edge-popup's
  loss-against-width comparable with the trained networks'. `optimizer="sgd"` gives PyTorch SGD
  with momentum (Ramanujan et al.: lr 0.1, momentum 0.9, weight decay 1e-4 or 5e-4, with a
  cosine schedule; here the same StepLR schedule as Adam). weight_decay (default 0) is added
  to the score gradient in PyTorch's L2 form for either optimiser.
- Full batch; the mask is recomputed after every update; the loss recorded at step t is the
  masked network's before update t (as the lottery trainer records).
- float64 only.

Cost per step: the lottery trainer's forward and backward pass on theta0 * mask (its own kernels)
plus an O(P) quickselect per group; benchmarks/survey_trainers.py measures it against the trainer.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, fields

import numpy as np

from ...errors import UserError
from ..lottery import init, tasks, trainer
from .supermask import check_keep, kept_count, lottery_mse

SCOPES = ("layer", "global")
OPTIMIZERS = ("adam", "sgd")
_SCORE_TAG = 0x73636F72  # separates score streams from the init and data streams


@dataclass(frozen=True)
class EdgePopupSettings:
    """Everything that determines an edge-popup network apart from its seed."""

    task: str
    activation: str
    width: int
    keep: float = 0.5
    scope: str = "layer"
    optimizer: str = "adam"
    steps: int = 50000
    lr: float = 1e-2
    lr_decay: float = 0.2
    lr_decay_every: int = 10000
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    momentum: float = 0.9  # sgd only
    weight_decay: float = 0.0
    n_train: int = 1000
    n_test: int | None = None
    x_range: tuple[float, float] | None = None
    data_seed: int = 0
    init_seed: int = 0
    init_scale: float = 1.0
    score_seed: int = 0
    curve_points: int = 51

    def train_settings(self) -> trainer.TrainSettings:
        """The lottery TrainSettings with the shared fields (data, schedule, init): its checks and data."""
        shared = {f.name for f in fields(trainer.TrainSettings)}
        return trainer.TrainSettings(**{k: v for k, v in asdict(self).items() if k in shared})

    def resolved(self) -> "EdgePopupSettings":
        self.validate()
        data = self.train_settings().data_spec().resolved()
        values = asdict(self)
        values.update(n_test=data.n_test, x_range=data.x_range)
        return EdgePopupSettings(**values)

    def validate(self) -> None:
        self.train_settings().validate()
        check_keep(self.keep)
        _require(self.scope in SCOPES, "scope", " or ".join(SCOPES), self.scope)
        _require(self.optimizer in OPTIMIZERS, "optimizer", " or ".join(OPTIMIZERS), self.optimizer)
        _require(0 <= self.momentum < 1, "momentum", "a number in [0, 1)", self.momentum)
        _require(math.isfinite(self.weight_decay) and self.weight_decay >= 0, "weight_decay", "a number >= 0",
                 self.weight_decay)
        _require(self.score_seed >= 0, "score_seed", "an integer >= 0", self.score_seed)

    def as_attrs(self) -> dict:
        """Flat dict of plain values, for HDF5 attributes and provenance."""
        values = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def _require(ok: bool, name: str, allowed: str, value) -> None:
    if not ok:
        raise UserError(f"{name} must be {allowed}, got {value!r}")


@dataclass
class EdgePopupResult:
    """Final scores and masks of S networks (indexed by seed position) and their losses."""

    settings: EdgePopupSettings
    seed: np.ndarray  # (S,)
    w0: np.ndarray  # (S, N, d) frozen weights
    b0: np.ndarray  # (S, N)
    v0: np.ndarray  # (S, N)
    c0: np.ndarray  # (S,)
    score_w: np.ndarray  # (S, N, d) final scores
    score_b: np.ndarray  # (S, N)
    score_v: np.ndarray  # (S, N)
    mask_w: np.ndarray  # (S, N, d) bool, final mask
    mask_b: np.ndarray  # (S, N) bool
    mask_v: np.ndarray  # (S, N) bool
    train_loss: np.ndarray  # (S,) MSE of the final masked network on the training set
    test_loss: np.ndarray  # (S,) and on the test set
    diverged: np.ndarray  # (S,) bool (a non-finite loss; not expected with frozen weights)
    loss_curve: np.ndarray  # (S, K) training MSE of the masked network at curve_step
    curve_step: np.ndarray  # (K,)
    seconds: float = 0.0

    def masked_parameters(self):
        """(w, b, v, c) of the final masked networks."""
        return self.w0 * self.mask_w, self.b0 * self.mask_b, self.v0 * self.mask_v, self.c0.copy()


def initial_scores(d: int, width: int, seeds, init_seed: int = 0, score_seed: int = 0):
    """Initial scores (S, N, d), (S, N), (S, N) of w, b, v: U(+-1/sqrt(d)) for the first layer,
    U(+-1/sqrt(N)) for v, one counter-based stream per (init_seed, score_seed, d, N, seed)."""
    seeds = np.asarray(seeds, dtype=np.int64)
    S = seeds.size
    sw, sb, sv = np.empty((S, width, d)), np.empty((S, width)), np.empty((S, width))
    first, second = 1.0 / math.sqrt(d), 1.0 / math.sqrt(width)
    for k, seed in enumerate(seeds):
        key = [_SCORE_TAG, int(init_seed), int(score_seed), int(d), int(width), int(seed)]
        rng = np.random.Generator(np.random.Philox(np.random.SeedSequence(key)))
        sw[k] = rng.uniform(-first, first, size=(width, d))
        sb[k] = rng.uniform(-first, first, size=width)
        sv[k] = rng.uniform(-second, second, size=width)
    return sw, sb, sv


def score_groups(width: int, d: int, scope: str, keep: float):
    """(bounds, kept): group g is the flat scores [bounds[g], bounds[g+1]) and keeps kept[g]."""
    first = width * d + width
    bounds = np.array([0, first, first + width] if scope == "layer" else [0, first + width], dtype=np.int64)
    kept = np.array([kept_count(int(hi - lo), keep) for lo, hi in zip(bounds[:-1], bounds[1:])], dtype=np.int64)
    return bounds, kept


def check_seeds(seeds) -> np.ndarray:
    """seeds as a non-empty 1-d int64 array of integers >= 0; a UserError naming them otherwise."""
    array = np.asarray(seeds)
    if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.integer) or array.min() < 0:
        raise UserError(f"seeds must be a non-empty list of integers >= 0, got {seeds!r}")
    return array.astype(np.int64)


def set_numba_threads(threads) -> None:
    import numba

    if threads is not None:
        if threads < 1:
            raise UserError(f"threads must be >= 1, got {threads}")
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


def train_edgepopup(settings: EdgePopupSettings, seeds, threads: int | None = None) -> EdgePopupResult:
    """Edge-popup for one network per seed, in parallel over networks (see the module docstring)."""
    import numba

    from . import _kernels
    from ..lottery import _kernels as lottery_kernels

    settings = settings.resolved()
    seeds = check_seeds(seeds)
    set_numba_threads(threads)
    N = settings.width
    x_train, y_train, x_test, y_test = tasks.make_dataset(settings.train_settings().data_spec())
    d = x_train.shape[1]
    S = seeds.size
    w0, b0, v0, c0 = init.scaled_initial_parameters(d, N, seeds, settings.init_seed, settings.init_scale)
    theta0 = np.ascontiguousarray(np.concatenate([w0.reshape(S, N * d), b0, v0, c0[:, None]], axis=1))
    sw, sb, sv = initial_scores(d, N, seeds, settings.init_seed, settings.score_seed)
    scores = np.ascontiguousarray(np.concatenate([sw.reshape(S, N * d), sb, sv], axis=1))
    bounds, kept = score_groups(N, d, settings.scope, settings.keep)
    order, half = trainer._mirrored_order(x_train)
    xT = np.ascontiguousarray(x_train[order].T)
    y = np.ascontiguousarray(y_train[order])
    store = trainer.keeps_activations(N, xT.shape[1], np.float64)
    steps_at = trainer.curve_steps(settings.steps, settings.curve_points)
    curve = np.empty((S, steps_at.size))
    masks = np.empty_like(scores)
    diverged = np.zeros(S, dtype=np.bool_)
    steps_done = np.zeros(S, dtype=np.int64)
    optimizer = _kernels.ADAM if settings.optimizer == "adam" else _kernels.SGD
    start = time.perf_counter()
    previous_chunk = numba.set_parallel_chunksize(1)  # networks handed out one at a time
    try:
        _kernels.edgepopup_batch(
            lottery_kernels.ACTIVATION_CODES[settings.activation], theta0, scores, N, d, xT, y, half, store, bounds,
            kept, settings.steps, settings.lr, settings.lr_decay, settings.lr_decay_every, optimizer, settings.beta1,
            settings.beta2, settings.eps, settings.momentum, settings.weight_decay, steps_at, curve, masks, diverged,
            steps_done,
        )
    finally:
        numba.set_parallel_chunksize(previous_chunk)
    seconds = time.perf_counter() - start
    mask = masks > 0.5
    mask_w = mask[:, : N * d].reshape(S, N, d)
    mask_b = mask[:, N * d : N * d + N]
    mask_v = mask[:, N * d + N :]
    masked = {"w": w0 * mask_w, "b": b0 * mask_b, "v": v0 * mask_v, "c": c0}
    train_loss = lottery_mse(masked, x_train, y_train, settings.activation)
    test_loss = lottery_mse(masked, x_test, y_test, settings.activation)
    diverged |= ~np.isfinite(train_loss) | ~np.isfinite(test_loss)
    return EdgePopupResult(
        settings, seeds.copy(), w0, b0, v0, c0, scores[:, : N * d].reshape(S, N, d).copy(),
        scores[:, N * d : N * d + N].copy(), scores[:, N * d + N :].copy(), mask_w.copy(), mask_b.copy(),
        mask_v.copy(), train_loss, test_loss, diverged, curve, steps_at, seconds,
    )
