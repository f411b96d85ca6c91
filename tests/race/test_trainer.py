"""Race trainer against a numpy reference, finite differences, span == direct, threads."""

import dataclasses

import numpy as np
import pytest

from lottery_scaling.errors import UserError
from lottery_scaling.studies.race import data, trainer

from . import reference


@pytest.fixture(scope="module")
def task():
    return data.load_digits_task(40, data_seed=1)


def _rel(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


SMALL = trainer.RaceSettings(width=16, sigma=0.1, lr=0.05, batch=3, max_epochs=15, loss_threshold=0.0,
                             checkpoints=8, form="direct")


@pytest.mark.parametrize("form", ["direct", "span"])
def test_matches_numpy_reference(task, form):
    s = dataclasses.replace(SMALL, form=form)
    res = trainer.train_runs(task, [3, 7], s, threads=1)
    for r, seed in enumerate((3, 7)):
        W, b, V, c, steps = reference.train(task, seed, s)
        assert res.stop_step[r] == steps == 15 * 14  # 40 samples in batches of 3 -> 14 steps
        assert res.status[r] == 0
        for got, want in ((res.W[r], W), (res.b[r], b), (res.V[r], V), (res.c[r], c)):
            assert _rel(got, want) < 1e-12
        assert np.max(np.abs(W - trainer.initial_parameters(seed, 16, 64, 0.1)[0])) > 1e-2  # it did train


def test_masked_direct_matches_reference(task):
    rng = np.random.default_rng(0)
    mw = (rng.random((16, 64)) < 0.6).astype(float)
    mv = (rng.random((2, 16)) < 0.8).astype(float)
    res = trainer.train_runs(task, [5], SMALL, threads=1, mask_w=mw, mask_v=mv)
    W, b, V, c, _ = reference.train(task, 5, SMALL, mask_w=mw, mask_v=mv)
    assert _rel(res.W[0], W) < 1e-12 and _rel(res.V[0], V) < 1e-12 and _rel(res.b[0], b) < 1e-12
    assert np.all(res.W[0][mw == 0] == 0) and np.all(res.V[0][mv == 0] == 0)


def test_one_step_is_minus_lr_times_finite_difference_gradient(task):
    """One full-batch step from buf = 0 moves every parameter by -lr * dL/dp (central differences)."""
    t4 = dataclasses.replace(task, x_train=task.x_train[:4], y_train=task.y_train[:4])
    s = trainer.RaceSettings(width=8, sigma=0.3, lr=1e-3, batch=4, max_epochs=1, loss_threshold=0.0,
                             checkpoints=1, form="direct")
    res = trainer.train_runs(t4, [11], s, threads=1)
    W0, V0 = trainer.initial_parameters(11, 8, 64, 0.3)
    p0 = [W0, np.zeros(8), V0, np.zeros(2)]
    got = [res.W[0], res.b[0], res.V[0], res.c[0]]
    X, Y = t4.x_train, t4.y_train.astype(int)
    h = 1e-6
    rng = np.random.default_rng(1)
    for q in range(4):
        flat = p0[q].reshape(-1)
        for j in rng.choice(flat.size, min(6, flat.size), replace=False):
            def loss(delta):
                ps = [p.copy() for p in p0]
                ps[q].reshape(-1)[j] += delta
                return reference.loss_acc(*ps, X, Y)[0]
            fd = (loss(h) - loss(-h)) / (2 * h)
            step = (got[q].reshape(-1)[j] - flat[j]) / -s.lr
            assert step == pytest.approx(fd, rel=1e-5, abs=1e-9)


def test_span_equals_direct_at_default_scale(task):
    s = trainer.RaceSettings(width=32, max_epochs=40, loss_threshold=0.0, checkpoints=10)
    a = trainer.train_runs(task, [0, 1], dataclasses.replace(s, form="direct"), threads=1)
    b = trainer.train_runs(task, [0, 1], dataclasses.replace(s, form="span"), threads=1)
    assert b.form == "span" and a.form == "direct"
    for x, y in ((a.W, b.W), (a.V, b.V), (a.b, b.b), (a.snap_W, b.snap_W)):
        assert _rel(np.nan_to_num(x), np.nan_to_num(y)) < 1e-10
    assert np.array_equal(a.ckpt_step, b.ckpt_step)


def test_threads_bitwise_and_checkpoint_quantities(task):
    s = trainer.RaceSettings(width=24, sigma=1e-3, max_epochs=60, loss_threshold=1e-2, checkpoints=12)
    one = trainer.train_runs(task, [0, 1, 2], s, threads=1)
    two = trainer.train_runs(task, [0, 1, 2], s, threads=2)
    for name in ("W", "V", "b", "c", "snap_W", "stop_step", "ckpt_step"):
        assert np.array_equal(getattr(one, name), getattr(two, name), equal_nan=True), name
    for name in trainer.NEURON_FIELDS:
        assert np.array_equal(one.neuron[name], two.neuron[name], equal_nan=True)
    # the last checkpoint (the stop step) equals the numpy definitions on the end snapshot
    r = 1
    last = int(np.max(np.flatnonzero(one.ckpt_step[r] >= 0)))
    assert one.ckpt_step[r, last] == one.stop_step[r] == one.snap_step[r, 3]
    want = reference.neuron_quantities(one.W[r], one.b[r], one.V[r], task.x_train, task.y_train)
    for name, w in zip(trainer.NEURON_FIELDS, want):
        np.testing.assert_allclose(one.neuron[name][r, last], w, rtol=1e-9, atol=1e-9, err_msg=name)
    loss, acc = reference.loss_acc(one.W[r], one.b[r], one.V[r], one.c[r], task.x_test, task.y_test.astype(int))
    assert one.run["test_loss"][r, last] == pytest.approx(loss, rel=1e-10)
    assert one.run["test_acc"][r, last] == acc


def test_float32_close_to_float64_and_divergence_is_flagged(task):
    s = trainer.RaceSettings(width=16, sigma=0.1, lr=0.01, max_epochs=5, loss_threshold=0.0, checkpoints=4)
    a = trainer.train_runs(task, [0], s, threads=1)
    b = trainer.train_runs(task, [0], dataclasses.replace(s, dtype="float32"), threads=1)
    assert 0 < _rel(b.W[0], a.W[0]) < 1e-4
    bad = trainer.train_runs(task, [0, 1], dataclasses.replace(s, sigma=1e300, lr=1.0), threads=1)
    assert bad.diverged.all() and (bad.epochs == 1).all()


def test_bad_settings_are_user_errors(task):
    with pytest.raises(UserError, match="momentum"):
        trainer.train_runs(task, [0], trainer.RaceSettings(momentum=1.5))
    with pytest.raises(UserError, match="direct"):
        trainer.train_runs(task, [0], trainer.RaceSettings(width=4, form="span"), mask_w=np.ones((4, 64)))
    with pytest.raises(UserError, match="runs"):
        trainer.parse_runs("3:1")
    assert list(trainer.parse_runs("2:5")) == [2, 3, 4]
