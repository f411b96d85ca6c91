"""Supermasks (Zhou et al. 2019): masks found from a trained network, applied to the untrained one.

Zhou et al.'s best criterion, "large final, same sign": a weight's score is its final magnitude
|w_final| if its final sign equals its initial sign (w_final * w_init > 0), and it is excluded
(never kept) otherwise. The kept weights are the largest scores of a group, ranked per network:

- `scope="global"`: all prunable weights in one ranking (the default, docs/survey.md; in
  the lottery network the first layer's weights are O(1) and the output weights O(1/sqrt(N)),
  so a global ranking favours the first layer: compare with "layer");
- `scope="layer"`: each layer ranked on its own (Zhou et al. pruned by layer).

A group of n weights keeps `kept_count(n, keep)` = floor(keep * n + 1/2) of them; excluded
weights are never kept, so a network with fewer eligible weights keeps fewer (the masks say how
many). Ties at the cut go to the lower flat index (the order names are given in, then C order).

The mask is applied to the UNTRAINED network: kept weights at their initial values (`init`) or
as signed constants sign(w_init) * sigma_layer (`signed_constant`), sigma_layer the standard
deviation of the layer's initial distribution (Zhou et al.'s choice; PyTorch's
U(-1/sqrt(fan_in), 1/sqrt(fan_in)) has sigma = 1/sqrt(3 fan_in), see `lottery_init_std`).
Masked weights are 0.

Lottery network (f(x) = sum_i v_i act(w_i . x + b_i) + c): the prunable weights are w and v of
the hidden layer; biases are NOT masked by default (Zhou et al. masked weights only, and b_i
places a neuron's kink, which a zero would move to the origin), and kept at their initial
values in both modes; `include_biases=True` ranks b with the first layer. c is never masked.

The null: random masks with exactly the same number of kept weights per network and group as
the supermask, positions uniform over the group (`random_masks`).

Everything here is generic over named weight arrays with a leading seed axis (dicts name ->
(S, ...) array), so the race classifier (W, b, V, c) can use it with its own loss function:
`masked_loss(loss_fn, initial, masks, ...)` = loss_fn(masked weights).
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

import numpy as np

from ...errors import UserError
from ..lottery import model

LOTTERY_PRUNABLE = ("w", "v")
LOTTERY_LAYERS = (("w", "b"), ("v",))
SCOPES = ("global", "layer")
WEIGHT_MODES = ("init", "signed_constant")
_RANDOM_MASK_TAG = 0x726D736B  # separates random-mask streams from init and data streams


def check_keep(keep) -> float:
    """keep as a float in (0, 1]; a UserError naming the value otherwise."""
    try:
        value = float(keep)
    except (TypeError, ValueError):
        raise UserError(f"keep must be a number in (0, 1], got {keep!r}") from None
    if not (math.isfinite(value) and 0.0 < value <= 1.0):
        raise UserError(f"keep must be a number in (0, 1], got {keep!r}")
    return value


def kept_count(n: int, keep: float) -> int:
    """Weights kept of a group of n: floor(keep * n + 1/2) (may be 0 for tiny groups)."""
    return int(math.floor(check_keep(keep) * n + 0.5))


def zhou_scores(initial: np.ndarray, final: np.ndarray) -> np.ndarray:
    """|final| where final and initial have the same (nonzero) sign, else -inf (never kept)."""
    initial = np.asarray(initial, dtype=np.float64)
    final = np.asarray(final, dtype=np.float64)
    return np.where(final * initial > 0, np.abs(final), -np.inf)


def scope_groups(names: Sequence[str], scope: str, layers: Sequence[Sequence[str]] = LOTTERY_LAYERS):
    """The groups ranked together: all names (global) or the names of each layer (layer)."""
    if scope not in SCOPES:
        raise UserError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    if scope == "global":
        return [tuple(names)]
    groups = [tuple(n for n in layer if n in names) for layer in layers]
    missing = set(names) - {n for g in groups for n in g}
    if missing:
        raise UserError(f"weights {sorted(missing)} belong to no layer of {list(map(list, layers))}")
    return [g for g in groups if g]


def _flat_group(arrays: Mapping[str, np.ndarray], group: Sequence[str]):
    S = np.asarray(arrays[group[0]]).shape[0]
    parts = [np.asarray(arrays[n]).reshape(S, -1) for n in group]
    return np.concatenate(parts, axis=1), [p.shape[1] for p in parts]


def _split_group(flat: np.ndarray, group, sizes, shapes, out: dict) -> None:
    start = 0
    for name, size in zip(group, sizes):
        out[name] = flat[:, start : start + size].reshape(shapes[name])
        start += size


def top_k_masks(scores: Mapping[str, np.ndarray], keep: float, groups: Sequence[Sequence[str]]) -> dict:
    """Boolean masks name -> (S, ...): per network and group, the kept_count(n_group, keep)
    largest scores (ties to the lower flat index); -inf scores are never kept."""
    masks = {}
    shapes = {n: np.asarray(a).shape for n, a in scores.items()}
    for group in groups:
        flat, sizes = _flat_group(scores, group)
        k = kept_count(flat.shape[1], keep)
        order = np.argsort(-flat, axis=1, kind="stable")  # descending, ties to the lower index
        kept = np.zeros(flat.shape, dtype=bool)
        np.put_along_axis(kept, order[:, :k], True, axis=1)
        _split_group(kept & np.isfinite(flat), group, sizes, shapes, masks)
    return masks


def zhou_masks(initial: Mapping[str, np.ndarray], final: Mapping[str, np.ndarray], keep: float,
               names: Sequence[str] = LOTTERY_PRUNABLE, scope: str = "global",
               layers: Sequence[Sequence[str]] = LOTTERY_LAYERS) -> dict:
    """Zhou et al.'s "large final, same sign" masks of the named weights (see the module docstring)."""
    for n in names:
        if n not in initial or n not in final:
            raise UserError(f"weight {n!r} is missing from the initial or the final parameters")
        if np.shape(initial[n]) != np.shape(final[n]):
            raise UserError(f"weight {n!r} has shape {np.shape(initial[n])} at init but {np.shape(final[n])} at the end")
    scores = {n: zhou_scores(initial[n], final[n]) for n in names}
    return top_k_masks(scores, keep, scope_groups(names, scope, layers))


def group_counts(masks: Mapping[str, np.ndarray], groups: Sequence[Sequence[str]]) -> np.ndarray:
    """Kept weights per network and group, (S, G) int64."""
    return np.stack([_flat_group(masks, g)[0].sum(axis=1) for g in groups], axis=1).astype(np.int64)


def random_masks(like: Mapping[str, np.ndarray], groups: Sequence[Sequence[str]], seeds, mask_seed: int = 0) -> dict:
    """Masks with exactly as many kept weights per network and group as `like`, at positions
    drawn uniformly (without replacement) over the group; one stream per (mask_seed, seed)."""
    seeds = np.asarray(seeds, dtype=np.int64)
    shapes = {n: np.asarray(a).shape for n, a in like.items()}
    counts = group_counts(like, groups)
    if counts.shape[0] != seeds.size:
        raise UserError(f"{seeds.size} seeds for masks of {counts.shape[0]} networks")
    rngs = [np.random.Generator(np.random.Philox(np.random.SeedSequence([_RANDOM_MASK_TAG, int(mask_seed), int(s)])))
            for s in seeds]
    out = {}
    for gi, group in enumerate(groups):
        flat, sizes = _flat_group(like, group)
        drawn = np.zeros(flat.shape, dtype=bool)
        for k, rng in enumerate(rngs):
            drawn[k, rng.permutation(flat.shape[1])[: counts[k, gi]]] = True
        _split_group(drawn, group, sizes, shapes, out)
    return out


def masked_weights(initial: Mapping[str, np.ndarray], masks: Mapping[str, np.ndarray], mode: str = "init",
                   constants: Mapping[str, float] | None = None) -> dict:
    """The untrained network with masks applied: masked names become initial * mask (`init`) or
    sign(initial) * constants[name] * mask (`signed_constant`; a constant may be a scalar or one
    per network); names without a mask pass through unchanged."""
    if mode not in WEIGHT_MODES:
        raise UserError(f"mode must be one of {', '.join(WEIGHT_MODES)}, got {mode!r}")
    out = {}
    for name, a in initial.items():
        a = np.asarray(a, dtype=np.float64)
        if name not in masks:
            out[name] = a
            continue
        m = np.asarray(masks[name], dtype=bool)
        if mode == "init":
            out[name] = np.where(m, a, 0.0)
        else:
            if constants is None or name not in constants:
                raise UserError(f"signed_constant needs a constant for {name!r}")
            const = np.asarray(constants[name], dtype=np.float64).reshape((-1,) + (1,) * (a.ndim - 1))
            out[name] = np.where(m, np.sign(a) * const, 0.0)
    return out


def masked_loss(loss_fn: Callable[[dict], np.ndarray], initial, masks, mode: str = "init", constants=None) -> np.ndarray:
    """loss_fn(weights dict) -> (S,) evaluated on the masked untrained network."""
    return loss_fn(masked_weights(initial, masks, mode, constants))


def lottery_init_std(d: int, width: int, init_scale: float = 1.0) -> dict:
    """Standard deviation of each lottery layer's initial distribution (init.py): w, b ~
    U(+-init_scale/sqrt(d)), v, c ~ U(+-1/sqrt(N)); U(+-a) has sigma = a/sqrt(3)."""
    first = init_scale / math.sqrt(3.0 * d)
    second = 1.0 / math.sqrt(3.0 * width)
    return {"w": first, "b": first, "v": second, "c": second}


def lottery_mse(params: Mapping[str, np.ndarray], x: np.ndarray, y: np.ndarray, act: str,
                block_elems: int = 2**22) -> np.ndarray:
    """MSE of each lottery network (params w (S, N, d), b, v (S, N), c (S,)) on (x, y), float64,
    in blocks of networks so that S x N x M never sits in memory at once."""
    w, b, v, c = (np.asarray(params[n], dtype=np.float64) for n in ("w", "b", "v", "c"))
    S, N = b.shape
    out = np.empty(S)
    per = max(1, block_elems // max(1, N * x.shape[0]))
    with np.errstate(all="ignore"):
        for lo in range(0, S, per):
            hi = min(S, lo + per)
            out[lo:hi] = model.mse(w[lo:hi], b[lo:hi], v[lo:hi], c[lo:hi], x, y, act)
    return out


def lottery_supermask_losses(initial: Mapping[str, np.ndarray], final: Mapping[str, np.ndarray], seeds, keeps,
                             x: np.ndarray, y: np.ndarray, act: str, scope: str = "global",
                             include_biases: bool = False, mask_seed: int = 0, init_scale: float = 1.0):
    """Losses of the untrained lottery networks under supermasks and random masks of the same size.

    initial, final: dicts w, b, v, c of the same networks at init and after training (e.g. a
    TrainResult and init.scaled_initial_parameters). Returns a long pandas DataFrame with one row
    per (seed, keep, mask in supermask/random, weights in init/signed_constant): kept, prunable
    (weights in the ranking), loss.
    """
    import pandas as pd

    model.check_activation(act)
    names = ("w", "b", "v") if include_biases else LOTTERY_PRUNABLE
    groups = scope_groups(names, scope)
    seeds = np.asarray(seeds, dtype=np.int64)
    w0 = np.asarray(initial["w"])
    S, N, d = w0.shape
    constants = lottery_init_std(d, N, init_scale)
    base = {n: np.asarray(initial[n], dtype=np.float64) for n in ("w", "b", "v", "c")}
    prunable = sum(int(np.prod(base[n].shape[1:])) for n in names)
    frames = []
    for keep in keeps:
        keep = check_keep(keep)
        zhou = zhou_masks(initial, final, keep, names, scope)
        null = random_masks(zhou, groups, seeds, mask_seed)
        for label, masks in (("supermask", zhou), ("random", null)):
            kept = group_counts(masks, groups).sum(axis=1)
            for mode in WEIGHT_MODES:
                loss = masked_loss(lambda p: lottery_mse(p, x, y, act), base, masks, mode, constants)
                frames.append(pd.DataFrame({"seed": seeds, "keep": keep, "mask": label, "weights": mode,
                                            "kept": kept, "prunable": prunable, "loss": loss}))
    return pd.concat(frames, ignore_index=True)
