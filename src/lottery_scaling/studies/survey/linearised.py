"""The tangent-space network (Wentworth's version of the lottery ticket hypothesis), and how far
a trained network moves from its initialisation.

f_lin(x; theta) = f(x; theta0) + J(theta0) (theta - theta0), J the Jacobian of the network output
with respect to the parameters at theta0, trained with the lottery trainer's full-batch Adam and
schedule (the lottery `TrainSettings`; float64 only) from theta = theta0 on the same data and
initialisation of each seed. For f = sum_i v_i act(w_i . x + b_i) + c:

    df/dv_i = act(z0_i),  df/db_i = v0_i act'(z0_i),  df/dw_ik = v0_i act'(z0_i) x_k,  df/dc = 1,

so the kernel keeps act(z0) and v0 act'(z0) per (neuron, sample) (2 x N x M per network,
computed once) instead of J, and the MSE gradient J^T dLoss/df is three dot products per neuron.
The loss is a convex quadratic in theta, so what Adam reaches is the tangent space's own answer.

`relative_movement` gives |theta - theta0| / |theta0| (Euclidean norm over all of w, b, v, c);
`trained_movement` computes it for a lottery TrainResult (init recomputed from its settings).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ...errors import UserError
from ..lottery import init, model, tasks, trainer
from ..lottery.trainer import TrainResult, TrainSettings


@dataclass
class LinearisedResult:
    """Final parameters and losses of S linearised networks (indexed by seed position)."""

    settings: TrainSettings
    seed: np.ndarray  # (S,)
    w: np.ndarray  # (S, N, d) final theta = theta0 + dtheta
    b: np.ndarray
    v: np.ndarray
    c: np.ndarray
    w0: np.ndarray  # theta0
    b0: np.ndarray
    v0: np.ndarray
    c0: np.ndarray
    train_loss: np.ndarray  # (S,) MSE of f_lin on the training set
    test_loss: np.ndarray  # (S,) and on the test set
    network_train_loss: np.ndarray  # (S,) MSE of the network f itself at the final theta
    network_test_loss: np.ndarray
    movement: np.ndarray  # (S,) |theta - theta0| / |theta0|
    diverged: np.ndarray  # (S,) bool
    loss_curve: np.ndarray  # (S, K) training MSE of f_lin at curve_step
    curve_step: np.ndarray  # (K,)
    seconds: float = 0.0


def _flat(w, b, v, c):
    S = b.shape[0]
    return np.concatenate([np.reshape(w, (S, -1)), b, v, np.reshape(c, (S, 1))], axis=1)


def relative_movement(initial, final) -> np.ndarray:
    """|theta - theta0| / |theta0| per network, for (w, b, v, c) tuples with a leading seed axis."""
    t0 = _flat(*(np.asarray(a, dtype=np.float64) for a in initial))
    t1 = _flat(*(np.asarray(a, dtype=np.float64) for a in final))
    if t0.shape != t1.shape:
        raise UserError(f"initial and final parameters differ in shape: {t0.shape} vs {t1.shape}")
    return np.linalg.norm(t1 - t0, axis=1) / np.linalg.norm(t0, axis=1)


def trained_movement(result: TrainResult, initial=None) -> np.ndarray:
    """relative_movement of a lottery TrainResult from its seeds' initialisation
    (init.scaled_initial_parameters with the result's init_seed and init_scale); pass
    initial=(w0, b0, v0, c0) for a network trained from given parameters (train_from)."""
    s = result.settings
    if initial is None:
        initial = init.scaled_initial_parameters(result.w.shape[2], s.width, result.seed, s.init_seed, s.init_scale)
    return relative_movement(initial, (result.w, result.b, result.v, result.c))


def linearised_predict(initial, final, x: np.ndarray, act: str) -> np.ndarray:
    """f_lin(x; theta) of each network, (S, M), numpy float64: f(x; theta0) + J(theta0) (theta - theta0)."""
    w0, b0, v0, c0 = (np.asarray(a, dtype=np.float64) for a in initial)
    w, b, v, c = (np.asarray(a, dtype=np.float64) for a in final)
    z0 = np.einsum("md,snd->smn", x, w0) + b0[:, None, :]
    h0 = model.activation(act, z0)
    slope = model.activation_derivative(act, z0)
    moved = np.einsum("md,snd->smn", x, w - w0) + (b - b0)[:, None, :]
    f0 = np.einsum("smn,sn->sm", h0, v0) + c0[:, None]
    return (f0 + np.einsum("smn,sn->sm", h0, v - v0) + np.einsum("smn,sn->sm", slope * moved, v0)
            + (c - c0)[:, None])


def linearised_mse(initial, final, x, y, act: str, block_elems: int = 2**22) -> np.ndarray:
    """MSE of f_lin per network on (x, y), in blocks of networks."""
    S, N = np.asarray(initial[1]).shape
    out = np.empty(S)
    per = max(1, block_elems // max(1, N * x.shape[0]))
    with np.errstate(all="ignore"):
        for lo in range(0, S, per):
            sl = slice(lo, min(S, lo + per))
            pred = linearised_predict([a[sl] for a in initial], [a[sl] for a in final], x, act)
            out[sl] = np.mean((pred - y) ** 2, axis=1)
    return out


def train_linearised(settings: TrainSettings, seeds, threads: int | None = None) -> LinearisedResult:
    """Train the linearised network of each seed with the lottery trainer's Adam and schedule,
    in parallel over networks (numba)."""
    import numba

    from . import _kernels
    from ..lottery import _kernels as lottery_kernels
    from .edgepopup import check_seeds, set_numba_threads

    settings = settings.resolved()
    if settings.dtype != "float64":
        raise UserError(f"the linearised trainer runs in float64 only, got dtype {settings.dtype!r}")
    if settings.snapshots:
        raise UserError("the linearised trainer keeps no snapshots; set snapshots to false")
    seeds = check_seeds(seeds)
    set_numba_threads(threads)
    N = settings.width
    x_train, y_train, x_test, y_test = tasks.make_dataset(settings.data_spec())
    d = x_train.shape[1]
    S = seeds.size
    w0, b0, v0, c0 = init.scaled_initial_parameters(d, N, seeds, settings.init_seed, settings.init_scale)
    theta0 = np.ascontiguousarray(_flat(w0, b0, v0, c0))
    dtheta = np.zeros_like(theta0)
    xT = np.ascontiguousarray(x_train.T)
    y = np.ascontiguousarray(y_train)
    steps_at = trainer.curve_steps(settings.steps, settings.curve_points)
    curve = np.empty((S, steps_at.size))
    diverged = np.zeros(S, dtype=np.bool_)
    steps_done = np.zeros(S, dtype=np.int64)
    start = time.perf_counter()
    previous_chunk = numba.set_parallel_chunksize(1)
    try:
        _kernels.linearised_batch(
            lottery_kernels.ACTIVATION_CODES[settings.activation], theta0, dtheta, N, d, xT, y, settings.steps,
            settings.lr, settings.lr_decay, settings.lr_decay_every, settings.beta1, settings.beta2, settings.eps,
            steps_at, curve, diverged, steps_done,
        )
    finally:
        numba.set_parallel_chunksize(previous_chunk)
    seconds = time.perf_counter() - start
    theta = theta0 + dtheta
    w = theta[:, : N * d].reshape(S, N, d)
    b = theta[:, N * d : N * d + N].copy()
    v = theta[:, N * d + N : N * d + 2 * N].copy()
    c = theta[:, -1].copy()
    initial, final = (w0, b0, v0, c0), (w, b, v, c)
    train_loss = linearised_mse(initial, final, x_train, y_train, settings.activation)
    test_loss = linearised_mse(initial, final, x_test, y_test, settings.activation)
    net_train = trainer.evaluate_losses(settings, w, b, v, c, x_train, y_train)
    net_test = trainer.evaluate_losses(settings, w, b, v, c, x_test, y_test)
    diverged |= ~np.isfinite(train_loss) | ~np.isfinite(test_loss)
    movement = np.linalg.norm(dtheta, axis=1) / np.linalg.norm(theta0, axis=1)
    return LinearisedResult(settings, seeds.copy(), w, b, v, c, w0, b0, v0, c0, train_loss, test_loss, net_train,
                            net_test, movement, diverged, curve, steps_at, seconds)


LINEARISED_COLUMNS = ("label", "task", "activation", "width", "lr", "steps", "seed", "trained_train_loss",
                      "trained_test_loss", "trained_movement", "linearised_train_loss", "linearised_test_loss",
                      "linearised_network_test_loss", "linearised_movement", "linearised_diverged", "collapsed_share")


def linearised_rows(result: TrainResult, label: str, max_seeds: int | None = None, threads: int | None = None,
                    origin_tol: float = 1e-3) -> list[dict]:
    """One row per network of a trained-networks result that did not diverge (the first max_seeds):
    the trained network's losses and movement beside its linearised twin's (same settings, seed,
    data and initialisation; float64 even for networks trained in float32); collapsed_share = neurons of the trained network within origin_tol
    of (w, b) = (0, 0)."""
    from dataclasses import replace

    ok = np.flatnonzero(~np.asarray(result.diverged, bool))
    if max_seeds is not None:
        ok = ok[:max_seeds]
    if ok.size == 0:
        raise UserError("every network diverged in training: nothing to linearise")
    s = result.settings
    # the twin runs in float64 (its trainer's only dtype) whatever the networks were trained in
    lin = train_linearised(replace(s, snapshots=False, dtype="float64"), result.seed[ok], threads=threads)
    moved = trained_movement(result)[ok]
    rows = []
    for j, k in enumerate(ok):
        gone = np.hypot(np.linalg.norm(result.w[k], axis=1), result.b[k]) < origin_tol
        rows.append({
            "label": label, "task": s.task, "activation": s.activation, "width": s.width, "lr": s.lr, "steps": s.steps,
            "seed": int(result.seed[k]), "trained_train_loss": float(result.train_loss[k]),
            "trained_test_loss": float(result.test_loss[k]), "trained_movement": float(moved[j]),
            "linearised_train_loss": float(lin.train_loss[j]), "linearised_test_loss": float(lin.test_loss[j]),
            "linearised_network_test_loss": float(lin.network_test_loss[j]), "linearised_movement": float(lin.movement[j]),
            "linearised_diverged": bool(lin.diverged[j]), "collapsed_share": float(gone.mean()),
        })
    return rows
