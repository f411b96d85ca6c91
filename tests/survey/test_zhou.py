"""Item 1's table: supermask rows against random masks of exactly the same sizes, for the lottery
networks and for the race classifier (its snapshots; accuracy is scale free at b = c = 0)."""

import types

import numpy as np
import pandas as pd
import pytest

from lottery_scaling.errors import UserError
from lottery_scaling.studies.lottery.trainer import TrainSettings, train
from lottery_scaling.studies.race.trainer import SNAPSHOTS
from lottery_scaling.studies.survey import zhou
from lottery_scaling.studies.survey.settings import SupermaskSettings


def test_lottery_rows_match_sizes_and_losses():
    r = train(TrainSettings("x2", "silu", 8, steps=100, n_train=30, n_test=41, curve_points=3), np.arange(3), threads=1)
    s = SupermaskSettings(keeps=(0.25, 1.0), random_draws=3)
    df = pd.DataFrame(zhou.lottery_rows(r, s, "x"))
    assert len(df) == 2 * (1 + 3) * 2 * 3
    for (seed, keep), g in df.groupby(["seed", "keep"]):
        assert g["kept"].nunique() == 1  # every random mask keeps as many weights as the supermask
    full = df[(df["keep"] == 1.0) & (df["weights"] == "init")]
    # keep 1 keeps every same-sign weight; a flipped weight is dropped, so the loss differs from init only by them
    assert (full["kept"] <= 16).all()
    with pytest.raises(UserError, match="keeps must be"):
        zhou.lottery_rows(r, SupermaskSettings(keeps=(0.0,)), "x")


def _runs(R=3, d=6, D=5, n_test=60, sigma=1e-5):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_test, D))
    direction = rng.normal(size=D)
    Y = (X @ direction > 0).astype(np.int8)
    snap = {"W": np.zeros((R, 4, d, D)), "b": np.zeros((R, 4, d)), "V": np.zeros((R, 4, 2, d)), "c": np.zeros((R, 4, 2)),
            "step": np.tile(np.arange(4), (R, 1))}
    i0, i1 = SNAPSHOTS.index("init"), SNAPSHOTS.index("end")
    snap["W"][:, i0] = sigma * rng.normal(size=(R, d, D))
    snap["V"][:, i0] = sigma * rng.normal(size=(R, 2, d))
    # the "trained" end: the init plus a classifier along `direction` (keeps most signs of the init)
    snap["W"][:, i1] = snap["W"][:, i0] + 3 * sigma * np.sign(rng.normal(size=(R, d, 1))) * direction
    snap["V"][:, i1] = snap["V"][:, i0]
    task = types.SimpleNamespace(x_test=X, y_test=Y)
    return types.SimpleNamespace(seed=np.arange(R), status=np.ones(R), snap=snap, task=task,
                                 settings={"sigma": sigma, "width": d})


def test_race_rows_use_the_snapshots_and_accuracy():
    runs = _runs()
    df = pd.DataFrame(zhou.race_rows(runs, SupermaskSettings(keeps=(0.5,), random_draws=2, scope="layer"), "race"))
    assert set(df["model"]) == {"race"} and len(df) == 3 * (1 + 2) * 2
    assert df["accuracy"].between(0, 1).all() and np.allclose(df["loss"], np.log(2), atol=1e-6)  # tiny init: ln 2
    assert (df.groupby("seed")["kept"].nunique() == 1).all()
    runs.status[:] = 2
    with pytest.raises(UserError, match="no run reached its end snapshot"):
        zhou.race_rows(runs, SupermaskSettings(), "race")
    with pytest.raises(UserError, match="include_biases applies to the lottery networks only"):
        zhou.race_rows(_runs(), SupermaskSettings(include_biases=True), "race")
