"""IMP with rewinding (Frankle & Carbin) on the lottery study's networks, for the survey's test.

The same procedure as the race study's IMP (studies/race/imp.py; its pruning step and sparsity
schedule are reused, so "IMP" means one thing in the project): the weights w and v are pruned
together by global magnitude, biases b and c never; to reach sparsity p in R rounds, round k leaves
total - round(total (1 - (1 - p)^(k / R))) weights alive (the last round exactly
total - round(p total)); each round trains the masked network from the seed's own initialisation
(rewinding: w0, b0, v0, c0 with pruned weights 0, the same data and schedule) and prunes by
|final weight| among the alive ones, ties to the lower flat index [w, v]. Round 1 is the unpruned
network, which the trained-networks file already holds (the trainer is deterministic per seed), so
it is read, not retrained. After the last pruning the ticket is trained once more, for its loss.

Masked training (`train_masked`) is the lottery trainer's step (its own kernels) with the gradient
of pruned entries set to 0: Adam's moments of a pruned weight stay 0 and the weight stays exactly 0.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from ...errors import UserError
from ..lottery import init, tasks, trainer
from ..lottery.trainer import TrainResult, TrainSettings


def _flat(w, b, v, c):
    S = b.shape[0]
    return np.concatenate([np.reshape(w, (S, -1)), b, v, np.reshape(c, (S, 1))], axis=1)


def train_masked(settings: TrainSettings, seeds, initial, masks, threads: int | None = None) -> TrainResult:
    """Train one network per seed from `initial` = (w0, b0, v0, c0) with masks {"w", "b", "v"}
    (bool, shapes of w0, b0, v0; a missing name is all kept; c is never masked). Pruned entries
    start at 0 and stay 0. The seeds only label the networks. float64 only."""
    import numba

    from . import _kernels
    from ..lottery import _kernels as lottery_kernels
    from .edgepopup import check_seeds, set_numba_threads

    settings = settings.resolved()
    if settings.dtype != "float64":
        raise UserError(f"masked training runs in float64 only, got dtype {settings.dtype!r}")
    seeds = check_seeds(seeds)
    set_numba_threads(threads)
    N = settings.width
    x_train, y_train, x_test, y_test = tasks.make_dataset(settings.data_spec())
    d = x_train.shape[1]
    S = seeds.size
    w0, b0, v0, c0 = (np.asarray(a, dtype=np.float64) for a in initial)
    shapes = {"w": (S, N, d), "b": (S, N), "v": (S, N)}
    for name, a in zip(("w", "b", "v", "c"), (w0, b0, v0, c0)):
        want = shapes.get(name, (S,))
        if a.shape != want:
            raise UserError(f"initial {name} must have shape {want} for {S} seeds of width {N}, got {a.shape}")
    full = {n: np.ones(shapes[n], dtype=bool) for n in shapes}
    for name, m in masks.items():
        if name not in shapes:
            raise UserError(f"masks name the parameters w, b and v only, got {name!r}")
        if np.shape(m) != shapes[name]:
            raise UserError(f"mask of {name} must have shape {shapes[name]}, got {np.shape(m)}")
        full[name] = np.asarray(m, dtype=bool)
    mask = np.ascontiguousarray(_flat(full["w"], full["b"], full["v"], np.ones(S)).astype(np.float64))
    theta = np.ascontiguousarray(_flat(w0, b0, v0, c0) * mask)
    order, half = trainer._mirrored_order(x_train)
    xT = np.ascontiguousarray(x_train[order].T)
    y = np.ascontiguousarray(y_train[order])
    store = trainer.keeps_activations(N, xT.shape[1], np.float64)
    steps_at = trainer.curve_steps(settings.steps, settings.curve_points)
    curve = np.empty((S, steps_at.size))
    diverged = np.zeros(S, dtype=np.bool_)
    steps_done = np.zeros(S, dtype=np.int64)
    start = time.perf_counter()
    previous_chunk = numba.set_parallel_chunksize(1)
    try:
        _kernels.masked_batch(
            lottery_kernels.ACTIVATION_CODES[settings.activation], theta, mask, N, d, xT, y, half, store, settings.steps,
            settings.lr, settings.lr_decay, settings.lr_decay_every, settings.beta1, settings.beta2, settings.eps,
            steps_at, curve, diverged, steps_done,
        )
    finally:
        numba.set_parallel_chunksize(previous_chunk)
    seconds = time.perf_counter() - start
    w = theta[:, : N * d].reshape(S, N, d).copy()
    b = theta[:, N * d : N * d + N].copy()
    v = theta[:, N * d + N : N * d + 2 * N].copy()
    c = theta[:, -1].copy()
    train_loss = trainer.evaluate_losses(settings, w, b, v, c, x_train, y_train)
    test_loss = trainer.evaluate_losses(settings, w, b, v, c, x_test, y_test)
    diverged |= ~np.isfinite(train_loss) | ~np.isfinite(test_loss)
    return TrainResult(settings, seeds.copy(), w, b, v, c, train_loss, test_loss, diverged, curve, steps_at, seconds)


@dataclass
class ImpResult:
    """IMP masks of S networks at K sparsities, and the rewound tickets' losses after training."""

    settings: TrainSettings
    seed: np.ndarray  # (S,)
    sparsity: np.ndarray  # (K,) target sparsities
    mask_w: np.ndarray  # (S, K, N, d) bool
    mask_v: np.ndarray  # (S, K, N) bool
    sparsity_reached: np.ndarray  # (S, K) pruned share of w and v
    ticket_train_loss: np.ndarray  # (S, K)
    ticket_test_loss: np.ndarray  # (S, K)
    diverged: np.ndarray  # (S, K) bool: a round or the ticket's training diverged
    seconds: float = 0.0


def imp(result: TrainResult, sparsities, rounds: int = 3, threads: int | None = None) -> ImpResult:
    """IMP with rewinding of every network of `result` (trained networks of a lottery file; round 1's
    pruning uses their final weights) to each sparsity (module docstring). Diverged networks raise."""
    from ..race.imp import _prune, _target_alive

    if rounds < 1:
        raise UserError(f"rounds must be >= 1, got {rounds}")
    sparsities = [float(p) for p in sparsities]
    for p in sparsities:
        if not 0 < p < 1:
            raise UserError(f"sparsity must be a number in (0, 1), got {p!r}")
    if result.diverged.any():
        raise UserError(f"seeds {[int(s) for s in result.seed[result.diverged]]} diverged in training: nothing to prune")
    s = replace(result.settings, snapshots=False)
    S, N, d = result.w.shape
    w0, b0, v0, c0 = init.scaled_initial_parameters(d, N, result.seed, s.init_seed, s.init_scale)
    pairs = [(k, p) for k in range(S) for p in sparsities]
    idx = np.array([k for k, _ in pairs])
    seeds = result.seed[idx]
    total = N * d + N
    mw = np.ones((len(pairs), N, d))
    mv = np.ones((len(pairs), 1, N))
    final_w, final_v = result.w[idx], result.v[idx]
    diverged = np.zeros(len(pairs), dtype=bool)
    start = time.perf_counter()
    ticket = None
    for k in range(1, rounds + 1):
        for j, (_, p) in enumerate(pairs):
            alive = int(mw[j].sum() + mv[j].sum())
            mw[j], mv[j] = _prune(final_w[j], final_v[j][None, :], mw[j], mv[j], alive - _target_alive(total, p, k, rounds))
        masks = {"w": mw > 0.5, "v": mv[:, 0] > 0.5}
        trained = train_masked(s, seeds, (w0[idx], b0[idx], v0[idx], c0[idx]), masks, threads)
        diverged |= trained.diverged
        final_w, final_v = trained.w, trained.v
        ticket = trained  # after the last pruning: the ticket trained once more
    K = len(sparsities)
    reached = 1.0 - (mw.reshape(len(pairs), -1).sum(1) + mv.reshape(len(pairs), -1).sum(1)) / total
    return ImpResult(
        s, result.seed.copy(), np.array(sparsities), (mw > 0.5).reshape(S, K, N, d), (mv[:, 0] > 0.5).reshape(S, K, N),
        reached.reshape(S, K), ticket.train_loss.reshape(S, K), ticket.test_loss.reshape(S, K), diverged.reshape(S, K),
        time.perf_counter() - start,
    )
