"""Estimate the number of stable cells by App. D's probe iteration.

Signed data: S = diag(y) X with y_s = +1 (class 1), -1 (class 2). A weight vector w has the
gating pattern g(w) = [X w > 0] (open half-space, bias 0). The target map for output
alignment a in {+1 (class 1), -1 (class 2)} is T_a(w) = a S^T g(w) / |S^T g(w)|.
Algorithm: `probes` vectors uniform on the sphere S^(D-1) (normalised Gaussians from
`seed`); each iteration replaces every probe by T_a(probe) (all simultaneously) and
records K_t = the number of distinct gating patterns among the probes. A probe whose
gate passes no input has no target and is dropped (counted in `dead`). Stop when K_t has
not decreased for `patience` consecutive iterations (or after `max_iter`); the estimate is
the K_t value at the plateau. Run once per alignment; the total estimate is the sum.
Also reported: how many of the final patterns are strict fixed points (g(T(w)) = g(w)), the
distinct patterns of the initial probes (a lower bound on the number of cells reached),
and Cover's count of cells of n hyperplanes through the origin in general position in
R^D: 2 sum_{k=0}^{D-1} C(n-1, k) (as log10, it is astronomically large).
"""

from __future__ import annotations

import math

import numpy as np


def _patterns(X, P):
    return (P @ X.T) > 0  # (probes, n)


def _count(G):
    return np.unique(np.packbits(G, axis=1), axis=0).shape[0]


def probe_iteration(X, Y, alignment: int, probes: int = 2000, patience: int = 5, max_iter: int = 200, seed: int = 0):
    S = X * np.where(Y == 0, 1.0, -1.0)[:, None]
    rng = np.random.default_rng(seed)
    P = rng.standard_normal((probes, X.shape[1]))
    P /= np.linalg.norm(P, axis=1, keepdims=True)
    G = _patterns(X, P)
    initial = _count(G)
    history = [initial]
    dead = 0
    best, since = initial, 0
    for _ in range(max_iter):
        T = alignment * (G.astype(float) @ S)
        norms = np.linalg.norm(T, axis=1)
        keep = norms > 0
        dead += int((~keep).sum())
        P = T[keep] / norms[keep, None]
        G = _patterns(X, P)
        k = _count(G)
        history.append(k)
        if k < best:
            best, since = k, 0
        else:
            since += 1
            if since >= patience:
                break
    T = alignment * (G.astype(float) @ S)
    G2 = _patterns(X, T)
    fixed = np.unique(np.packbits(G[(G == G2).all(1)], axis=1), axis=0).shape[0]
    return {"alignment": alignment, "stable_cells": history[-1], "fixed_points": int(fixed),
            "initial_patterns": initial, "dead": dead, "iterations": len(history) - 1, "history": history}


def log10_cover_cells(n: int, D: int) -> float:
    total = sum(math.comb(n - 1, k) for k in range(min(D, n)))
    return math.log10(2 * total)


def stable_cells(task, probes: int = 2000, patience: int = 5, max_iter: int = 200, seed: int = 0) -> dict:
    res = [probe_iteration(task.x_train, task.y_train, a, probes, patience, max_iter, seed) for a in (1, -1)]
    return {"class_1": res[0], "class_2": res[1], "stable_cells": res[0]["stable_cells"] + res[1]["stable_cells"],
            "log10_cells_cover": log10_cover_cells(task.n, task.inputs)}


CELL_COLUMNS = ("dataset", "n", "inputs", "alignment", "probes", "stable_cells", "fixed_points", "initial_patterns",
                "iterations", "dead", "log10_cells_cover")


def cell_rows(task, probes: int = 2000, patience: int = 5, max_iter: int = 200, seed: int = 0) -> list[dict]:
    out = stable_cells(task, probes, patience, max_iter, seed)
    rows = []
    for key, a in (("class_1", 1), ("class_2", -1)):
        r = out[key]
        rows.append({"dataset": task.name, "n": task.n, "inputs": task.inputs, "alignment": a, "probes": probes,
                     "stable_cells": r["stable_cells"], "fixed_points": r["fixed_points"],
                     "initial_patterns": r["initial_patterns"], "iterations": r["iterations"], "dead": r["dead"],
                     "log10_cells_cover": out["log10_cells_cover"]})
    return rows
