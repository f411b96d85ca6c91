"""Race dynamics per group of neurons: asynchronous unlocking (Note 3) and lateral inhibition
(Conj. 3.12), from the per-neuron |w_i||v_i| trajectories and the final clusters.

Groups: the final clusters (greedy, cos-sim `threshold`) that carry GROUP_SHARE of the
network's sum |u_i||v_i| (clusters.carrying_clusters); the rest never entered the race.
- Unlocking step of a group: the first checkpoint at which the group's summed |w_i||v_i|
  reaches UNLOCK_SHARE (10%) of its final value. Asynchrony: latest / earliest unlocking
  step over the groups of a run (1 = every group unlocks at the same checkpoint; the
  checkpoints are log-spaced, about 1.2x apart).
- Lateral inhibition: in each group with at least 2 members, the leader is the member with
  the largest final contribution, t_L its own unlocking step (10% of its final |w||v|).
  Growth rate of a set of neurons over [a, b]: the median over them of
  d log(|w_i||v_i|) / d log(step) between the checkpoints nearest a and b. The followers'
  slowdown is rate over [t_L, 4 t_L] / rate over [t_L / 4, t_L]; the same ratio for the
  members of the other groups over the same window is the control: a slowdown the other
  groups share is global (the loss falls for everyone), not lateral.
  Independent exponential growth (no coupling) has d log / d log step = k step, rising, so
  its slowdown is > 1.
"""

from __future__ import annotations

import numpy as np

from .clusters import carrying_clusters, contributions, greedy_clusters

GROUP_SHARE = 0.99
UNLOCK_SHARE = 0.1
WINDOW = 4.0  # the rate windows are [t_L / WINDOW, t_L] and [t_L, WINDOW t_L]

DYNAMICS_COLUMNS = ("groups", "unlock_first", "unlock_last", "follower_slowdown", "other_slowdown")


def groups_of(W, b, V, threshold: float, share: float = GROUP_SHARE):
    """(label per neuron, the carrying clusters' labels largest first, contribution per neuron)."""
    label = greedy_clusters(W, b, V, threshold)
    contribution = contributions(W, b, V)
    mass = np.bincount(label, weights=contribution)
    k = carrying_clusters(label, contribution, share)
    return label, np.argsort(-mass, kind="stable")[:k], contribution


def unlock_step(steps: np.ndarray, trajectory: np.ndarray, share: float = UNLOCK_SHARE) -> int:
    """First step at which `trajectory` (one value per checkpoint) reaches `share` of its last value."""
    return int(steps[np.argmax(trajectory >= share * trajectory[-1])])


def growth_rate(steps, wv, members, a, b) -> float:
    """Median over `members` of d log(wv) / d log(step) between the checkpoints nearest a and b."""
    if members.size == 0:
        return np.nan
    ia = int(np.argmin(np.abs(np.log(np.maximum(steps, 1)) - np.log(max(a, 1)))))
    ib = int(np.argmin(np.abs(np.log(np.maximum(steps, 1)) - np.log(max(b, 1)))))
    if ib <= ia:
        return np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (np.log(wv[ib, members]) - np.log(wv[ia, members])) / (np.log(max(steps[ib], 1)) - np.log(max(steps[ia], 1)))
    r = r[np.isfinite(r)]
    return float(np.median(r)) if r.size else np.nan


def run_dynamics(steps, wv, W, b, V, threshold: float) -> dict:
    """The DYNAMICS_COLUMNS of one run: steps (K,) of the checkpoints taken, wv (K, d) |w_i||v_i|
    at them, (W, b, V) the final parameters."""
    label, groups, contribution = groups_of(W, b, V, threshold)
    out = {"groups": int(groups.size), "unlock_first": np.nan, "unlock_last": np.nan,
           "follower_slowdown": np.nan, "other_slowdown": np.nan}
    if groups.size == 0:
        return out
    unlocks = [unlock_step(steps, wv[:, label == g].sum(1)) for g in groups]
    out["unlock_first"], out["unlock_last"] = min(unlocks), max(unlocks)
    followers, others = [], []
    in_groups = np.isin(label, groups)
    for g in groups:
        members = np.flatnonzero(label == g)
        if members.size < 2:
            continue
        leader = members[np.argmax(contribution[members])]
        t_lead = unlock_step(steps, wv[:, leader])
        rest = members[members != leader]
        other = np.flatnonzero(in_groups & (label != g))
        for idx, acc in ((rest, followers), (other, others)):
            before = growth_rate(steps, wv, idx, t_lead / WINDOW, t_lead)
            after = growth_rate(steps, wv, idx, t_lead, t_lead * WINDOW)
            acc.append(after / before if before > 0 else np.nan)
    if followers:
        out["follower_slowdown"] = float(np.nanmedian(followers)) if np.isfinite(followers).any() else np.nan
    if others:
        out["other_slowdown"] = float(np.nanmedian(others)) if np.isfinite(others).any() else np.nan
    return out


def runs_dynamics(runs, r: int, threshold: float) -> dict:
    from .trainer import SNAPSHOTS

    q = SNAPSHOTS.index("end")
    taken = runs.ckpt_step[r] >= 0
    return run_dynamics(runs.ckpt_step[r][taken], runs.neuron["wv_norm"][r][taken],
                        runs.snap["W"][r, q], runs.snap["b"][r, q], runs.snap["V"][r, q], threshold)
