"""Iterative magnitude pruning (IMP) with rewinding to init, and pruned counts per neuron (Fig 5).

Weights W (d x D) and V (2 x d) are pruned together by global magnitude; biases never.
For a target sparsity p in R rounds, each round removes the fraction q = 1 - (1 - p)^(1/R)
of the weights still alive (rounded to whole weights; the last round lands exactly on
round(p * total)). A round: train with the current mask from the original init of the
same seed (rewinding: the same W0, V0, zero biases, masked weights 0; the same epoch
order), then prune by |final weight| among the unmasked ones (ties broken by the flat
index, stable sort). The first round trains the unpruned network. After the last
pruning the ticket is trained once more, so its loss and accuracy can be reported.

Per neuron: pruned count = pruned entries of w_i plus of v_i's 2 entries (reported
separately as well).

Split by clusters (Sec. 5: 'this works even better if we can split the neurons based on their
clusters'): Spearman(early angle, pruned count) within each final cluster of at least
MIN_MEMBERS neurons, the median over those clusters; its null is the 95% quantile of the same
median over NULL_DRAWS random regroupings of the neurons with the same cluster sizes (a split
that helps must beat splitting at random, which only adds noise).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .trainer import RaceSettings, train_runs

MIN_MEMBERS = 10
NULL_DRAWS = 50
NULL_STREAM = 0x494D5043  # "IMPC"


def within_cluster_spearman(angle, pruned, label, seed: int | None = 0):
    """(clusters used, median within-cluster Spearman, the null's 95% quantile; NaN with seed None)."""
    from scipy.stats import spearmanr

    def median_within(lab):
        rhos = []
        for k in np.unique(lab):
            m = (lab == k) & np.isfinite(angle)
            if m.sum() >= MIN_MEMBERS and np.ptp(pruned[m]) > 0 and np.ptp(angle[m]) > 0:
                rhos.append(spearmanr(angle[m], pruned[m])[0])
        return len(rhos), (float(np.median(rhos)) if rhos else np.nan)

    used, rho = median_within(label)
    if seed is None or not used:
        return used, rho, np.nan
    rng = np.random.default_rng([NULL_STREAM, int(seed)])
    null = [median_within(rng.permutation(label))[1] for _ in range(NULL_DRAWS)]
    return used, rho, float(np.nanquantile(null, 0.95))


def _prune(W, V, mw, mv, remove: int):
    mags = np.concatenate([np.abs(W).ravel(), np.abs(V).ravel()])
    alive = np.concatenate([mw.ravel(), mv.ravel()]) > 0
    idx = np.flatnonzero(alive)
    order = idx[np.argsort(mags[idx], kind="stable")]
    flat = alive.astype(float)
    flat[order[:remove]] = 0.0
    return flat[: W.size].reshape(W.shape), flat[W.size:].reshape(V.shape)


def imp(task, seed: int, settings: RaceSettings, sparsity: float, rounds: int = 3, threads=None) -> dict:
    """IMP of run `seed` to `sparsity`; returns masks, per-round sparsity and the ticket's metrics."""
    s = dataclasses.replace(settings, form="direct")
    d, D = s.width, task.inputs
    mw, mv = np.ones((d, D)), np.ones((2, d))
    total = mw.size + mv.size
    history = []
    for k in range(1, rounds + 1):
        res = train_runs(task, [seed], s, threads=threads, mask_w=mw, mask_v=mv)
        target_alive = total - int(round(total * (1 - (1 - sparsity) ** (k / rounds)))) if k < rounds \
            else total - int(round(total * sparsity))
        alive = int(mw.sum() + mv.sum())
        mw, mv = _prune(res.W[0], res.V[0], mw, mv, alive - target_alive)
        history.append({"round": k, "train_loss": float(res.run["train_loss"][0, res.ckpt_step[0] >= 0][-1]),
                        "sparsity_after": 1 - (mw.sum() + mv.sum()) / total})
    ticket = train_runs(task, [seed], s, threads=threads, mask_w=mw, mask_v=mv)
    last = int(np.max(np.flatnonzero(ticket.ckpt_step[0] >= 0)))
    return {
        "sparsity": sparsity, "mask_w": mw, "mask_v": mv, "history": history,
        "pruned_w": (mw == 0).sum(1), "pruned_v": (mv == 0).sum(0),
        "pruned_per_neuron": (mw == 0).sum(1) + (mv == 0).sum(0),
        "ticket_train_loss": float(ticket.run["train_loss"][0, last]),
        "ticket_test_acc": float(ticket.run["test_acc"][0, last]),
        "ticket_status": int(ticket.status[0]),
    }


def _target_alive(total: int, sparsity: float, k: int, rounds: int) -> int:
    if k < rounds:
        return total - int(round(total * (1 - (1 - sparsity) ** (k / rounds))))
    return total - int(round(total * sparsity))


def _last(res, i):
    return int(np.max(np.flatnonzero(res.ckpt_step[i] >= 0)))


def imp_many(task, seeds, settings: RaceSettings, sparsities, rounds: int = 3, threads=None) -> dict:
    """`imp` for every (seed, sparsity), batched: the same numbers as `imp` per pair (tested), with
    the unpruned first round trained once per seed and each later round trained for all pairs in
    one parallel call (rounds + 1 calls in all).

    Returns {"unpruned": {seed: metrics}, "tickets": [per (seed, sparsity) dict like `imp`'s]}.
    """
    s = dataclasses.replace(settings, form="direct")
    seeds = [int(x) for x in seeds]
    d, D = s.width, task.inputs
    total = d * D + 2 * d
    full = train_runs(task, seeds, s, threads=threads)
    pairs = [(seed, float(p)) for seed in seeds for p in sparsities]
    mw = np.ones((len(pairs), d, D))
    mv = np.ones((len(pairs), 2, d))
    history = [[] for _ in pairs]
    res, index = full, {seed: i for i, seed in enumerate(seeds)}
    for k in range(1, rounds + 1):
        for j, (seed, p) in enumerate(pairs):
            i = index[seed] if k == 1 else j
            alive = int(mw[j].sum() + mv[j].sum())
            mw[j], mv[j] = _prune(res.W[i], res.V[i], mw[j], mv[j], alive - _target_alive(total, p, k, rounds))
            history[j].append({"round": k, "train_loss": float(res.run["train_loss"][i, _last(res, i)]),
                               "sparsity_after": 1 - (mw[j].sum() + mv[j].sum()) / total})
        res = train_runs(task, [sp[0] for sp in pairs], s, threads=threads, mask_w=mw, mask_v=mv)
    tickets = []
    for j, (seed, p) in enumerate(pairs):
        last = _last(res, j)
        tickets.append({
            "seed": seed, "sparsity": p, "mask_w": mw[j], "mask_v": mv[j], "history": history[j],
            "pruned_w": (mw[j] == 0).sum(1), "pruned_v": (mv[j] == 0).sum(0),
            "pruned_per_neuron": (mw[j] == 0).sum(1) + (mv[j] == 0).sum(0),
            "ticket_train_loss": float(res.run["train_loss"][j, last]),
            "ticket_test_loss": float(res.run["test_loss"][j, last]),
            "ticket_test_acc": float(res.run["test_acc"][j, last]),
            "ticket_status": int(res.status[j]),
        })
    unpruned = {seed: {"train_loss": float(full.run["train_loss"][i, _last(full, i)]),
                       "test_loss": float(full.run["test_loss"][i, _last(full, i)]),
                       "test_acc": float(full.run["test_acc"][i, _last(full, i)])} for seed, i in index.items()}
    return {"unpruned": unpruned, "tickets": tickets}
