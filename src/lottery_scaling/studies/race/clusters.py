"""Clusters of neurons by the direction of (w_i, b_i), and merging each cluster into one neuron.

Clustering (greedy, leader-based): neurons are visited in decreasing order of
|u_i| |v_i| with u_i = (w_i, b_i) (the strongest neuron leads); each unassigned neuron
starts a cluster and takes every still unassigned neuron j with
cos(u_i, u_j) >= threshold. So every member is within the threshold of its leader
(connected components would chain dissimilar neurons). Neurons with u_i = 0 form
singleton clusters. The paper's thresholds: 0.95 (and 0.99).

Merging (exact for parallel neurons by ReLU's positive homogeneity): if
u_j = lambda_j e with e a unit vector and lambda_j = |u_j| > 0, then
relu(u_j . (x, 1)) = lambda_j relu(e . (x, 1)), so sum_j v_j relu(u_j . (x, 1)) =
(sum_j |u_j| v_j) relu(e . (x, 1)). For a cluster we take
e = normalise(sum_j u_j / |u_j|) (the mean direction) and the merged neuron
w = e[:D], b = e[D], v = sum_j |u_j| v_j; c is unchanged. The network's function
changes only by the members' deviation from e (zero for exactly parallel members).
"""

from __future__ import annotations

import numpy as np


def greedy_clusters(W: np.ndarray, b: np.ndarray, V: np.ndarray, threshold: float) -> np.ndarray:
    """Cluster label per neuron (0..K-1, in order of the leaders)."""
    U = np.concatenate([W, b[:, None]], axis=1)
    norms = np.linalg.norm(U, axis=1)
    unit = np.divide(U, norms[:, None], out=np.zeros_like(U), where=norms[:, None] > 0)
    strength = norms * np.linalg.norm(V, axis=0)
    order = np.argsort(-strength, kind="stable")
    label = np.full(W.shape[0], -1, np.int64)
    k = 0
    for i in order:
        if label[i] >= 0:
            continue
        label[i] = k
        if norms[i] > 0:
            free = label < 0
            cos = unit @ unit[i]
            label[free & (cos >= threshold) & (norms > 0)] = k
        k += 1
    return label


def merge_clusters(W, b, V, c, label):
    """(W', b', V', c) with one neuron per cluster (see module docstring)."""
    K = int(label.max()) + 1
    D = W.shape[1]
    U = np.concatenate([W, b[:, None]], axis=1)
    norms = np.linalg.norm(U, axis=1)
    Wm = np.zeros((K, D))
    bm = np.zeros(K)
    Vm = np.zeros((2, K))
    for k in range(K):
        m = label == k
        nz = m & (norms > 0)
        if not nz.any():
            continue
        e = (U[nz] / norms[nz, None]).sum(0)
        e /= np.linalg.norm(e)
        Wm[k], bm[k] = e[:D], e[D]
        Vm[:, k] = (V[:, nz] * norms[nz]).sum(1)
    return Wm, bm, Vm, np.array(c, dtype=float)


def loss_accuracy(W, b, V, c, X, Y):
    """Mean cross-entropy (nats) and accuracy (ties to class 1) in float64."""
    H = np.maximum(X @ W.T + b, 0.0)
    Z = H @ V.T + c
    u = np.where(Y == 0, Z[:, 1] - Z[:, 0], Z[:, 0] - Z[:, 1])
    loss = np.mean(np.logaddexp(0.0, u))
    pred = np.where(Z[:, 0] >= Z[:, 1], 0, 1)
    return float(loss), float(np.mean(pred == Y))


def cluster_and_merge(W, b, V, c, task, threshold: float) -> dict:
    label = greedy_clusters(W, b, V, threshold)
    Wm, bm, Vm, cm = merge_clusters(W, b, V, c, label)
    out = {"threshold": threshold, "neurons": int(W.shape[0]), "clusters": int(label.max() + 1)}
    for split in ("train", "test"):
        X, Y = getattr(task, f"x_{split}"), getattr(task, f"y_{split}")
        out[f"{split}_loss_before"], out[f"{split}_acc_before"] = loss_accuracy(W, b, V, c, X, Y)
        out[f"{split}_loss_after"], out[f"{split}_acc_after"] = loss_accuracy(Wm, bm, Vm, cm, X, Y)
    return out


COUNT_COLUMNS = ("dataset", "n", "width", "sigma", "seed", "time", "step", "threshold", "neurons", "clusters")
MERGE_COLUMNS = ("dataset", "n", "width", "sigma", "seed", "threshold", "neurons", "clusters",
                 "train_loss_before", "train_loss_after", "train_acc_before", "train_acc_after",
                 "test_loss_before", "test_loss_after", "test_acc_before", "test_acc_after")
COUNT_TIMES = ("init", "before_drop", "end")  # the paper's Fig 3b


def count_rows(runs, thresholds) -> list[dict]:
    """Cluster counts per run, time (init, before_drop, end) and threshold (snapshot parameters)."""
    from .alignment import setting_of
    from .trainer import SNAPSHOTS

    rows = []
    for r, seed in enumerate(runs.seed):
        if runs.status[r] == 2:
            continue
        for time in COUNT_TIMES:
            q = SNAPSHOTS.index(time)
            step = int(runs.snap["step"][r, q])
            for th in thresholds:
                k = np.nan
                if step >= 0:
                    k = int(greedy_clusters(runs.snap["W"][r, q], runs.snap["b"][r, q], runs.snap["V"][r, q], th).max() + 1)
                rows.append({**setting_of(runs), "seed": int(seed), "time": time, "step": step, "threshold": th,
                             "neurons": int(runs.settings["width"]), "clusters": k})
    return rows


def merge_rows(runs, thresholds) -> list[dict]:
    """App. G: loss and accuracy before and after merging every cluster of the final network."""
    from .alignment import setting_of
    from .trainer import SNAPSHOTS

    rows = []
    q = SNAPSHOTS.index("end")
    for r, seed in enumerate(runs.seed):
        if runs.status[r] == 2:
            continue
        for th in thresholds:
            out = cluster_and_merge(runs.snap["W"][r, q], runs.snap["b"][r, q], runs.snap["V"][r, q],
                                    runs.snap["c"][r, q], runs.task, th)
            rows.append({**setting_of(runs), "seed": int(seed), **out})
    return rows
