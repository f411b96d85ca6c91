"""Estimate the number of stable cells by App. D's probe iteration, with a shuffled-label null.

Signed data: S = diag(y) X with y_s = +1 (class 1), -1 (class 2). A weight vector w has the
gating pattern g(w) = [X w > 0] (open half-space, bias 0). The target map for output
alignment a in {+1 (class 1), -1 (class 2)} is T_a(w) = a S^T g(w) / |S^T g(w)|.
Algorithm: `probes` vectors uniform on the sphere S^(D-1) (normalised Gaussians from
`seed`); each iteration replaces every probe by T_a(probe) (all simultaneously) and
records K_t = the number of distinct gating patterns among the probes. A probe whose
gate passes no input has no target and is dropped (counted in `dead`). Stop when K_t has
not decreased for `patience` consecutive iterations (or after `max_iter`); the paper's
estimate is the K_t value at the plateau (`stable_cells`, a count of patterns).

What the plateau holds, reported separately (App. D: "probes may cycle between two gating
patterns rather than settling at a strict fixed point"): the distinct strict fixed points
(g(T(g)) = g: a stable cell of Def. 3.5), the distinct 2-cycles (g -> g' -> g with g' != g;
one attractor of two patterns), and the probes on neither (`unsettled`: still moving).
The attractors are fixed points + 2-cycles. On the digits task the plateau is one 2-cycle
per alignment, between the all-pass pattern and a class pattern, and no fixed point.

Null: the same iteration (same probes, same inputs) with the labels permuted,
`null_shuffles` times (permutation r from the stream (NULL_STREAM, seed, r)). A count the
shuffled labels reproduce is set by the inputs' geometry, not by the task. Also reported:
the distinct patterns of the initial probes (a lower bound on the number of cells reached)
and Cover's count of cells of n hyperplanes through the origin in general position in R^D:
2 sum_{k=0}^{D-1} C(n-1, k) (as log10, it is astronomically large).
"""

from __future__ import annotations

import math

import numpy as np

NULL_STREAM = 0x43454C4C  # "CELL"


def _patterns(X, P):
    return (P @ X.T) > 0  # (probes, n)


def _rows(packed):
    """Each row of a packed pattern array as one opaque item (np.unique on these is fast)."""
    packed = np.ascontiguousarray(packed)
    return packed.view(np.dtype((np.void, packed.shape[1]))).ravel()


def _count(G):
    return np.unique(_rows(np.packbits(G, axis=1))).size


def _next(G, S, X, alignment):
    return _patterns(X, alignment * (G.astype(float) @ S))


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
    G1 = _next(G, S, X, alignment)
    G2 = _next(G1, S, X, alignment)
    fixed = (G1 == G).all(1)
    cycle = ~fixed & (G2 == G).all(1)
    packed, packed1 = np.packbits(G, axis=1), np.packbits(G1, axis=1)
    fixed_points = np.unique(_rows(packed[fixed])).size
    pairs = {tuple(sorted((a.tobytes(), b.tobytes()))) for a, b in zip(packed[cycle], packed1[cycle])}
    return {"alignment": alignment, "stable_cells": history[-1], "fixed_points": int(fixed_points),
            "cycles": len(pairs), "settled_probes": int((fixed | cycle).sum()), "live_probes": int(G.shape[0]),
            "initial_patterns": initial, "dead": dead, "iterations": len(history) - 1, "history": history}


def log10_cover_cells(n: int, D: int) -> float:
    total = sum(math.comb(n - 1, k) for k in range(min(D, n)))
    return math.log10(2 * total)


def stable_cells(task, probes: int = 2000, patience: int = 5, max_iter: int = 200, seed: int = 0) -> dict:
    res = [probe_iteration(task.x_train, task.y_train, a, probes, patience, max_iter, seed) for a in (1, -1)]
    return {"class_1": res[0], "class_2": res[1], "stable_cells": res[0]["stable_cells"] + res[1]["stable_cells"],
            "log10_cells_cover": log10_cover_cells(task.n, task.inputs)}


def shuffled_labels(y: np.ndarray, seed: int, r: int) -> np.ndarray:
    return np.random.default_rng([NULL_STREAM, int(seed), int(r)]).permutation(y)


CELL_COLUMNS = ("dataset", "n", "inputs", "labels", "shuffle", "alignment", "probes", "stable_cells", "fixed_points",
                "cycles", "settled_probes", "live_probes", "initial_patterns", "iterations", "dead", "log10_cells_cover")


def cell_rows(task, probes: int = 2000, patience: int = 5, max_iter: int = 200, seed: int = 0,
              null_shuffles: int = 0) -> list[dict]:
    """Rows for the task's labels (labels 'task', shuffle -1) and for each label permutation
    (labels 'shuffled', shuffle 0..null_shuffles-1), one per output alignment."""
    cover = log10_cover_cells(task.n, task.inputs)
    rows = []
    for shuffle in range(-1, null_shuffles):
        y = task.y_train if shuffle < 0 else shuffled_labels(task.y_train, seed, shuffle)
        for a in (1, -1):
            r = probe_iteration(task.x_train, y, a, probes, patience, max_iter, seed)
            rows.append({"dataset": task.name, "n": task.n, "inputs": task.inputs,
                         "labels": "task" if shuffle < 0 else "shuffled", "shuffle": shuffle, "alignment": a,
                         "probes": probes, **{k: r[k] for k in CELL_COLUMNS if k in r and k != "alignment"},
                         "log10_cells_cover": cover})
    return rows
