"""Clusters of neurons by the direction of (w_i, b_i), and merging each cluster into one neuron.

Clustering (greedy, leader-based): neurons are visited in decreasing order of
|u_i| |v_i| with u_i = (w_i, b_i) (the strongest neuron leads); each unassigned neuron
starts a cluster and takes every still unassigned neuron j with
cos(u_i, u_j) >= threshold. So every member is within the threshold of its leader
(connected components would chain dissimilar neurons). Neurons with u_i = 0 form
singleton clusters. The paper's thresholds: 0.95 (and 0.99).

Merging. By ReLU's positive homogeneity member j computes v_j |u_j| relu(e_j . (x, 1)) with
e_j = u_j / |u_j|. A cluster becomes one neuron with
    u = sum_j c_j e_j / sum_j c_j,   c_j = |u_j| |v_j| (the member's contribution),
    v = sum_j |u_j| v_j,             c (output bias) unchanged.
Why this weighting, and why u is not renormalised: when the members' outgoing weights are
parallel (v_j = |v_j| a, as in an aligned cluster), the merged neuron outputs
a (sum_j c_j) relu(u . (x, 1)) = a relu(sum_j c_j e_j . (x, 1)), which equals the members' sum
a sum_j c_j relu(e_j . (x, 1)) exactly on every input that all members' gates pass or all
block; only inputs on which the gates disagree change. The unweighted mean direction lets
a loser (c_j ~ 0) pull the winner's direction, and renormalising the mean scales the merged
neuron up by 1 / |mean| (about 3% at cos-sim 0.95): both change the loss (0.2% and up to
5% on digits) where this form changes it by ~1e-12 (1e-4 at sigma 1e-2).

Carrying clusters: most clusters are single neurons that never entered the race and carry
nothing; the count of clusters that matter is the smallest number of clusters (largest
first by sum_j c_j) whose contributions add up to a share q of the network's sum_i c_i,
for q in CARRY_SHARES (columns carrying_90, carrying_99, carrying_999).

Null of merging: the same merge applied to a random regrouping of the neurons with the same
cluster sizes (seeded); a merge that is lossless only because every merge is would pass the
claim without saying anything about the clusters.
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


CARRY_SHARES = {0.9: "carrying_90", 0.99: "carrying_99", 0.999: "carrying_999"}


def contributions(W, b, V) -> np.ndarray:
    """c_i = |(w_i, b_i)| |v_i| per neuron."""
    return np.linalg.norm(np.concatenate([W, b[:, None]], axis=1), axis=1) * np.linalg.norm(V, axis=0)


def carrying_clusters(label: np.ndarray, contribution: np.ndarray, share: float) -> int:
    """Fewest clusters (largest first) whose summed contributions reach `share` of the total."""
    mass = np.sort(np.bincount(label, weights=contribution))[::-1]
    total = mass.sum()
    if total <= 0:
        return 0
    return int(min(np.searchsorted(np.cumsum(mass) / total, share * (1 - 1e-12)) + 1, mass.size))


def merge_clusters(W, b, V, c, label):
    """(W', b', V', c) with one neuron per cluster (see module docstring)."""
    K = int(label.max()) + 1
    D = W.shape[1]
    U = np.concatenate([W, b[:, None]], axis=1)
    norms = np.linalg.norm(U, axis=1)
    weight = norms * np.linalg.norm(V, axis=0)
    Wm = np.zeros((K, D))
    bm = np.zeros(K)
    Vm = np.zeros((2, K))
    for k in range(K):
        nz = (label == k) & (norms > 0)
        if not nz.any():
            continue
        Vm[:, k] = (V[:, nz] * norms[nz]).sum(1)
        if weight[nz].sum() == 0:
            continue  # every member's v is 0: the merged neuron outputs nothing either way
        u = ((U[nz] / norms[nz, None]) * weight[nz, None]).sum(0) / weight[nz].sum()
        Wm[k], bm[k] = u[:D], u[D]
    return Wm, bm, Vm, np.array(c, dtype=float)


def loss_accuracy(W, b, V, c, X, Y):
    """Mean cross-entropy (nats) and accuracy (ties to class 1) in float64."""
    H = np.maximum(X @ W.T + b, 0.0)
    Z = H @ V.T + c
    u = np.where(Y == 0, Z[:, 1] - Z[:, 0], Z[:, 0] - Z[:, 1])
    loss = np.mean(np.logaddexp(0.0, u))
    pred = np.where(Z[:, 0] >= Z[:, 1], 0, 1)
    return float(loss), float(np.mean(pred == Y))


def cluster_and_merge(W, b, V, c, task, threshold: float, null_seed: int = 0) -> dict:
    """Loss and accuracy before and after merging the clusters, and after merging a random
    regrouping of the neurons with the same cluster sizes (the null; seeded by null_seed)."""
    label = greedy_clusters(W, b, V, threshold)
    Wm, bm, Vm, cm = merge_clusters(W, b, V, c, label)
    shuffled = np.random.default_rng([NULL_STREAM, int(null_seed)]).permutation(label)
    Wn, bn, Vn, cn = merge_clusters(W, b, V, c, shuffled)
    out = {"threshold": threshold, "neurons": int(W.shape[0]), "clusters": int(label.max() + 1)}
    for split in ("train", "test"):
        X, Y = getattr(task, f"x_{split}"), getattr(task, f"y_{split}")
        out[f"{split}_loss_before"], out[f"{split}_acc_before"] = loss_accuracy(W, b, V, c, X, Y)
        out[f"{split}_loss_after"], out[f"{split}_acc_after"] = loss_accuracy(Wm, bm, Vm, cm, X, Y)
        out[f"null_{split}_loss_after"], out[f"null_{split}_acc_after"] = loss_accuracy(Wn, bn, Vn, cn, X, Y)
    return out


NULL_STREAM = 0x4D455247  # "MERG": the random regrouping's stream


COUNT_COLUMNS = ("dataset", "n", "width", "sigma", "seed", "time", "step", "threshold", "neurons", "clusters",
                 *CARRY_SHARES.values(), "groups", "unlock_first", "unlock_last", "follower_slowdown", "other_slowdown")
MERGE_COLUMNS = ("dataset", "n", "width", "sigma", "seed", "threshold", "neurons", "clusters",
                 "train_loss_before", "train_loss_after", "train_acc_before", "train_acc_after",
                 "test_loss_before", "test_loss_after", "test_acc_before", "test_acc_after",
                 "null_train_loss_after", "null_train_acc_after", "null_test_loss_after", "null_test_acc_after")
COUNT_TIMES = ("init", "before_drop", "end")  # the paper's Fig 3b


def count_rows(runs, thresholds) -> list[dict]:
    """Cluster counts per run, time (init, before_drop, end) and threshold (snapshot parameters);
    the end rows also hold the groups' unlocking and inhibition numbers (dynamics.py)."""
    from .alignment import setting_of
    from .dynamics import DYNAMICS_COLUMNS, runs_dynamics
    from .trainer import SNAPSHOTS

    rows = []
    for r, seed in enumerate(runs.seed):
        if runs.status[r] == 2:
            continue
        for time in COUNT_TIMES:
            q = SNAPSHOTS.index(time)
            step = int(runs.snap["step"][r, q])
            W, b, V = runs.snap["W"][r, q], runs.snap["b"][r, q], runs.snap["V"][r, q]
            for th in thresholds:
                k, carried = np.nan, {col: np.nan for col in CARRY_SHARES.values()}
                if step >= 0:
                    label = greedy_clusters(W, b, V, th)
                    k = int(label.max() + 1)
                    contribution = contributions(W, b, V)
                    carried = {col: carrying_clusters(label, contribution, share) for share, col in CARRY_SHARES.items()}
                dyn = runs_dynamics(runs, r, th) if time == "end" else dict.fromkeys(DYNAMICS_COLUMNS, np.nan)
                rows.append({**setting_of(runs), "seed": int(seed), "time": time, "step": step, "threshold": th,
                             "neurons": int(runs.settings["width"]), "clusters": k, **carried, **dyn})
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
                                    runs.snap["c"][r, q], runs.task, th, null_seed=int(seed))
            rows.append({**setting_of(runs), "seed": int(seed), **out})
    return rows
