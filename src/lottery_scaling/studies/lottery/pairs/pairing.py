"""Symmetric neurons: pairing the hidden neurons of a d = 1 network into (w, b) ~ (-w, b) pairs.

Paper: Liu & Tegmark (2023), section 3 and appendix C. A lottery ticket of the x^2 task is a
pair of "symmetric" neurons with first-layer parameters (w, b) and (-w, b).

Mirror distance (the documented distance of this stage)
    For a neuron i with pre-activation z_i(x) = w_i x + b_i, its mirror partner j should
    satisfy z_j(-x) = z_i(x) for every input. We measure how far that is from true by the
    root mean square over the training inputs of z_i(x) - z_j(-x) = (w_i + w_j) x + (b_i - b_j):

        D_ij = sqrt( s^2 (w_i + w_j)^2 + (b_i - b_j)^2 ),   s = RMS of the training inputs,

    (exact when the input interval is symmetric about 0, as for every d = 1 task here; the
    cross term with the mean input is dropped). D is in units of pre-activation, so w and b
    are weighed by how much they move the neuron's input to its activation. s can be set
    explicitly (`w_scale`); s = 1 gives the plain Euclidean distance between (w_i, b_i) and
    the mirror (-w_j, b_j).

Pairing
    Neurons with w > 0 are matched to neurons with w <= 0 (a neuron with w = 0 is its own
    mirror and joins the w <= 0 side) by the assignment that minimises the total mirror
    distance (scipy.optimize.linear_sum_assignment, Hungarian-type algorithm). min(n_pos,
    n_neg) pairs result; the |n_pos - n_neg| neurons of the larger side are the unmatched
    remainder.

Asymmetry score of a pair
    a_ij = D_ij / (r_i + r_j), r_k = sqrt(s^2 w_k^2 + b_k^2) (the RMS pre-activation of
    neuron k). By the triangle inequality 0 <= a_ij <= 1; 0 is an exact mirror pair. The
    score is scale free, so one threshold serves all networks.

Width 2
    A width-2 network is *symmetric* when its two neurons have opposite signs of w, their
    asymmetry score is below `threshold` and their output weights agree to the same
    relative tolerance, |v_1 - v_2| / (|v_1| + |v_2|) < threshold (the paper's
    w_1 = -w_2, b_1 = b_2, v_1 = v_2, which makes f an even function).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from ....errors import UserError


def input_rms(x: np.ndarray) -> float:
    """RMS of the (d = 1) inputs: the default weight scale s of the mirror distance."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    return float(np.sqrt(np.mean(x**2)))


def _flat_d1(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.ndim == 2:
        if w.shape[1] != 1:
            raise UserError(f"pairing needs d = 1 inputs, got first-layer weights of shape {w.shape}")
        w = w[:, 0]
    if w.ndim != 1:
        raise UserError(f"pairing needs weights of shape (N,) or (N, 1), got {w.shape}")
    return w


def mirror_distance_matrix(w_a, b_a, w_b, b_b, w_scale: float = 1.0) -> np.ndarray:
    """D[i, j] between neuron i of set a and the mirror image of neuron j of set b."""
    w_a, w_b = _flat_d1(w_a), _flat_d1(w_b)
    dw = w_scale * (w_a[:, None] + w_b[None, :])
    db = np.asarray(b_a, dtype=np.float64)[:, None] - np.asarray(b_b, dtype=np.float64)[None, :]
    return np.hypot(dw, db)


def plain_distance_matrix(w_a, b_a, w_b, b_b, w_scale: float = 1.0) -> np.ndarray:
    """The same metric without the mirror: distance between neuron i of a and neuron j of b."""
    w_a, w_b = _flat_d1(w_a), _flat_d1(w_b)
    dw = w_scale * (w_a[:, None] - w_b[None, :])
    db = np.asarray(b_a, dtype=np.float64)[:, None] - np.asarray(b_b, dtype=np.float64)[None, :]
    return np.hypot(dw, db)


@dataclass
class Pairing:
    """Pairs of one network: index arrays into its neurons and per-pair scores."""

    pos: np.ndarray  # (P,) index of the neuron with w > 0
    neg: np.ndarray  # (P,) index of its mirror partner (w <= 0)
    distance: np.ndarray  # (P,) mirror distance D
    asymmetry: np.ndarray  # (P,) D / (r_pos + r_neg), in [0, 1]
    unmatched: np.ndarray  # indices of neurons left without a partner

    @property
    def n_pairs(self) -> int:
        return int(self.pos.size)


def pair_neurons(w, b, w_scale: float = 1.0) -> Pairing:
    """Pair the neurons of one d = 1 network (see module docstring). Pairs are sorted by distance."""
    w = _flat_d1(w)
    b = np.asarray(b, dtype=np.float64)
    idx_pos = np.flatnonzero(w > 0)
    idx_neg = np.flatnonzero(~(w > 0))
    if idx_pos.size == 0 or idx_neg.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Pairing(empty, empty, np.zeros(0), np.zeros(0), np.arange(w.size, dtype=np.int64))
    cost = mirror_distance_matrix(w[idx_pos], b[idx_pos], w[idx_neg], b[idx_neg], w_scale)
    rows, cols = linear_sum_assignment(cost)
    pos, neg = idx_pos[rows], idx_neg[cols]
    dist = cost[rows, cols]
    radius = np.hypot(w_scale * w, b)
    denom = radius[pos] + radius[neg]
    asym = np.divide(dist, denom, out=np.zeros_like(dist), where=denom > 0)
    order = np.argsort(dist, kind="stable")
    matched = np.zeros(w.size, dtype=bool)
    matched[pos] = True
    matched[neg] = True
    return Pairing(pos[order].astype(np.int64), neg[order].astype(np.int64), dist[order], asym[order],
                   np.flatnonzero(~matched).astype(np.int64))


def on_axis(w, b, w_scale: float, threshold: float) -> np.ndarray:
    """Neurons that are (nearly) their own mirror image: asymmetry score of the pair (i, i),
    s |w_i| / r_i, below `threshold`. Such neurons sit on the axis w = 0; the sign split
    cannot pair two of them when they share the sign of w, so they are reported apart."""
    w = _flat_d1(w)
    b = np.asarray(b, dtype=np.float64)
    r = np.hypot(w_scale * w, b)
    score = np.divide(w_scale * np.abs(w), r, out=np.zeros_like(r), where=r > 0)
    return score < threshold


def v_asymmetry(v1, v2) -> np.ndarray:
    """|v_1 - v_2| / (|v_1| + |v_2|): 0 when the output weights are equal, 1 at opposite signs."""
    v1, v2 = np.asarray(v1, dtype=np.float64), np.asarray(v2, dtype=np.float64)
    denom = np.abs(v1) + np.abs(v2)
    return np.divide(np.abs(v1 - v2), denom, out=np.zeros(np.broadcast(v1, v2).shape), where=denom > 0)


def width2_symmetric(w, b, v, w_scale: float, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Classify width-2 networks. w (S, 2[, 1]), b, v (S, 2).

    Returns (symmetric (S,) bool, asymmetry (S,), v_asymmetry (S,)); asymmetry is 1 where
    both neurons have the same sign of w (no mirror pair exists).
    """
    w = np.asarray(w, dtype=np.float64)
    if w.ndim == 3:
        w = w[..., 0]
    b, v = np.asarray(b, dtype=np.float64), np.asarray(v, dtype=np.float64)
    if w.shape[-1] != 2:
        raise UserError(f"width-2 classification needs 2 neurons, got {w.shape[-1]}")
    opposite = (w[:, 0] > 0) != (w[:, 1] > 0)
    dist = np.hypot(w_scale * (w[:, 0] + w[:, 1]), b[:, 0] - b[:, 1])
    denom = np.hypot(w_scale * w[:, 0], b[:, 0]) + np.hypot(w_scale * w[:, 1], b[:, 1])
    asym = np.divide(dist, denom, out=np.zeros_like(dist), where=denom > 0)
    asym = np.where(opposite, asym, 1.0)
    vasym = v_asymmetry(v[:, 0], v[:, 1])
    return opposite & (asym < threshold) & (vasym < threshold), asym, vasym


def mirror_nn_ratio(w, b, w_scale: float = 1.0) -> tuple[float, float, float]:
    """Symmetric-neuron statistic of one network and its non-symmetric null.

    For every neuron i: m_i = min_{j != i} D(i, mirror of j) (mirrored nearest-neighbour
    distance) and p_i = min_{j != i} |(w_i, b_i) - (w_j, b_j)| in the same metric (plain
    nearest-neighbour distance, the null). If the neuron cloud is symmetric under
    (w, b) -> (-w, b), the mirrored cloud has the same density as the cloud itself, so m and
    p are alike and T = median(m) / median(p) is about 1 (below 1 when the neurons come in
    near-exact pairs). Without that symmetry the mirror image of a neuron lands in an empty
    region and T >> 1. Returns (T, median m, median p); NaN for fewer than 3 neurons.
    """
    w = _flat_d1(w)
    b = np.asarray(b, dtype=np.float64)
    if w.size < 3:
        return float("nan"), float("nan"), float("nan")
    m = _nn_min(w, b, w_scale, mirror=True)
    p = _nn_min(w, b, w_scale, mirror=False)
    med_m, med_p = float(np.median(m)), float(np.median(p))
    ratio = med_m / med_p if med_p > 0 else (float("inf") if med_m > 0 else 1.0)
    return ratio, med_m, med_p


def _nn_min(w, b, w_scale, mirror: bool, block: int = 2048) -> np.ndarray:
    """Row minima (excluding i == j) of the mirror or plain distance matrix, in blocks (N up to 1e4+)."""
    n = w.size
    out = np.empty(n)
    fn = mirror_distance_matrix if mirror else plain_distance_matrix
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        d = fn(w[lo:hi], b[lo:hi], w, b, w_scale)
        d[np.arange(hi - lo), np.arange(lo, hi)] = np.inf
        out[lo:hi] = d.min(axis=1)
    return out
