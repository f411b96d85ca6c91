"""When does the final best ticket emerge during training? (from parameter snapshots)

For each trained network with snapshots at steps t_0 = 0 < t_1 < ... < t_K-1 = final, and its final
best ticket (i, j) (highest-R^2 mirror pair of the trained network):

- mirror step: the first snapshot step from which on (i, j) stays a mirror pair: opposite signs of
  w and asymmetry score D_ij / (r_i + r_j) < `threshold` (studies/lottery/pairs/pairing.py);
- R^2 step: the first snapshot step from which on the pair's ticket function reaches its final
  quality: 1 - R^2_t <= `r2_factor` x (1 - R^2_final) (R^2 as in studies/lottery/pairs/tickets.py);
- the race: at the early snapshot (the first step >= `early_fraction` x steps) the neurons are
  ranked by their contribution (RMS of v_i act(w_i x + b_i)); `leader_wins` says whether the
  early leader (largest contribution) is one of (i, j), `leaders_win` whether the early top two
  are exactly (i, j); their chance values are 2/N and 1/C(N, 2).
"""

from __future__ import annotations

import numpy as np

from ..lottery.pairs.pairing import Pairing, mirror_distance_matrix


def _stays_from(flags: np.ndarray, steps: np.ndarray) -> float:
    """First step from which every later flag is true (NaN when the last one is false)."""
    if not flags[-1]:
        return float("nan")
    bad = np.flatnonzero(~flags)
    return float(steps[0] if bad.size == 0 else steps[bad[-1] + 1])


def network_emergence(w, b, v, steps, x, y, act: str, w_scale: float, pair, threshold: float,
                      r2_factor: float, early_index: int) -> dict:
    """Emergence of the pair (i, j) over snapshots w (K, N), b (K, N), v (K, N) at `steps` (K,)."""
    from ..lottery.pairs.tickets import fit_tickets, ticket_functions
    from .alignment import contributions

    i, j = pair
    K = steps.size
    mirror = np.zeros(K, dtype=bool)
    r2 = np.zeros(K)
    one = Pairing(np.array([i]), np.array([j]), np.zeros(1), np.zeros(1), np.zeros(0, dtype=np.int64))
    for t in range(K):
        wi, wj, bi, bj = w[t, i], w[t, j], b[t, i], b[t, j]
        d = mirror_distance_matrix(np.array([wi]), np.array([bi]), np.array([wj]), np.array([bj]), w_scale)[0, 0]
        den = np.hypot(w_scale * wi, bi) + np.hypot(w_scale * wj, bj)
        mirror[t] = (wi * wj < 0) and den > 0 and d / den < threshold
        g = ticket_functions(w[t], b[t], v[t], one, x, act)
        r2[t] = fit_tickets(g, y).r2[0]
    final_gap = max(1.0 - r2[-1], 1e-16)
    reached = (1.0 - r2) <= r2_factor * final_gap
    contrib = contributions(w[early_index], b[early_index], v[early_index], x, act)
    order = np.argsort(-contrib, kind="stable")
    N = w.shape[1]
    return {
        "mirror_step": _stays_from(mirror, steps),
        "r2_step": _stays_from(reached, steps),
        "final_r2": float(r2[-1]),
        "early_step": int(steps[early_index]),
        "early_leader": int(order[0]),
        "leader_wins": bool(order[0] in (i, j)),
        "leaders_win": bool({int(order[0]), int(order[1])} == {i, j}) if N >= 2 else False,
        "leader_chance": 2.0 / N,
        "leaders_chance": 2.0 / (N * (N - 1)) if N >= 2 else float("nan"),
    }


def emergence_table(results, threshold: float = 0.05, r2_factor: float = 2.0, early_fraction: float = 0.02) -> list[dict]:
    """One row per usable network of every result (with snapshots)."""
    from ..lottery.networks import split_snapshots
    from ..lottery.pairs.pairing import input_rms
    from .alignment import best_ticket
    from .data import training_data

    rows = []
    for result in results:
        s = result.settings
        x, y = training_data(s)
        scale = input_rms(x)
        steps = np.asarray(result.curve_step)
        early_index = int(min(np.searchsorted(steps, early_fraction * s.steps), steps.size - 1))
        W, B, V, _ = split_snapshots(result.snapshots, s.width)
        for k, seed in enumerate(result.seed):
            if result.diverged[k]:
                continue
            t = best_ticket(result.w[k], result.b[k], result.v[k], x, y, s.activation, scale)
            if t is None:
                continue
            row = network_emergence(W[k, :, :, 0].astype(np.float64), B[k].astype(np.float64), V[k].astype(np.float64),
                                    steps, x, y, s.activation, scale, (t[0], t[1]), threshold, r2_factor, early_index)
            rows.append({"init_scale": s.init_scale, "width": s.width, "seed": int(seed), "steps": s.steps,
                         "ticket_i": t[0], "ticket_j": t[1], **row})
    return rows
