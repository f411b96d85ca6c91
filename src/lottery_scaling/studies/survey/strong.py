"""Item 2 of the survey study: strong tickets (edge-popup) of the lottery networks at several keep
fractions, as a masks file (for the overlap) and a table (loss against width and keep).

The networks are those of a lottery training setting (the same seeds give the same frozen initial
weights as the trained networks); edge-popup trains scores with that setting's optimiser schedule
(edgepopup.py). Per network and keep: the final masked network's train and test MSE, and the test
MSE of the mask edge-popup starts from (the top-k of random scores drawn independently of the
weights: a random mask of exactly the same per-layer size, the null of the "beats random" row).
"""

from __future__ import annotations

from dataclasses import asdict, fields, replace

import numpy as np

from .edgepopup import EdgePopupSettings, initial_scores, score_groups, train_edgepopup
from .masks import Masks
from .overlap import kept_neurons
from .supermask import lottery_mse
from .settings import EdgePopupSweepSettings

EDGEPOPUP_COLUMNS = ("label", "task", "activation", "width", "keep", "scope", "seed", "train_loss", "test_loss",
                     "start_train_loss", "start_test_loss", "kept_weights", "kept_neurons", "diverged",
                     "trained_test_loss")


def edgepopup_settings(train_settings, keep: float, sweep: EdgePopupSweepSettings) -> EdgePopupSettings:
    names = {f.name for f in fields(EdgePopupSettings)}
    values = {k: v for k, v in asdict(train_settings).items() if k in names}
    values.update(keep=keep, scope=sweep.scope, optimizer=sweep.optimizer, score_seed=sweep.score_seed)
    return EdgePopupSettings(**values)


def starting_masks(settings: EdgePopupSettings, seeds, d: int) -> np.ndarray:
    """(S, P - 1) bool: the top-k |score| per group of the initial scores (ties to the lower index),
    the mask edge-popup's first step uses."""
    sw, sb, sv = initial_scores(d, settings.width, seeds, settings.init_seed, settings.score_seed)
    S = sw.shape[0]
    keys = np.abs(np.concatenate([sw.reshape(S, -1), sb, sv], axis=1))
    bounds, kept = score_groups(settings.width, d, settings.scope, settings.keep)
    out = np.zeros(keys.shape, dtype=bool)
    for lo, hi, k in zip(bounds[:-1], bounds[1:], kept):
        order = np.argsort(-keys[:, lo:hi], axis=1, kind="stable")[:, :k]
        block = np.zeros((S, hi - lo), dtype=bool)
        np.put_along_axis(block, order, True, axis=1)
        out[:, lo:hi] = block
    return out


def run_edgepopup(train_settings, seeds, sweep: EdgePopupSweepSettings, label: str, threads=None,
                  trained_test_loss=None):
    """(Masks, rows) of edge-popup at every keep of `sweep` for the networks of `train_settings`
    (a lottery TrainSettings) with these seeds; trained_test_loss (S,) goes into the rows."""
    from ..lottery import tasks

    sweep.validate()
    ts = replace(train_settings, snapshots=False).resolved()
    seeds = np.asarray(seeds, dtype=np.int64)
    S, N = seeds.size, ts.width
    d = tasks.input_dim(ts.task)
    _, _, x_test, y_test = tasks.make_dataset(ts.data_spec())
    K = len(sweep.keeps)
    arrays = {name: np.zeros((S, K, N), dtype=bool) for name in ("mask_b", "mask_v")}
    arrays["mask_w"] = np.zeros((S, K, N, d), dtype=bool)
    losses = {name: np.full((S, K), np.nan) for name in ("train_loss", "test_loss", "start_test_loss")}
    diverged = np.zeros((S, K), dtype=bool)
    rows = []
    trained = np.full(S, np.nan) if trained_test_loss is None else np.asarray(trained_test_loss, dtype=np.float64)
    for j, keep in enumerate(sweep.keeps):
        es = edgepopup_settings(ts, keep, sweep)
        r = train_edgepopup(es, seeds, threads=threads)
        start = starting_masks(es, seeds, d)
        params = {"w": r.w0 * start[:, : N * d].reshape(S, N, d), "b": r.b0 * start[:, N * d : N * d + N],
                  "v": r.v0 * start[:, N * d + N :], "c": r.c0}
        start_test = lottery_mse(params, x_test, y_test, ts.activation)
        arrays["mask_w"][:, j], arrays["mask_b"][:, j], arrays["mask_v"][:, j] = r.mask_w, r.mask_b, r.mask_v
        losses["train_loss"][:, j], losses["test_loss"][:, j] = r.train_loss, r.test_loss
        losses["start_test_loss"][:, j] = start_test
        diverged[:, j] = r.diverged
        neurons = kept_neurons(r.mask_w, r.mask_v).sum(axis=1)
        for k in range(S):
            rows.append({"label": label, "task": ts.task, "activation": ts.activation, "width": N, "keep": float(keep),
                         "scope": sweep.scope, "seed": int(seeds[k]), "train_loss": float(r.train_loss[k]),
                         "test_loss": float(r.test_loss[k]), "start_train_loss": float(r.loss_curve[k, 0]),
                         "start_test_loss": float(start_test[k]),
                         "kept_weights": int(r.mask_w[k].sum() + r.mask_b[k].sum() + r.mask_v[k].sum()),
                         "kept_neurons": int(neurons[k]), "diverged": bool(r.diverged[k]),
                         "trained_test_loss": float(trained[k])})
    method = {k: v for k, v in edgepopup_settings(ts, sweep.keeps[0], sweep).as_attrs().items() if k != "keep"}
    masks = Masks("edgepopup", ts, method, seeds.copy(), np.array(sweep.keeps, dtype=np.float64), arrays["mask_w"],
                  arrays["mask_b"], arrays["mask_v"], losses["train_loss"], losses["test_loss"],
                  losses["start_test_loss"], diverged)
    return masks, rows
