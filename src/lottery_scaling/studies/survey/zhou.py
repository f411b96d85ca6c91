"""Item 1 of the survey study: Zhou et al.'s supermasks on the untrained networks of both papers,
against random masks of the same size (the null), as one long table.

- lottery networks (`lottery_rows`): prunable weights w and v (biases at init, see supermask.py),
  loss = test MSE, no accuracy;
- the race classifier (`race_rows`): prunable weights W (d x D) and V (2 x d), biases zero at init
  (the race init) and not masked; loss = test cross-entropy (nats) and test accuracy. At the race's
  small init (sigma 1e-5) every untrained network's outputs are ~sigma^2, so its cross-entropy is
  ln 2 whatever the mask, but the argmax (accuracy) does not depend on the scale (b = c = 0 and ReLU
  make the network positively homogeneous): accuracy is the number that says something there.

Kept weights at their initial values (`init`) or as signed constants sign(w0) sigma_layer
(`signed_constant`); each network also gets `random_draws` random masks with exactly the
supermask's kept count per ranking group. Columns: SUPERMASK_COLUMNS; `mask` is supermask or
random, `draw` numbers the random masks (0 for the supermask); dense_init_* are the unmasked
untrained network's numbers, trained_* the trained network's, both on the test set.
"""

from __future__ import annotations

import numpy as np

from ...errors import UserError
from . import supermask as sm
from .settings import SupermaskSettings

SUPERMASK_COLUMNS = ("label", "model", "width", "seed", "keep", "mask", "draw", "weights", "kept", "prunable", "loss",
                     "accuracy", "dense_init_loss", "dense_init_accuracy", "trained_loss", "trained_accuracy")
MAX_DRAWS = 1000  # random masks per network: their streams are mask_seed * MAX_DRAWS + draw
RACE_LAYERS = (("W",), ("V",))


def _rows(label, model, width, seeds, initial, final, names, layers, constants, settings: SupermaskSettings, evaluate,
          dense, trained):
    groups = sm.scope_groups(names, settings.scope, layers)
    prunable = sum(int(np.prod(np.shape(initial[n])[1:])) for n in names)
    rows = []
    for keep in settings.keeps:
        zhou = sm.zhou_masks(initial, final, keep, names, settings.scope, layers)
        masks = [("supermask", 0, zhou)] + [
            ("random", k, sm.random_masks(zhou, groups, seeds, settings.mask_seed * MAX_DRAWS + k))
            for k in range(settings.random_draws)]
        for label_mask, draw, m in masks:
            kept = sm.group_counts(m, groups).sum(axis=1)
            for mode in sm.WEIGHT_MODES:
                loss, acc = evaluate(sm.masked_weights(initial, m, mode, constants))
                for i, seed in enumerate(seeds):
                    rows.append({"label": label, "model": model, "width": int(width), "seed": int(seed), "keep": float(keep),
                                 "mask": label_mask, "draw": draw, "weights": mode, "kept": int(kept[i]),
                                 "prunable": prunable, "loss": float(loss[i]), "accuracy": float(acc[i]),
                                 "dense_init_loss": float(dense[0][i]), "dense_init_accuracy": float(dense[1][i]),
                                 "trained_loss": float(trained[0][i]), "trained_accuracy": float(trained[1][i])})
    return rows


def lottery_rows(result, settings: SupermaskSettings, label: str) -> list[dict]:
    """Rows for the trained lottery networks `result` (a TrainResult; diverged seeds left out)."""
    from ..lottery import init, tasks

    settings.validate()
    s = result.settings
    ok = ~np.asarray(result.diverged, bool)
    if not ok.any():
        raise UserError("every network diverged in training: no final weights to build supermasks from")
    seeds = result.seed[ok]
    S, N, d = result.w[ok].shape
    w0, b0, v0, c0 = init.scaled_initial_parameters(d, N, seeds, s.init_seed, s.init_scale)
    initial = {"w": w0, "b": b0, "v": v0, "c": c0}
    final = {"w": result.w[ok], "b": result.b[ok], "v": result.v[ok], "c": result.c[ok]}
    names = ("w", "b", "v") if settings.include_biases else sm.LOTTERY_PRUNABLE
    _, _, x_test, y_test = tasks.make_dataset(s.data_spec())
    nan = np.full(S, np.nan)

    def evaluate(p):
        return sm.lottery_mse(p, x_test, y_test, s.activation), nan

    dense = evaluate(initial)
    trained = (result.test_loss[ok], nan)
    constants = sm.lottery_init_std(d, N, s.init_scale)
    return _rows(label, "lottery", N, seeds, initial, final, names, sm.LOTTERY_LAYERS, constants, settings, evaluate,
                 dense, trained)


def race_rows(runs, settings: SupermaskSettings, label: str) -> list[dict]:
    """Rows for a race runs file (trajectories.read_runs): init and end snapshots of the runs that
    did not diverge and reached the end snapshot."""
    from ..race.clusters import loss_accuracy
    from ..race.trainer import SNAPSHOTS

    settings.validate()
    if settings.include_biases:
        raise UserError("include_biases applies to the lottery networks only (the race biases start at 0)")
    i0, i1 = SNAPSHOTS.index("init"), SNAPSHOTS.index("end")
    ok = (np.asarray(runs.status) != 2) & (runs.snap["step"][:, i1] >= 0)
    if not ok.any():
        raise UserError("no run reached its end snapshot without diverging: nothing to build supermasks from")
    seeds = np.asarray(runs.seed)[ok]
    snap = runs.snap
    initial = {"W": snap["W"][ok, i0], "b": snap["b"][ok, i0], "V": snap["V"][ok, i0], "c": snap["c"][ok, i0]}
    final = {"W": snap["W"][ok, i1], "b": snap["b"][ok, i1], "V": snap["V"][ok, i1], "c": snap["c"][ok, i1]}
    X, Y = runs.task.x_test, runs.task.y_test

    def evaluate(p):
        out = np.array([loss_accuracy(p["W"][r], p["b"][r], p["V"][r], p["c"][r], X, Y) for r in range(seeds.size)])
        return out[:, 0], out[:, 1]

    sigma = float(runs.settings["sigma"])
    width = int(runs.settings["width"])
    return _rows(label, "race", width, seeds, initial, final, ("W", "V"), RACE_LAYERS, {"W": sigma, "V": sigma},
                 settings, evaluate, evaluate(initial), evaluate(final))
