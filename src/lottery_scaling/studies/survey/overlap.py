"""The survey's test: do IMP (train, prune, rewind) and a supermask found without training keep the
same subnetwork of the same initial network?

Compared on the weights w and v only (IMP never prunes biases, so b would only add agreement by
construction), per network and keep fraction common to two masks files:

- Jaccard of the kept weights |A & B| / |A | B| over the flat [w, v] entries;
- Jaccard of the kept neurons: neuron i is kept when its output weight v_i and at least one of its
  input weights w_ik are kept (a neuron without either computes nothing that varies with x);
- the null: random masks with exactly each method's number of kept w and of kept v (per layer, so
  a method that prefers one layer keeps that preference), drawn independently for the two methods,
  `null_draws` times: their Jaccards (mean and central 95% per network);
- whether each method keeps both neurons of the trained network's best mirror pair (the first
  paper's lottery ticket: the highest-R^2 pair of studies/lottery/pairs, as in the bridge study),
  with the probability that a random mask of the method's sizes keeps them (from the same draws).

`zhou_masks_of` gives Zhou et al.'s "large final, same sign" masks of the trained networks (global
over w and v, as IMP ranks) as a third method.
"""

from __future__ import annotations

import numpy as np

from ...errors import UserError

_OVERLAP_TAG = 0x6F766C70  # separates the null's streams from every other stream

OVERLAP_COLUMNS = ("label", "width", "seed", "keep", "method_a", "method_b", "kept_a", "kept_b", "jaccard_weights",
                   "null_weights_mean", "null_weights_low", "null_weights_high", "neurons_a", "neurons_b",
                   "jaccard_neurons", "null_neurons_mean", "null_neurons_low", "null_neurons_high")
PAIR_COLUMNS = ("label", "width", "seed", "keep", "method", "pair_i", "pair_j", "pair_r2", "kept_weights",
                "kept_neurons", "keeps_pair", "random_keeps_pair")


def kept_neurons(mask_w: np.ndarray, mask_v: np.ndarray) -> np.ndarray:
    """(..., N) bool: v_i kept and at least one w_ik kept."""
    return np.asarray(mask_v, bool) & np.asarray(mask_w, bool).any(axis=-1)


def jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a & b| / |a | b| over the last axis (NaN where both are empty)."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    inter = (a & b).sum(axis=-1)
    union = (a | b).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.maximum(union, 1), np.nan)


def random_masks(rng, draws: int, n: int, k: int) -> np.ndarray:
    """(draws, n) bool masks with exactly k entries kept, positions uniform."""
    if k <= 0:
        return np.zeros((draws, n), dtype=bool)
    ranks = np.argsort(rng.random((draws, n)), axis=1)[:, :k]
    out = np.zeros((draws, n), dtype=bool)
    np.put_along_axis(out, ranks, True, axis=1)
    return out


def random_network_masks(rng, draws: int, N: int, d: int, kept_w: int, kept_v: int):
    """(w (draws, N, d), v (draws, N)) random masks with the given numbers kept per layer."""
    return random_masks(rng, draws, N * d, kept_w).reshape(draws, N, d), random_masks(rng, draws, N, kept_v)


def _stream(mask_seed: int, seed: int, keep: float, which: int):
    key = [_OVERLAP_TAG, int(mask_seed), int(seed), int(round(keep * 1e9)), int(which)]
    return np.random.Generator(np.random.Philox(np.random.SeedSequence(key)))


def _quantiles(values):
    lo, hi = np.nanpercentile(values, [2.5, 97.5]) if np.isfinite(values).any() else (np.nan, np.nan)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan"), float(lo), float(hi)


def overlap_rows(label: str, width: int, seed: int, keep: float, methods: dict, null_draws: int = 200,
                 mask_seed: int = 0) -> tuple[list[dict], dict]:
    """(rows (OVERLAP_COLUMNS) for every pair of methods of one network and keep fraction, the null's
    random masks name -> (w (draws, N, d), v (draws, N))). methods: name -> (mask_w (N, d), mask_v (N,)) bool."""
    names = list(methods)
    rows = []
    N, d = np.shape(next(iter(methods.values()))[0])
    nulls = {}
    for j, name in enumerate(names):
        mw, mv = methods[name]
        nulls[name] = random_network_masks(_stream(mask_seed, seed, keep, j), null_draws, N, d, int(mw.sum()), int(mv.sum()))
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            (wa, va), (wb, vb) = methods[names[a]], methods[names[b]]
            flat_a = np.concatenate([wa.ravel(), va])
            flat_b = np.concatenate([wb.ravel(), vb])
            (ra_w, ra_v), (rb_w, rb_v) = nulls[names[a]], nulls[names[b]]
            null_w = jaccard(np.concatenate([ra_w.reshape(null_draws, -1), ra_v], axis=1),
                             np.concatenate([rb_w.reshape(null_draws, -1), rb_v], axis=1))
            null_n = jaccard(kept_neurons(ra_w, ra_v), kept_neurons(rb_w, rb_v))
            na, nb = kept_neurons(wa, va), kept_neurons(wb, vb)
            mw_, lw, hw = _quantiles(null_w)
            mn, ln, hn = _quantiles(null_n)
            rows.append({
                "label": label, "width": int(width), "seed": int(seed), "keep": float(keep), "method_a": names[a],
                "method_b": names[b], "kept_a": int(flat_a.sum()), "kept_b": int(flat_b.sum()),
                "jaccard_weights": float(jaccard(flat_a, flat_b)), "null_weights_mean": mw_, "null_weights_low": lw,
                "null_weights_high": hw, "neurons_a": int(na.sum()), "neurons_b": int(nb.sum()),
                "jaccard_neurons": float(jaccard(na, nb)), "null_neurons_mean": mn, "null_neurons_low": ln,
                "null_neurons_high": hn,
            })
    return rows, nulls


def best_pair_rows(label: str, width: int, seed: int, keep: float, methods: dict, nulls: dict, pair) -> list[dict]:
    """Rows (PAIR_COLUMNS): does each method keep both neurons of the best mirror pair (i, j, R^2)?
    pair None (no mirror pair in the trained network): keeps_pair is empty."""
    rows = []
    for name, (mw, mv) in methods.items():
        neurons = kept_neurons(mw, mv)
        if pair is None:
            keeps, chance, i, j, r2 = "", float("nan"), -1, -1, float("nan")
        else:
            i, j, r2 = pair
            keeps = bool(neurons[i] and neurons[j])
            rw, rv = nulls[name]
            rn = kept_neurons(rw, rv)
            chance = float(np.mean(rn[:, i] & rn[:, j]))
        rows.append({"label": label, "width": int(width), "seed": int(seed), "keep": float(keep), "method": name,
                     "pair_i": int(i), "pair_j": int(j), "pair_r2": float(r2), "kept_weights": int(mw.sum() + mv.sum()),
                     "kept_neurons": int(neurons.sum()), "keeps_pair": keeps, "random_keeps_pair": chance})
    return rows


def zhou_masks_of(result, initial, keep: float):
    """Zhou et al.'s masks (w (S, N, d), v (S, N)) of trained networks at one keep fraction, one
    global ranking over w and v (the ranking IMP uses)."""
    from .supermask import zhou_masks

    w0, _, v0, _ = initial
    m = zhou_masks({"w": w0, "v": v0}, {"w": result.w, "v": result.v}, keep, ("w", "v"), "global")
    return m["w"], m["v"]


def compare(networks, mask_sets: dict, label: str, zhou: bool = False, null_draws: int = 200, mask_seed: int = 0,
            limit: int | None = None):
    """(overlap rows, best-pair rows) for trained networks `networks` (a TrainResult of a d = 1 task)
    and masks files on them: mask_sets name -> Masks (masks.read_masks). Keep fractions: those
    every masks file holds; seeds: those every file holds and that did not diverge anywhere."""
    from ..bridge.alignment import best_ticket
    from ..bridge.data import initial_of, training_data
    from ..lottery.pairs.pairing import input_rms

    if not mask_sets:
        raise UserError("no masks files to compare")
    if len(mask_sets) + bool(zhou) < 2:
        raise UserError("the overlap needs two methods: give two masks files, or one and --zhou")
    s = networks.settings
    keeps = None
    for m in mask_sets.values():
        keeps = set(np.round(m.keep, 9)) if keeps is None else keeps & set(np.round(m.keep, 9))
    if not keeps:
        raise UserError("the masks files share no keep fraction: " + "; ".join(
            f"{name}: {', '.join(f'{k:g}' for k in m.keep)}" for name, m in mask_sets.items()))
    keeps = sorted(keeps)
    index = {int(sd): k for k, sd in enumerate(networks.seed) if not networks.diverged[k]}
    for name, m in mask_sets.items():
        mine = {int(sd) for sd in m.seed}
        index = {sd: k for sd, k in index.items() if sd in mine}
    if not index:
        raise UserError("no seed is in the networks file and every masks file (and did not diverge)")
    seeds = sorted(index)[:limit] if limit else sorted(index)
    x, y = training_data(s)
    scale = input_rms(x)
    initial = initial_of(networks)
    overlap, pairs = [], []
    for keep in keeps:
        zw = zv = None
        if zhou:
            zw, zv = zhou_masks_of(networks, initial, keep)
        for sd in seeds:
            k = index[sd]
            methods = {}
            skip = False
            for name, m in mask_sets.items():
                r = int(np.flatnonzero(m.seed == sd)[0])
                c = m.at(keep)
                if m.diverged[r, c]:
                    skip = True
                methods[name] = (m.mask_w[r, c], m.mask_v[r, c])
            if skip:
                continue
            if zhou:
                methods["zhou"] = (zw[k], zv[k])
            rows, nulls = overlap_rows(label, s.width, sd, keep, methods, null_draws, mask_seed)
            overlap += rows
            pair = best_ticket(networks.w[k], networks.b[k], networks.v[k], x, y, s.activation, scale)
            pairs += best_pair_rows(label, s.width, sd, keep, methods, nulls, pair)
    return overlap, pairs
