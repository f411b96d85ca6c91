"""Width-2 "algorithms": clustering the 7 parameters of width-2 networks.

Paper: Liu & Tegmark (2023), appendix B and Figures 9-11.

Parameter vector
    p = (w_1, w_2, b_1, b_2, v_1, v_2, c) for d = 1.
Symmetries modded out
    Swapping the two neurons never changes the function. When the target is even on the
    (symmetric) training grid, y(-x) = y(x), the input reflection x -> -x (w_1, w_2 -> -w_1,
    -w_2) maps every network to one with exactly the same loss, so it is modded out as well;
    the group G then has 4 elements, otherwise 2.
Canonical form
    Start: neuron 1 is the one with the smaller b (ties: smaller w); with reflection, the sign
    of both w is chosen so that w_1 >= 0. Then "clustering modulo G": fit the clusters, move
    every network to the element of its G-orbit with the highest likelihood under the fitted
    mixture, refit, until no network moves (at most `align_iterations` rounds). Any single
    ordering rule (sort by w, by b, ...) splits a cluster whose two neurons are close in that
    key; the alignment step does not.
Features
    asinh of each canonical parameter (linear for |p| < 1, logarithmic beyond, so rare
    networks with huge output weights do not dominate), standardised per column.
Clustering
    Gaussian mixture (full covariances, scikit-learn) for K = 1..max_clusters; K minimises
    the Bayesian information criterion (BIC). Clusters are numbered 1..K by increasing median
    test loss, so cluster 1 is the lowest-loss algorithm. PCA (of the same features) is for
    the picture (paper Fig 9) only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ....errors import UserError

PARAM_NAMES = ("w1", "w2", "b1", "b2", "v1", "v2", "c")


def stack_params(w, b, v, c) -> np.ndarray:
    """(S, 7) parameter vectors from w (S, 2[, 1]), b (S, 2), v (S, 2), c (S,)."""
    w = np.asarray(w, dtype=np.float64)
    if w.ndim == 3:
        if w.shape[2] != 1:
            raise UserError(f"width-2 algorithms need d = 1, got w of shape {w.shape}")
        w = w[..., 0]
    b, v, c = (np.asarray(a, dtype=np.float64) for a in (b, v, c))
    if w.shape[1:] != (2,):
        raise UserError(f"width-2 algorithms need 2 neurons, got w of shape {w.shape}")
    return np.column_stack([w, b, v, c])


def swap(p: np.ndarray) -> np.ndarray:
    return p[:, [1, 0, 3, 2, 5, 4, 6]]


def reflect(p: np.ndarray) -> np.ndarray:
    q = p.copy()
    q[:, :2] *= -1
    return q


def orbit(p: np.ndarray, with_reflection: bool) -> list[np.ndarray]:
    """The images of every network under the symmetry group (list of (S, 7) arrays)."""
    out = [p, swap(p)]
    if with_reflection:
        out += [reflect(p), reflect(swap(p))]
    return out


def initial_canonical(p: np.ndarray, with_reflection: bool) -> np.ndarray:
    """Neuron 1 has the smaller b (ties: smaller w); with reflection, w_1 >= 0."""
    p = np.asarray(p, dtype=np.float64)
    key_swap = (p[:, 3] < p[:, 2]) | ((p[:, 3] == p[:, 2]) & (p[:, 1] < p[:, 0]))
    q = np.where(key_swap[:, None], swap(p), p)
    if with_reflection:
        q = np.where((q[:, 0] < 0)[:, None], reflect(q), q)
    return q


def is_even_target(y_of_x, x: np.ndarray) -> bool:
    """True when y(-x) == y(x) (to 1e-12 relative) on the given inputs."""
    y1, y2 = y_of_x(x), y_of_x(-x)
    return bool(np.allclose(y1, y2, rtol=1e-12, atol=1e-12 * max(1.0, float(np.max(np.abs(y1))))))


def features(p: np.ndarray) -> np.ndarray:
    return np.arcsinh(p)


@dataclass
class Clustering:
    canonical: np.ndarray  # (S, 7) aligned parameters
    labels: np.ndarray  # (S,) 1..K, by increasing median loss
    n_clusters: int
    bic: np.ndarray  # (max_clusters,) BIC for K = 1..max_clusters
    pcs: np.ndarray  # (S, 2) first two principal components of the standardised features
    explained: np.ndarray  # (2,) explained variance ratio of those components
    with_reflection: bool


def _standardise(f, mean, std):
    return (f - mean) / std


def _fit_gmm(z, k, seed, n_init=3):
    from sklearn.mixture import GaussianMixture

    gm = GaussianMixture(n_components=k, covariance_type="full", reg_covar=1e-4, n_init=n_init,
                         random_state=seed, max_iter=500)
    gm.fit(z)
    return gm


def cluster_width2(p: np.ndarray, loss: np.ndarray, with_reflection: bool, max_clusters: int = 8,
                   align_iterations: int = 10, seed: int = 0, n_init: int = 3) -> Clustering:
    """Cluster width-2 parameter vectors p (S, 7) modulo the symmetry group (module docstring)."""
    from sklearn.decomposition import PCA

    p = np.asarray(p, dtype=np.float64)
    loss = np.asarray(loss, dtype=np.float64)
    n = p.shape[0]
    if n < 2:
        raise UserError(f"width-2 clustering needs at least 2 networks, got {n}")
    max_k = max(1, min(int(max_clusters), n // 2 if n >= 4 else 1))
    q = initial_canonical(p, with_reflection)
    f0 = features(np.concatenate(orbit(q, with_reflection)))
    mean, std = f0.mean(axis=0), f0.std(axis=0)
    std[std == 0] = 1.0

    def z_of(a):
        return _standardise(features(a), mean, std)

    bic = np.full(max_k, np.inf)
    best = None
    for k in range(1, max_k + 1):
        cur = q
        for _ in range(max(1, align_iterations)):
            gm = _fit_gmm(z_of(cur), k, seed, n_init)
            images = orbit(cur, with_reflection)
            scores = np.stack([gm.score_samples(z_of(im)) for im in images])  # (G, S)
            pick = np.argmax(scores, axis=0)
            # keep the current form on ties so the loop ends
            cur_score = scores[0]
            pick = np.where(scores[pick, np.arange(n)] > cur_score + 1e-9, pick, 0)
            if not np.any(pick):
                break
            cur = np.stack(images)[pick, np.arange(n)]
        gm = _fit_gmm(z_of(cur), k, seed, n_init)
        bic[k - 1] = gm.bic(z_of(cur))
        if best is None or bic[k - 1] < best[0]:
            best = (bic[k - 1], k, cur, gm.predict(z_of(cur)))
    _, k, cur, raw = best
    # relabel 1..K by increasing median loss
    uniq = np.unique(raw)
    med = [np.median(loss[raw == u]) for u in uniq]
    order = uniq[np.argsort(med, kind="stable")]
    relabel = {int(u): i + 1 for i, u in enumerate(order)}
    labels = np.array([relabel[int(r)] for r in raw], dtype=np.int64)
    z = z_of(cur)
    n_pc = min(2, z.shape[0], z.shape[1])
    pca = PCA(n_components=n_pc).fit(z)
    pcs = pca.transform(z)
    if n_pc < 2:
        pcs = np.column_stack([pcs, np.zeros((n, 2 - n_pc))])
    expl = np.zeros(2)
    expl[:n_pc] = pca.explained_variance_ratio_
    return Clustering(cur, labels, int(len(uniq)), bic, pcs, expl, with_reflection)


def representative(labels: np.ndarray, loss: np.ndarray, cluster: int) -> int:
    """Index of the member of `cluster` with the median test loss of that cluster."""
    members = np.flatnonzero(labels == cluster)
    order = members[np.argsort(loss[members], kind="stable")]
    return int(order[(order.size - 1) // 2])
