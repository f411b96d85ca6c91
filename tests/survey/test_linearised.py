"""The linearised (tangent-space) trainer against an explicit-Jacobian numpy reference; movement helpers."""

import numpy as np
import pytest

from lottery_scaling.errors import UserError
from lottery_scaling.studies.lottery import _kernels as lottery_kernels
from lottery_scaling.studies.lottery import init, model, tasks
from lottery_scaling.studies.lottery.trainer import TrainSettings, train
from lottery_scaling.studies.survey import _kernels, linearised
from lottery_scaling.studies.survey.linearised import train_linearised

from .reference import jacobian, linearised_train, split

ACTS = ["silu", "relu", "leaky_relu", "tanh"]


def _kernel_loss_and_grad(act, theta0, dtheta, N, d, x, y):
    M = x.shape[0]
    xT = np.ascontiguousarray(x.T)
    h0, q, f0, z = np.empty((N, M)), np.empty((N, M)), np.empty(M), np.empty(M)
    code = lottery_kernels.ACTIVATION_CODES[act]
    _kernels._tangent_features(code, theta0, N, d, xT, h0, q, f0, z)
    dw, db, dv, _ = split(dtheta, N, d)
    grad = np.empty_like(theta0)
    loss = _kernels._linearised_loss_and_grad(dtheta, np.ascontiguousarray(dw), db, dv, N, d, xT, y, h0, q, f0,
                                              np.empty(M), np.empty(M), z, np.empty((d, M)), grad)
    return loss, grad, f0


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("d", [1, 3])
def test_gradient_matches_explicit_jacobian_and_finite_differences(act, d):
    rng = np.random.default_rng(20 + d)
    N, M = 5, 31
    theta0 = rng.normal(size=N * d + 2 * N + 1)
    dtheta = 0.3 * rng.normal(size=theta0.size)
    x = rng.uniform(-2, 2, size=(M, d))
    y = np.sin(x).sum(axis=1)
    loss, grad, f0 = _kernel_loss_and_grad(act, theta0, dtheta, N, d, x, y)
    np.testing.assert_allclose(f0, model.predict(*split(theta0, N, d), x, act), rtol=1e-13, atol=1e-14)
    J = jacobian(theta0, N, d, x, act)
    r = model.predict(*split(theta0, N, d), x, act) + J @ dtheta - y
    np.testing.assert_allclose(loss, np.mean(r**2), rtol=1e-13)
    np.testing.assert_allclose(grad, J.T @ (2 * r / M), rtol=1e-11, atol=1e-13)
    # finite differences of the numpy f_lin loss (linearised_mse), which the result's losses use
    initial = [a[None] for a in split(theta0, N, d)]
    initial[3] = np.array([theta0[-1]])

    def loss_at(t):
        final = [a[None] for a in split(t, N, d)]
        final[3] = np.array([t[-1]])
        return linearised.linearised_mse(initial, final, x, y, act)[0]

    h = 1e-6
    t1 = theta0 + dtheta
    np.testing.assert_allclose(loss_at(t1), loss, rtol=1e-12)
    fd = np.array([(loss_at(t1 + h * e) - loss_at(t1 - h * e)) / (2 * h) for e in np.eye(t1.size)])
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("task, act", [("x2", "silu"), ("x2", "tanh"), ("x2", "relu"), ("prod3", "silu")])
def test_training_matches_numpy_reference(task, act):
    settings = TrainSettings(task, act, width=4, steps=60, lr_decay_every=17, n_train=40, n_test=23, curve_points=61)
    seeds = np.array([1, 6])
    result = train_linearised(settings, seeds, threads=1)
    x, y, xt, yt = tasks.make_dataset(settings.data_spec())
    d = x.shape[1]
    w0, b0, v0, c0 = init.initial_parameters(d, 4, seeds)
    for k in range(seeds.size):
        theta0 = np.concatenate([w0[k].ravel(), b0[k], v0[k], [c0[k]]])
        dtheta, losses = linearised_train(theta0, 4, d, x, y, act, steps=60, lr_decay_every=17)
        got = np.concatenate([result.w[k].ravel(), result.b[k], result.v[k], [result.c[k]]]) - theta0
        np.testing.assert_allclose(got, dtheta, rtol=0, atol=1e-12)
        np.testing.assert_allclose(result.loss_curve[k], losses[result.curve_step], rtol=1e-12)
        np.testing.assert_allclose(result.train_loss[k], losses[-1], rtol=1e-12)
        J = jacobian(theta0, 4, d, xt, act)
        f_test = model.predict(w0[k], b0[k], v0[k], c0[k], xt, act) + J @ dtheta
        np.testing.assert_allclose(result.test_loss[k], np.mean((f_test - yt) ** 2), rtol=1e-12)
        w, b, v, c = split(theta0 + dtheta, 4, d)
        np.testing.assert_allclose(result.network_test_loss[k], model.mse(w, b, v, c, xt, yt, act), rtol=1e-12)
        np.testing.assert_allclose(result.movement[k], np.linalg.norm(dtheta) / np.linalg.norm(theta0), rtol=1e-12)


def test_starts_at_the_network_and_learns():
    settings = TrainSettings("x2", "silu", width=20, steps=400, n_train=50, n_test=21)
    lin = train_linearised(settings, np.arange(3))
    net = train(TrainSettings("x2", "silu", width=20, steps=0, n_train=50, n_test=21), np.arange(3))
    np.testing.assert_allclose(lin.loss_curve[:, 0], net.loss_curve[:, 0], rtol=1e-13)
    assert (lin.train_loss < 0.2 * lin.loss_curve[:, 0]).all()
    np.testing.assert_array_equal(lin.w0, init.initial_parameters(1, 20, np.arange(3))[0])


def test_init_scale_sets_the_tangent_point():
    settings = TrainSettings("x2", "silu", width=3, steps=0, n_train=20, n_test=11, init_scale=0.1)
    result = train_linearised(settings, np.arange(2))
    w0 = init.initial_parameters(1, 3, np.arange(2))[0]
    np.testing.assert_array_equal(result.w0, 0.1 * w0)
    assert (result.movement == 0).all()
    np.testing.assert_allclose(result.test_loss, result.network_test_loss, rtol=1e-14)


def test_seed_determines_result_regardless_of_threads_and_chunking():
    import numba

    settings = TrainSettings("x2", "silu", width=4, steps=100, n_train=30, n_test=11)
    numba.set_num_threads(1)
    one = train_linearised(settings, np.arange(6))
    both = train_linearised(settings, np.arange(6), threads=2)
    first = train_linearised(settings, np.arange(0, 2))
    second = train_linearised(settings, np.arange(2, 6))
    for name in ("w", "b", "v", "c", "loss_curve", "test_loss", "movement"):
        a = getattr(one, name)
        assert np.array_equal(a, getattr(both, name)), name
        assert np.array_equal(a, np.concatenate([getattr(first, name), getattr(second, name)])), name


def test_trained_movement_of_a_lottery_result():
    settings = TrainSettings("x2", "silu", width=3, steps=30, n_train=20, n_test=11, init_scale=0.5)
    result = train(settings, np.array([4, 7]))
    w0, b0, v0, c0 = init.scaled_initial_parameters(1, 3, [4, 7], 0, 0.5)
    t0 = np.concatenate([w0.reshape(2, -1), b0, v0, c0[:, None]], axis=1)
    t1 = np.concatenate([result.w.reshape(2, -1), result.b, result.v, result.c[:, None]], axis=1)
    expected = np.linalg.norm(t1 - t0, axis=1) / np.linalg.norm(t0, axis=1)
    np.testing.assert_allclose(linearised.trained_movement(result), expected, rtol=1e-14)
    assert (expected > 0).all()
    # given initial parameters (train_from) are used as they are
    np.testing.assert_array_equal(linearised.trained_movement(result, initial=(result.w, result.b, result.v, result.c)), 0)
    with pytest.raises(UserError, match="differ in shape"):
        linearised.relative_movement((w0, b0, v0, c0), (result.w[:, :2], result.b[:, :2], result.v[:, :2], result.c))


@pytest.mark.parametrize("kwargs, message", [
    (dict(dtype="float32"), "the linearised trainer runs in float64 only, got dtype 'float32'"),
    (dict(snapshots=True), "keeps no snapshots"),
    (dict(steps=-1), "steps must be an integer >= 0, got -1"),
])
def test_bad_settings_are_one_line(kwargs, message):
    with pytest.raises(UserError) as err:
        train_linearised(TrainSettings("x2", "silu", width=3, **kwargs), np.arange(2))
    assert message in str(err.value) and "\n" not in str(err.value)
