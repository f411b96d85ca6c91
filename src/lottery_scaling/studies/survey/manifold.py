"""The paper's other Fig 2a statement as a statistic: trained first-layer (w, b) concentrate near a
curve (an "attractor manifold"), unlike at init.

Statistic (chosen because it needs no model of the curve's shape: the paper's curve is bell-shaped
with nearly vertical flanks at |w| ~ 0.9, which a fit of b against w cannot follow, and a principal
curve would have to be started on one of its two mirror branches): the length of the Euclidean
minimum spanning tree (MST, the shortest nearest-neighbour chain joining every neuron) of the points
(s w_i, b_i), against the same length after shuffling b over the neurons (the shuffled pairing null),

    R = L_MST(points) / median over shuffles of L_MST(s w_i, b_pi(i)),

s the RMS of the training inputs (the pairing's metric, studies/lottery/pairs/pairing.py: w and b
in units of pre-activation). For n points filling a region of area A the MST is about
0.7 sqrt(n A) long; for points on a curve of length l it is about l, and for a band of thickness
t around it about 0.7 sqrt(n l t). The shuffle keeps both marginal distributions and makes w and b
independent, so R ~ sqrt(area the cloud occupies / area of the product of its marginals):
R ~ 1 when w and b are unrelated (at init, w and b are drawn independently, so R ~ 1 there by
construction), R << 1 when the cloud concentrates on a curve (a thin band). The MST edges are also
what the figure draws as the fitted curve.

Neurons collapsed onto the origin (|(w, b)| < origin_tol, plain norm; wide networks trained at the
paper's lr park most neurons there) are left out and counted: they are a point, not a curve, and
shuffling would smear them along b. Points that coincide exactly count once (they add no length).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import UserError

DENSE_LIMIT = 200  # up to this many points the MST is taken over all pairs, above over the Delaunay edges (faster)
_SHUFFLE_TAG = 0x6D616E69  # separates the shuffle streams from the other survey streams


def _points(w, b, w_scale: float) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.ndim == 2:
        if w.shape[1] != 1:
            raise UserError(f"the manifold statistic needs d = 1 networks, got first-layer weights of shape {w.shape}")
        w = w[:, 0]
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if w.shape != b.shape:
        raise UserError(f"w and b differ in shape: {w.shape} vs {b.shape}")
    return np.column_stack([w_scale * w, b])


def mst_edges(points: np.ndarray) -> tuple[np.ndarray, float]:
    """(edges (E, 2) indices into the distinct points, total length) of the Euclidean MST of 2-d points;
    exact duplicates are merged first (the returned indices refer to np.unique(points, axis=0))."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree

    pts = np.unique(np.asarray(points, dtype=np.float64), axis=0)
    n = pts.shape[0]
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64), 0.0
    centred = pts - pts.mean(axis=0)
    sv = np.linalg.svd(centred, compute_uv=False)
    if sv[-1] <= 1e-12 * sv[0]:  # all on one line: the chain in order along it
        order = np.argsort(centred @ np.linalg.svd(centred, full_matrices=False)[2][0], kind="stable")
        edges = np.column_stack([order[:-1], order[1:]])
    elif n <= DENSE_LIMIT:
        from scipy.spatial.distance import pdist, squareform

        tree = minimum_spanning_tree(squareform(pdist(pts))).tocoo()
        edges = np.column_stack([tree.row, tree.col])
    else:
        from scipy.spatial import Delaunay, QhullError

        try:
            tri = Delaunay(pts)
        except QhullError:
            tri = Delaunay(pts, qhull_options="QJ")
        simplices = tri.simplices
        pairs = np.concatenate([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]])
        pairs = np.unique(np.sort(pairs, axis=1), axis=0)
        length = np.linalg.norm(pts[pairs[:, 0]] - pts[pairs[:, 1]], axis=1)
        graph = coo_matrix((length, (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        tree = minimum_spanning_tree(graph).tocoo()
        edges = np.column_stack([tree.row, tree.col])
    total = float(np.linalg.norm(pts[edges[:, 0]] - pts[edges[:, 1]], axis=1).sum())
    return edges.astype(np.int64), total


def mst_length(points: np.ndarray) -> float:
    return mst_edges(points)[1]


@dataclass
class CurveStatistic:
    ratio: float  # R = L_MST / median shuffled L_MST (NaN with fewer than min_neurons active neurons)
    length: float  # L_MST of the active neurons' (s w, b)
    shuffled_length: float  # median L_MST over the shuffles
    active: int  # neurons left after removing the collapsed ones
    collapsed: int  # neurons with |(w, b)| < origin_tol


def collapsed(w, b, origin_tol: float) -> np.ndarray:
    """Neurons within origin_tol of (w, b) = (0, 0) (plain Euclidean norm)."""
    p = _points(w, b, 1.0)
    return np.hypot(p[:, 0], p[:, 1]) < origin_tol


def curve_statistic(w, b, w_scale: float, origin_tol: float = 1e-3, shuffles: int = 20, min_neurons: int = 50,
                    seed: int = 0) -> CurveStatistic:
    """R of one d = 1 network (module docstring); the shuffles come from a stream keyed by `seed`."""
    if shuffles < 1:
        raise UserError(f"shuffles must be >= 1, got {shuffles}")
    pts = _points(w, b, w_scale)
    gone = collapsed(w, b, origin_tol)
    live = pts[~gone]
    n = live.shape[0]
    if n < max(3, min_neurons):
        return CurveStatistic(float("nan"), float("nan"), float("nan"), n, int(gone.sum()))
    length = mst_length(live)
    rng = np.random.Generator(np.random.Philox(np.random.SeedSequence([_SHUFFLE_TAG, int(seed)])))
    null = [mst_length(np.column_stack([live[:, 0], rng.permutation(live[:, 1])])) for _ in range(shuffles)]
    ref = float(np.median(null))
    ratio = length / ref if ref > 0 else float("nan")
    return CurveStatistic(float(ratio), float(length), ref, n, int(gone.sum()))


def shuffled_pairing(w, b, seed: int = 0, origin_tol: float = 1e-3):
    """(w, b) with b permuted over the neurons that are not collapsed onto the origin (those stay
    where they are, so the null network has the same collapsed neurons and the same marginals of the
    others): the shuffled-pairing null network."""
    rng = np.random.Generator(np.random.Philox(np.random.SeedSequence([_SHUFFLE_TAG, 1, int(seed)])))
    w = np.asarray(w, dtype=np.float64).copy()
    b = np.asarray(b, dtype=np.float64).copy()
    live = np.flatnonzero(~collapsed(w, b, origin_tol))
    b[live] = b[rng.permutation(live)]
    return w, b


MANIFOLD_COLUMNS = ("label", "width", "lr", "steps", "seed", "test_loss", "ratio_trained", "ratio_init",
                    "ratio_shuffled", "active", "collapsed", "collapsed_share")


def manifold_rows(result, label: str, settings=None) -> list[dict]:
    """One row per network of a trained-networks result (d = 1) that did not diverge: R of the
    trained (w, b), of the same seed's initialisation, and of the trained network with b shuffled
    over its neurons (the shuffled-pairing null network, ~1 by construction), with the collapsed count."""
    from ..bridge.data import initial_of, training_data
    from ..lottery.pairs.pairing import input_rms
    from .settings import ManifoldSettings

    settings = settings or ManifoldSettings()
    settings.validate()
    s = result.settings
    x, _ = training_data(s)
    scale = input_rms(x)
    w0, b0, _, _ = initial_of(result)
    kw = dict(origin_tol=settings.origin_tol, shuffles=settings.shuffles, min_neurons=settings.min_neurons)
    rows = []
    for k in np.flatnonzero(~np.asarray(result.diverged, bool)):
        seed = int(result.seed[k])
        trained = curve_statistic(result.w[k], result.b[k], scale, seed=seed, **kw)
        start = curve_statistic(w0[k], b0[k], scale, seed=seed, **kw)
        sw, sb = shuffled_pairing(result.w[k], result.b[k], seed, settings.origin_tol)
        shuffled = curve_statistic(sw, sb, scale, seed=seed, **kw)
        rows.append({"label": label, "width": s.width, "lr": s.lr, "steps": s.steps, "seed": seed,
                     "test_loss": float(result.test_loss[k]), "ratio_trained": trained.ratio, "ratio_init": start.ratio,
                     "ratio_shuffled": shuffled.ratio, "active": trained.active, "collapsed": trained.collapsed,
                     "collapsed_share": trained.collapsed / s.width})
    return rows
