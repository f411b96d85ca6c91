"""Shared factories of small trained-network files for the tests of every study."""

from __future__ import annotations

import numpy as np
import pytest


def write_losses_file(path, width, loss, activation="silu", diverged=None, task="x2", **settings):
    """A trained-networks file whose only content that matters is the test loss per seed
    (parameters zero): for the histogram, synergy, fit and claims stages."""
    from lottery_scaling.studies.lottery import networks
    from lottery_scaling.studies.lottery.trainer import TrainResult, TrainSettings

    loss = np.asarray(loss, dtype=float)
    S = loss.size
    base = dict(steps=10, n_train=20, n_test=31, curve_points=2)
    base.update(settings)
    s = TrainSettings(task, activation, width, **base).resolved()
    result = TrainResult(
        settings=s, seed=np.arange(S), w=np.zeros((S, width, 1)), b=np.zeros((S, width)), v=np.zeros((S, width)),
        c=np.zeros(S), train_loss=loss.copy(), test_loss=loss,
        diverged=np.zeros(S, bool) if diverged is None else np.asarray(diverged, bool),
        loss_curve=np.zeros((S, 2)), curve_step=np.array([0, s.steps]),
    )
    networks.write_result(path, result)
    return str(path)


def write_networks_file(path, task, w, b, v, c, activation="silu", n_train=60, n_test=101):
    """A trained-networks file holding the given parameters (S networks), its losses computed on
    the task's data: for the pair-and-disentangle stage."""
    from lottery_scaling.studies.lottery import networks
    from lottery_scaling.studies.lottery.model import mse
    from lottery_scaling.studies.lottery.tasks import make_dataset
    from lottery_scaling.studies.lottery.trainer import TrainResult, TrainSettings

    s = TrainSettings(task, activation, w.shape[1], steps=0, n_train=n_train, n_test=n_test).resolved()
    x, y, xt, yt = make_dataset(s.data_spec())
    S = w.shape[0]
    result = TrainResult(
        settings=s, seed=np.arange(S), w=w, b=b, v=v, c=c,
        train_loss=mse(w, b, v, c, x, y, activation), test_loss=mse(w, b, v, c, xt, yt, activation),
        diverged=np.zeros(S, dtype=bool), loss_curve=np.zeros((S, 2)), curve_step=np.array([0, 1]),
    )
    networks.write_result(path, result)
    return str(path)


@pytest.fixture(scope="session")
def tiny_trained():
    """Six width-3 SiLU networks on x^2, trained for 50 steps (seconds)."""
    from lottery_scaling.studies.lottery.trainer import TrainSettings, train

    return train(TrainSettings("x2", "silu", width=3, steps=50, n_train=20, n_test=11, curve_points=6), np.arange(6))
