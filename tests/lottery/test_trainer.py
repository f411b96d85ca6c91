"""The numba trainer against a plain numpy reference, finite differences, and its determinism promises."""

import numpy as np
import pytest

from lottery_scaling.studies.lottery import _kernels, init, model, tasks, trainer
from lottery_scaling.errors import UserError
from lottery_scaling.studies.lottery.trainer import TrainSettings, curve_steps, parse_seeds, train

from .reference import adam_train, gradients

ACTS = ["silu", "relu", "leaky_relu", "tanh"]


def _flat(w, b, v, c):
    return np.concatenate([w.ravel(), b, v, [c]])


def _random_net(rng, N, d):
    return rng.normal(size=(N, d)), rng.normal(size=N), rng.normal(size=N), rng.normal()


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("d", [1, 3])
def test_kernel_gradient_matches_reference_and_finite_differences(act, d):
    rng = np.random.default_rng(10 + d)
    N, M = 5, 37
    w, b, v, c = _random_net(rng, N, d)
    x = rng.uniform(-2, 2, size=(M, d))
    y = np.sin(x).sum(axis=1)
    # numba: forward, loss, backward
    f = np.empty(M); g = np.empty(M); z = np.empty(M); keep = np.empty((N, M)); grad = np.empty(N * d + 2 * N + 1)
    xT = np.ascontiguousarray(x.T)
    code = _kernels.ACTIVATION_CODES[act]
    _kernels._forward(code, w, b, v, c, xT, f, z, keep)
    loss, gc_sum = _kernels._loss_and_output_grad(f, y, g)
    _kernels._backward(code, w, b, v, xT, g, gc_sum, z, keep, grad)
    gw, gb, gv, gc, ref_loss = gradients(w, b, v, c, x, y, act)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-13)
    np.testing.assert_allclose(grad, _flat(gw, gb, gv, gc), rtol=1e-11, atol=1e-13)
    # central finite differences of the numpy loss
    theta = _flat(w, b, v, c)

    def loss_at(t):
        return model.mse(t[: N * d].reshape(N, d), t[N * d : N * d + N], t[N * d + N : -1], t[-1], x, y, act)

    h = 1e-6
    fd = np.array([(loss_at(theta + h * e) - loss_at(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)
    if d == 1:  # the fused one-input kernels give the same numbers
        f1 = np.empty(M); keep1 = np.empty((N, M)); grad1 = np.empty_like(grad)
        _kernels._forward_1d(code, w, b, v, c, xT[0], f1, keep1, 0, 2.0, True)
        _kernels._backward_1d(code, w, b, v, xT[0], g, gc_sum, keep1, 0, 2.0, True, grad1)
        np.testing.assert_allclose(f1, f, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(grad1, grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("M", [40, 41])
def test_wide_path_recomputes_the_stored_activations(M):
    # store=False (wide networks): the forward pass keeps nothing and the backward pass
    # recomputes the SiLU sigmoids; same output and gradient as keeping them. One neuron
    # is too steep for the paired form, so both sigmoid forms are exercised.
    rng = np.random.default_rng(100 + M)
    N = 6
    w, b, v, c = _random_net(rng, N, 1)
    w[2, 0], b[2] = -400.0, 30.0
    half = M // 2
    left = np.sort(rng.uniform(-2, -0.05, half))
    x = np.concatenate([left, -left, [0.0] * (M - 2 * half)])
    y = x**2
    for pairs in (half, 0):
        results = []
        for store in (True, False):
            f = np.empty(M); g = np.empty(M); grad = np.empty(3 * N + 1)
            keep = np.full((N if store else 1, M), np.nan)
            _kernels._forward_1d(_kernels.SILU, w, b, v, c, x, f, keep, pairs, 2.0, store)
            loss, gc = _kernels._loss_and_output_grad(f, y, g)
            _kernels._backward_1d(_kernels.SILU, w, b, v, x, g, gc, keep, pairs, 2.0, store, grad)
            results.append((f, loss, grad))
            if not store:
                assert np.isnan(keep).all()  # nothing written: one row of scratch is enough
        (f0, loss0, grad0), (f1, loss1, grad1) = results
        # equal up to rounding: the two loops vectorise (and contract) differently
        np.testing.assert_allclose(f1, f0, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(loss1, loss0, rtol=1e-14)
        np.testing.assert_allclose(grad1, grad0, rtol=1e-13, atol=1e-16)
        with np.errstate(over="ignore"):  # the reference's exp overflows for the steep neuron
            gw, gb, gv, gc_ref, _ = gradients(w, b, v, c, x[:, None], y, "silu")
        np.testing.assert_allclose(grad1, _flat(gw, gb, gv, gc_ref), rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("M", [40, 41])
def test_mirrored_pairs_silu_forward_matches_generic(M):
    # samples ordered as mirrored pairs: one exp per pair; a neuron too steep for that form
    # (e * u would overflow) takes the plain path
    rng = np.random.default_rng(M)
    N = 7
    w, b, v, c = _random_net(rng, N, 1)
    w[0, 0], b[0] = 400.0, -50.0
    half = M // 2
    left = np.linspace(-2, -0.1, half)
    x = np.concatenate([left, -left, [0.0] * (M - 2 * half)])
    xT = x[None, :].copy()
    f0 = np.empty(M); keep0 = np.empty((N, M)); z = np.empty(M)
    f1 = np.empty(M); keep1 = np.empty((N, M))
    _kernels._forward(_kernels.SILU, w, b, v, c, xT, f0, z, keep0)
    _kernels._forward_1d(_kernels.SILU, w, b, v, c, x, f1, keep1, half, 2.0, True)
    np.testing.assert_allclose(keep1, keep0, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(f1, f0, rtol=1e-13, atol=1e-14)


def test_symmetric_grid_is_exactly_mirrored():
    x, _, xt, _ = tasks.make_dataset(tasks.DataSpec("x2", 1000))
    assert np.array_equal(x[:, 0], -x[::-1, 0]) and np.array_equal(xt[:, 0], -xt[::-1, 0])
    np.testing.assert_allclose(x[:, 0], np.linspace(-2, 2, 1000), rtol=0, atol=4.5e-16)


@pytest.mark.parametrize("act", ACTS)
def test_training_matches_numpy_adam_reference(act):
    settings = TrainSettings("x2", act, width=4, steps=300, lr_decay_every=100, n_train=64, n_test=33)
    seeds = np.array([3, 11])
    result = train(settings, seeds)
    x, y, _, _ = tasks.make_dataset(settings.data_spec())
    w0, b0, v0, c0 = init.initial_parameters(1, 4, seeds)
    for k in range(seeds.size):
        (w, b, v, c), losses = adam_train(w0[k], b0[k], v0[k], c0[k], x, y, act, steps=300, lr_decay_every=100)
        np.testing.assert_allclose(result.w[k], w, rtol=0, atol=1e-12)
        np.testing.assert_allclose(result.b[k], b, rtol=0, atol=1e-12)
        np.testing.assert_allclose(result.v[k], v, rtol=0, atol=1e-12)
        np.testing.assert_allclose(result.c[k], c, rtol=0, atol=1e-12)
        # loss curve: entry j is the loss after curve_step[j] updates
        final = model.mse(w, b, v, c, x, y, act)
        expected = np.append(losses, final)[result.curve_step]
        np.testing.assert_allclose(result.loss_curve[k], expected, rtol=1e-9)
        np.testing.assert_allclose(result.train_loss[k], final, rtol=1e-9)


@pytest.mark.parametrize("M", [40, 41])
def test_fused_wide_step_matches_reference_gradient(M):
    # the wide-network step (forward, loss and backward fused per sample pair, vectorised
    # over neurons) against the numpy reference, on a mirrored grid with and without a
    # middle point
    rng = np.random.default_rng(200 + M)
    N = 33
    w, b, v, c = _random_net(rng, N, 1)
    half = M // 2
    left = np.sort(rng.uniform(-2, -0.05, half))
    x = np.concatenate([left, -left, [0.0] * (M - 2 * half)])
    y = np.cos(3 * x)
    grad = np.full(3 * N + 1, np.nan)
    e, keep_left, keep_right = np.empty(N), np.empty(N), np.empty(N)
    assert _kernels._all_pairable(w[:, 0], b, 2.0)
    loss, gc = _kernels._step_wide_silu(w[:, 0].copy(), b, v, c, x, y, half, grad, e, keep_left, keep_right)
    gw, gb, gv, gc_ref, ref_loss = gradients(w, b, v, c, x[:, None], y, "silu")
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-13)
    np.testing.assert_allclose(gc, gc_ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad[: 3 * N], _flat(gw, gb, gv, gc_ref)[:-1], rtol=1e-11, atol=1e-14)
    assert np.isnan(grad[3 * N])  # dLoss/dc is returned, not written
    w[5, 0] = 350.0  # |w| x_max + |b| >= 600: this neuron needs the unpaired form
    assert not _kernels._all_pairable(w[:, 0], b, 2.0)


def test_fused_wide_step_in_float32_with_large_biases():
    # exp(-b) overflows float32 for |b| > 88; the step keeps it in float64
    x = np.array([-1.0, -0.5, 0.5, 1.0])[[0, 1, 3, 2]]  # mirrored pairs: x[2 + m] == -x[m]
    w, b, v = np.array([108.0, -3.0]), np.array([110.0, -95.0]), np.array([0.7, -1.2])
    y = x**2
    grads = {}
    for dtype in (np.float64, np.float32):
        grad = np.empty(7, dtype=dtype)
        args = [a.astype(dtype) for a in (w, b, v)]
        loss, gc = _kernels._step_wide_silu(*args, dtype(0.1), x.astype(dtype), y.astype(dtype), 2, grad,
                                            np.empty(2), np.empty(2, dtype), np.empty(2, dtype))
        grads[dtype] = grad[:6]
    np.testing.assert_allclose(grads[np.float32], grads[np.float64], rtol=1e-5, atol=1e-30)


def test_wide_networks_take_the_fused_step(monkeypatch):
    # the trainer's result is bitwise that of stepping _step_wide_silu and Adam by hand
    monkeypatch.setattr(trainer, "STORE_LIMIT_BYTES", 0)
    settings = TrainSettings("x2", "silu", width=16, steps=50, n_train=40, n_test=21, lr_decay_every=20)
    result = train(settings, np.array([2]))
    x, y, _, _ = tasks.make_dataset(settings.data_spec())
    order, half = trainer._mirrored_order(x)
    x, y = np.ascontiguousarray(x[order, 0]), np.ascontiguousarray(y[order])
    w0, b0, v0, c0 = init.initial_parameters(1, 16, [2])
    theta = np.concatenate([w0[0, :, 0], b0[0], v0[0], c0])
    grad, m1, m2 = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    e, keep_left, keep_right = np.empty(16), np.empty(16), np.empty(16)
    lr = settings.lr
    for t in range(settings.steps):
        lr = lr * settings.lr_decay if t > 0 and t % settings.lr_decay_every == 0 else lr
        _, gc = _kernels._step_wide_silu(theta[:16], theta[16:32], theta[32:48], theta[-1], x, y, half, grad, e,
                                         keep_left, keep_right)
        grad[-1] = gc
        _kernels._adam_update(theta, grad, m1, m2, lr, 0.9, 0.999, 1e-8, t + 1)
    np.testing.assert_array_equal(result.w[0, :, 0], theta[:16])
    np.testing.assert_array_equal(result.v[0], theta[32:48])
    assert result.c[0] == theta[-1]


@pytest.mark.parametrize("act", ["silu", "tanh"])
def test_wide_network_path_matches_numpy_adam_reference(act, monkeypatch):
    # networks whose activations exceed STORE_LIMIT_BYTES recompute them (SiLU; other
    # activations keep storing): force that path on a small problem
    monkeypatch.setattr(trainer, "STORE_LIMIT_BYTES", 0)
    assert not trainer.keeps_activations(4, 64, np.float64)
    settings = TrainSettings("x2", act, width=4, steps=300, lr_decay_every=100, n_train=64, n_test=33)
    seeds = np.array([5])
    result = train(settings, seeds)
    _same_as_reference(settings, seeds, result)
    if act == "silu":  # an asymmetric grid has no mirrored pairs: the recomputing passes
        settings = TrainSettings("x2", act, width=4, steps=300, lr_decay_every=100, n_train=64, n_test=33,
                                 x_range=(-1.0, 2.0))
        _same_as_reference(settings, seeds, train(settings, seeds))


def _same_as_reference(settings, seeds, result):
    act = settings.activation
    x, y, _, _ = tasks.make_dataset(settings.data_spec())
    w0, b0, v0, c0 = init.initial_parameters(1, 4, seeds)
    (w, b, v, c), losses = adam_train(w0[0], b0[0], v0[0], c0[0], x, y, act, steps=300, lr_decay_every=100)
    np.testing.assert_allclose(result.w[0], w, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.b[0], b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.v[0], v, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.c[0], c, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.loss_curve[0], np.append(losses, model.mse(w, b, v, c, x, y, act))[result.curve_step], rtol=1e-9)


def test_progress_reports_steps_within_networks():
    settings = TrainSettings("x2", "silu", width=400, steps=3000, n_train=200, n_test=21)
    calls = []
    train(settings, np.arange(2), threads=1, progress=lambda *a: calls.append(a), progress_interval=0.02)
    done, total, seconds, fraction, left = calls[-1]
    assert (done, total, fraction, left) == (2, 2, 1.0, 0.0)
    partial = [fr for d_, _, _, fr, _ in calls[:-1] if 0 < fr < 1]
    assert partial, f"no report within the training: {calls}"  # about 1 s of training
    assert partial == sorted(partial)
    # before the first network finishes the fraction already moves, with an estimate
    assert any(d_ == 0 and fr > 0 and lf > 0 for d_, _, _, fr, lf in calls)


def test_time_left_counts_the_networks_still_queued():
    # 3 networks of 100 steps on 2 threads at 5 steps/s: two rounds. The first two are half
    # done: 10 s to finish them, then 20 s for the third.
    assert trainer.seconds_left(np.array([50, 50, 0]), 100, 2, 5.0) == pytest.approx(30.0)
    # one round: the network furthest behind decides
    assert trainer.seconds_left(np.array([50, 40]), 100, 2, 5.0) == pytest.approx(12.0)
    assert trainer.seconds_left(np.array([100, 100, 30]), 100, 2, 5.0) == pytest.approx(14.0)
    assert trainer.seconds_left(np.array([0, 0]), 100, 2, None) is None  # no rate yet
    assert trainer.seconds_left(np.array([100]), 100, 1, 5.0) == 0.0


def test_step_rate_stays_right_when_fewer_networks_run():
    # 3 networks on 2 threads at 5 steps/s each, sampled every 4 s
    meter = trainer.StepRate(threads=2, networks=3)
    history = {4: [20, 20, 0], 8: [40, 40, 0], 20: [100, 100, 0], 24: [100, 100, 20], 36: [100, 100, 80]}
    rates = {t: meter.update(np.array(c), 100, float(t)) for t, c in history.items()}
    assert rates[4] == pytest.approx(5.0) and rates[8] == pytest.approx(5.0)
    # the first two finish at t = 20, then the third runs alone: one busy thread
    assert rates[20] == pytest.approx(5.0) and rates[24] == pytest.approx(5.0) and rates[36] == pytest.approx(5.0)
    # the naive estimate (steps done / elapsed / threads) would say 280 / 36 / 2 = 3.9


def test_multidimensional_task_matches_reference():
    settings = TrainSettings("prod3", "silu", width=6, steps=150, n_train=80, n_test=50)
    result = train(settings, np.array([0]))
    x, y, xt, yt = tasks.make_dataset(settings.data_spec())
    assert x.shape == (80, 3)
    w0, b0, v0, c0 = init.initial_parameters(3, 6, [0])
    (w, b, v, c), _ = adam_train(w0[0], b0[0], v0[0], c0[0], x, y, "silu", steps=150)
    np.testing.assert_allclose(result.w[0], w, atol=1e-12)
    np.testing.assert_allclose(result.test_loss[0], model.mse(w, b, v, c, xt, yt, "silu"), rtol=1e-9)


def test_initialisation_follows_pytorch_defaults():
    w, b, v, c = init.initial_parameters(d=4, width=50, seeds=np.arange(200))
    assert np.abs(w).max() <= 0.5 and np.abs(b).max() <= 0.5  # 1/sqrt(d)
    assert np.abs(v).max() <= 1 / np.sqrt(50) and np.abs(c).max() <= 1 / np.sqrt(50)
    # uniform: mean ~0, variance bound^2/3
    assert abs(w.var() - 0.25 / 3) < 0.01
    assert abs(v.var() - (1 / 50) / 3) < 0.001


def test_seed_determines_network_regardless_of_threads_and_chunking():
    import numba

    settings = TrainSettings("x2", "silu", width=3, steps=200, n_train=50, n_test=20)
    numba.set_num_threads(1)
    one = train(settings, np.arange(0, 10))
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    both = train(settings, np.arange(0, 10))
    first = train(settings, np.arange(0, 5))
    second = train(settings, np.arange(5, 10))
    for name in ("w", "b", "v", "c", "train_loss", "test_loss", "loss_curve"):
        a = getattr(one, name)
        assert np.array_equal(a, getattr(both, name)), name
        assert np.array_equal(a, np.concatenate([getattr(first, name), getattr(second, name)])), name
    # a different seed gives a different network; a different init_seed too
    assert not np.array_equal(one.w[0], one.w[1])
    other = train(TrainSettings("x2", "silu", width=3, steps=200, n_train=50, n_test=20, init_seed=1), np.arange(1))
    assert not np.array_equal(one.w[0], other.w[0])


def test_diverged_networks_are_marked_not_fatal():
    # an absurd learning rate overflows every network after one step: marked, training goes on
    settings = TrainSettings("x2", "silu", width=2, steps=300, lr=1e300, n_train=50, n_test=20)
    result = train(settings, np.arange(6))
    assert result.diverged.all()
    assert np.all(~np.isfinite(result.train_loss))
    assert np.isfinite(result.loss_curve[:, 0]).all() and not np.isfinite(result.loss_curve[:, -1]).any()
    calm = train(TrainSettings("x2", "silu", width=2, steps=100, n_train=50, n_test=20), np.arange(4))
    assert not calm.diverged.any()


def test_float32_option_trains_in_float32():
    settings = TrainSettings("x2", "silu", width=4, steps=400, n_train=64, n_test=33, dtype="float32")
    r32 = train(settings, np.arange(4))
    r64 = train(TrainSettings("x2", "silu", width=4, steps=400, n_train=64, n_test=33), np.arange(4))
    assert r32.w.dtype == np.float32 and r32.loss_curve.dtype == np.float32
    assert r32.train_loss.dtype == np.float64  # losses are evaluated in float64
    np.testing.assert_allclose(r32.train_loss, r64.train_loss, rtol=1e-2)


def test_float32_wide_path_agrees_with_float32_narrow_path(monkeypatch):
    settings = TrainSettings("x2", "silu", width=8, steps=400, n_train=64, n_test=33, dtype="float32")
    narrow = train(settings, np.arange(3))
    monkeypatch.setattr(trainer, "STORE_LIMIT_BYTES", 0)
    wide = train(settings, np.arange(3))
    assert wide.w.dtype == np.float32
    np.testing.assert_allclose(wide.train_loss, narrow.train_loss, rtol=1e-2)
    np.testing.assert_allclose(wide.w, narrow.w, atol=1e-3)


def test_loss_decreases_on_x2():
    result = train(TrainSettings("x2", "silu", width=10, steps=2000, lr_decay_every=500, n_train=100, n_test=50), np.arange(4))
    assert np.all(result.loss_curve[:, -1] < 1e-2 * result.loss_curve[:, 0])


def test_curve_steps_cover_start_and_end():
    steps = curve_steps(50000, 51)
    assert steps[0] == 0 and steps[-1] == 50000 and steps.size == 51
    assert curve_steps(3, 51).tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(width=0), "width"),
        (dict(lr=-1.0), "lr"),
        (dict(dtype="float16"), "dtype"),
        (dict(task="x5"), "x5"),
        (dict(activation="gelu"), "gelu"),
        (dict(x_range=(1.0, -1.0)), "x_range"),
        (dict(lr_decay_every=0), "lr_decay_every"),
    ],
)
def test_bad_settings_name_the_setting(kwargs, message):
    base = dict(task="x2", activation="silu", width=2)
    base.update(kwargs)
    with pytest.raises(UserError, match=message):
        TrainSettings(**base).resolved()


def test_parse_seeds():
    assert parse_seeds("0:4").tolist() == [0, 1, 2, 3]
    assert parse_seeds("7").tolist() == [7]
    assert parse_seeds("1,5,9").tolist() == [1, 5, 9]
    for bad in ["5:3", "a:b", "-1", "1,1", ""]:
        with pytest.raises(UserError):
            parse_seeds(bad)
