"""Distilling a width-2 network from the best lottery ticket of a wide network.

Paper: Liu & Tegmark (2023), appendix D and Figure 13. From a wide network take the ticket
(mirror pair, lottery_scaling.pairing) with the highest R^2 (lottery_scaling.tickets), copy
its two neurons' first-layer (w, b) into a width-2 network, and fit the second layer
(v_1, v_2, c) by linear least squares in float64 on the training set; report train and
test MSE of the distilled network.

The least-squares solve uses a QR factorisation of the column-equilibrated design matrix
[act(w_1 x + b_1), act(w_2 x + b_2), 1] without truncating small singular values, so the
extremely ill-conditioned solutions of the paper (|v| ~ 1e12) are found; it falls back to
the SVD solution (numpy.linalg.lstsq) only when the matrix is numerically rank deficient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import activation, mse
from .tickets import analyse_network


def fit_second_layer(w, b, x, y, act: str) -> tuple[np.ndarray, float]:
    """Least-squares (v, c) for fixed first-layer w (K,), b (K,) on inputs x (M,) / (M, 1)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64)
    design = np.column_stack([activation(act, wi * x + bi) for wi, bi in zip(w, b)] + [np.ones_like(x)])
    scale = np.linalg.norm(design, axis=0)
    scale[scale == 0] = 1.0
    a = design / scale
    q, r = np.linalg.qr(a)
    diag = np.abs(np.diag(r))
    if diag.min() > 1e-300 and np.all(np.isfinite(r)):
        coef = np.linalg.solve(r, q.T @ y)  # r is upper triangular and non-singular
        if not np.all(np.isfinite(coef)):
            coef = np.linalg.lstsq(a, y, rcond=None)[0]
    else:
        coef = np.linalg.lstsq(a, y, rcond=None)[0]
    coef = coef / scale
    return coef[:-1], float(coef[-1])


@dataclass
class Distilled:
    ticket: int  # index of the pair among the network's pairs (sorted by mirror distance)
    r2: float
    w: np.ndarray  # (2,)
    b: np.ndarray  # (2,)
    v: np.ndarray  # (2,)
    c: float
    train_loss: float
    test_loss: float


def distill_network(w, b, v, x_train, y_train, x_test, y_test, act: str, w_scale: float) -> Distilled | None:
    """Distill one wide d = 1 network; None when it has no mirror pair."""
    nt = analyse_network(w, b, v, x_train, y_train, act, w_scale)
    if nt.pairing.n_pairs == 0:
        return None
    k = int(np.argmax(nt.fit.r2))
    idx = np.array([nt.pairing.neg[k], nt.pairing.pos[k]])  # neuron 1 has w <= 0, as in the paper
    w_flat = np.asarray(w, dtype=np.float64).reshape(-1)
    w2, b2 = w_flat[idx], np.asarray(b, dtype=np.float64)[idx]
    v2, c2 = fit_second_layer(w2, b2, x_train, y_train, act)

    def loss(x, y):
        return float(mse(w2[:, None], b2, v2, c2, np.asarray(x, dtype=np.float64).reshape(-1, 1), y, act))

    return Distilled(k, float(nt.fit.r2[k]), w2, b2, v2, c2, loss(x_train, y_train), loss(x_test, y_test))
