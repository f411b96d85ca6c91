"""Edge-popup: selection, straight-through gradient and training against numpy references; determinism."""

import numpy as np
import pytest

from lottery_scaling.errors import UserError
from lottery_scaling.studies.lottery import _kernels as lottery_kernels
from lottery_scaling.studies.lottery import init, model, tasks, trainer
from lottery_scaling.studies.lottery.trainer import TrainSettings, train
from lottery_scaling.studies.survey import _kernels, edgepopup
from lottery_scaling.studies.survey.edgepopup import EdgePopupSettings, train_edgepopup

from ..lottery.reference import gradients
from .reference import edgepopup_train, flat, split, top_k_reference


def test_top_k_selection_matches_a_full_sort():
    rng = np.random.default_rng(0)
    for trial in range(400):
        n = int(rng.integers(1, 60))
        # ties (small integers, both signs) in half the trials, continuous scores otherwise
        scores = rng.integers(-4, 5, size=n).astype(float) if trial % 2 else rng.normal(size=n)
        cut = int(rng.integers(0, n + 1))
        bounds = np.array([0, cut, n]) if 0 < cut < n else np.array([0, n])
        kept = np.array([int(rng.integers(0, hi - lo + 1)) for lo, hi in zip(bounds[:-1], bounds[1:])])
        mask = np.full(n, -1.0)
        _kernels._top_k_mask(scores, bounds, kept, np.empty(n), np.empty(n, np.int64), mask)
        np.testing.assert_array_equal(mask, top_k_reference(scores, bounds, kept), err_msg=f"trial {trial}")
        for g, k in enumerate(kept):
            assert mask[bounds[g] : bounds[g + 1]].sum() == k


def test_nan_scores_rank_last():
    scores = np.array([np.nan, 0.5, -2.0, np.nan, 0.1])
    mask = np.empty(5)
    _kernels._top_k_mask(scores, np.array([0, 5]), np.array([3]), np.empty(5), np.empty(5, np.int64), mask)
    np.testing.assert_array_equal(mask, [0, 1, 1, 0, 1])


def _masked_gradient(act, theta, N, d, xT, y):
    M = xT.shape[1]
    grad = np.zeros_like(theta)
    w, b, v = theta[: N * d].reshape(N, d), theta[N * d : N * d + N], theta[N * d + N : N * d + 2 * N]
    loss = _kernels._network_loss_and_grad(
        act, theta, w, b, v, N, d, xT, y, 0, True, False, np.abs(xT[0]).max(), grad, np.empty(M), np.empty(M),
        np.empty(M), np.empty((N, M)), np.empty(1), np.empty(1), np.empty(1), np.empty((3, M)))
    return loss, grad


@pytest.mark.parametrize("act", ["silu", "relu", "tanh"])
@pytest.mark.parametrize("d", [1, 3])
def test_straight_through_gradient_is_the_masked_gradient_times_the_weight(act, d):
    rng = np.random.default_rng(5 + d)
    N, M = 6, 29
    theta0 = rng.normal(size=N * d + 2 * N + 1)
    scores = rng.normal(size=theta0.size - 1)
    mask = np.append(rng.random(scores.size) < 0.6, True).astype(float)
    x = rng.uniform(-2, 2, size=(M, d))
    y = np.cos(x).sum(axis=1)
    code = lottery_kernels.ACTIVATION_CODES[act]
    loss, grad = _masked_gradient(code, theta0 * mask, N, d, np.ascontiguousarray(x.T), y)
    out = np.empty(scores.size)
    _kernels._score_gradient(theta0, grad, scores, 0.0, out)
    # analytic: chain rule on the masked network, then d(masked weight)/d|score| = weight
    w, b, v, c = split(theta0 * mask, N, d)
    z = x @ w.T + b
    g = 2 * (model.predict(w, b, v, c, x, act) - y) / M
    dz = g[:, None] * v * model.activation_derivative(act, z)
    analytic = np.concatenate([(dz.T @ x).ravel(), dz.sum(0), model.activation(act, z).T @ g])
    analytic = analytic * theta0[:-1] * np.sign(scores)
    np.testing.assert_allclose(loss, np.mean((model.predict(w, b, v, c, x, act) - y) ** 2), rtol=1e-13)
    np.testing.assert_allclose(out, analytic, rtol=1e-11, atol=1e-13)
    # the same as the derivative of loss(theta0 * m) in a continuous mask value m at the mask
    if act != "relu":  # relu's kink makes finite differences one-sided at some samples

        def loss_at(m):
            return model.mse(*split(theta0 * np.append(m, 1.0), N, d), x, y, act)

        h = 1e-6
        fd = np.array([(loss_at(mask[:-1] + h * e) - loss_at(mask[:-1] - h * e)) / (2 * h) for e in np.eye(scores.size)])
        np.testing.assert_allclose(out, fd * np.sign(scores), rtol=1e-5, atol=1e-8)
    # weight decay enters in PyTorch's L2 form
    decayed = np.empty(scores.size)
    _kernels._score_gradient(theta0, grad, scores, 0.3, decayed)
    np.testing.assert_allclose(decayed, out + 0.3 * scores, rtol=1e-14)


def _reference_run(settings, seeds):
    s = settings.resolved()
    x, y, xt, yt = tasks.make_dataset(s.train_settings().data_spec())
    d = x.shape[1]
    N = s.width
    w0, b0, v0, c0 = init.scaled_initial_parameters(d, N, seeds, s.init_seed, s.init_scale)
    sw, sb, sv = edgepopup.initial_scores(d, N, seeds, s.init_seed, s.score_seed)
    bounds, kept = edgepopup.score_groups(N, d, s.scope, s.keep)
    runs = []
    for k in range(len(seeds)):
        theta0 = flat(w0[k], b0[k], v0[k], c0[k])
        runs.append(edgepopup_train(theta0, np.concatenate([sw[k].ravel(), sb[k], sv[k]]), N, d, x, y, s.activation,
                                    bounds, kept, s.steps, s.lr, s.lr_decay, s.lr_decay_every, s.optimizer, s.momentum,
                                    s.weight_decay))
    return runs, (x, y, xt, yt)


@pytest.mark.parametrize("case", [
    dict(task="x2", activation="silu", width=5),
    dict(task="x2", activation="tanh", width=4, scope="global", keep=0.6),
    dict(task="x2", activation="leaky_relu", width=4, optimizer="sgd", lr=0.05, weight_decay=1e-3),
    dict(task="prod2", activation="silu", width=3, keep=0.7),
])
def test_training_matches_numpy_reference(case):
    settings = EdgePopupSettings(**case, steps=40, lr_decay_every=13, n_train=30, n_test=17, curve_points=41)
    seeds = np.array([2, 9])
    result = train_edgepopup(settings, seeds, threads=1)
    runs, (x, y, xt, yt) = _reference_run(settings, seeds)
    N, d = settings.width, x.shape[1]
    for k, (scores, mask, losses) in enumerate(runs):
        got_scores = np.concatenate([result.score_w[k].ravel(), result.score_b[k], result.score_v[k]])
        got_mask = np.concatenate([result.mask_w[k].ravel(), result.mask_b[k], result.mask_v[k]])
        np.testing.assert_allclose(got_scores, scores, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(got_mask, mask > 0)
        np.testing.assert_allclose(result.loss_curve[k], losses[result.curve_step], rtol=1e-12)
        w, b, v, c = result.masked_parameters()
        np.testing.assert_allclose(result.test_loss[k], model.mse(w[k], b[k], v[k], c[k], xt, yt, settings.activation),
                                   rtol=1e-12)
        np.testing.assert_allclose(result.train_loss[k], losses[-1], rtol=1e-12)
    # the mask keeps exactly the group sizes
    bounds, kept = edgepopup.score_groups(N, d, settings.scope, settings.keep)
    flat_masks = np.concatenate([result.mask_w.reshape(2, -1), result.mask_b, result.mask_v], axis=1)
    for g, k in enumerate(kept):
        assert (flat_masks[:, bounds[g] : bounds[g + 1]].sum(axis=1) == k).all()
    assert not result.diverged.any()


def test_keep_one_is_the_lottery_network():
    # keep = 1: the mask is all ones, so the loss is the lottery trainer's, bitwise (the same kernels)
    base = dict(steps=5, n_train=40, n_test=21, curve_points=6)
    ours = train_edgepopup(EdgePopupSettings("x2", "silu", width=7, keep=1.0, **base), np.arange(3))
    # (its curve at step 0 of a run with steps > 0: a run of 0 steps evaluates by another kernel)
    lottery = train(TrainSettings("x2", "silu", width=7, steps=1, n_train=40, n_test=21, curve_points=2), np.arange(3))
    assert ours.mask_w.all() and ours.mask_b.all() and ours.mask_v.all()
    assert np.array_equal(ours.loss_curve, np.repeat(lottery.loss_curve[:, :1], 6, axis=1))
    untrained = train(TrainSettings("x2", "silu", width=7, steps=0, n_train=40, n_test=21), np.arange(3))
    np.testing.assert_array_equal(ours.test_loss, untrained.test_loss)


@pytest.mark.parametrize("x_range", [None, (-1.0, 2.0)])
def test_wide_path_gives_the_narrow_path_numbers(monkeypatch, x_range):
    # above STORE_LIMIT_BYTES the lottery kernels fuse the SiLU step (mirrored grid) or recompute
    # the sigmoids (asymmetric grid); edge-popup takes those paths too, with the same numbers
    settings = EdgePopupSettings("x2", "silu", width=6, steps=60, lr_decay_every=20, n_train=40, n_test=21,
                                 x_range=x_range)
    narrow = train_edgepopup(settings, np.arange(2))
    monkeypatch.setattr(trainer, "STORE_LIMIT_BYTES", 0)
    wide = train_edgepopup(settings, np.arange(2))
    np.testing.assert_allclose(wide.score_w, narrow.score_w, rtol=0, atol=1e-12)
    np.testing.assert_allclose(wide.score_v, narrow.score_v, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(wide.mask_v, narrow.mask_v)
    np.testing.assert_allclose(wide.loss_curve, narrow.loss_curve, rtol=1e-12)


def test_seed_determines_result_regardless_of_threads_and_chunking():
    import numba

    settings = EdgePopupSettings("x2", "silu", width=5, steps=80, n_train=30, n_test=11)
    numba.set_num_threads(1)
    one = train_edgepopup(settings, np.arange(8))
    both = train_edgepopup(settings, np.arange(8), threads=2)
    first = train_edgepopup(settings, np.arange(0, 3))
    second = train_edgepopup(settings, np.arange(3, 8))
    for name in ("score_w", "score_b", "score_v", "mask_w", "mask_b", "mask_v", "loss_curve", "test_loss"):
        a = getattr(one, name)
        assert np.array_equal(a, getattr(both, name)), name
        assert np.array_equal(a, np.concatenate([getattr(first, name), getattr(second, name)])), name
    # frozen weights are the lottery trainer's init of the seed; scores come from their own stream
    w0, _, v0, _ = init.initial_parameters(1, 5, np.arange(8))
    assert np.array_equal(one.w0, w0) and np.array_equal(one.v0, v0)
    s_other = edgepopup.initial_scores(1, 5, np.arange(8), score_seed=1)[0]
    assert not np.array_equal(s_other, edgepopup.initial_scores(1, 5, np.arange(8))[0])
    assert not np.array_equal(edgepopup.initial_scores(1, 5, [0])[0], w0[:1])


def test_initial_scores_follow_the_layer_bounds():
    sw, sb, sv = edgepopup.initial_scores(d=4, width=50, seeds=np.arange(40))
    assert np.abs(sw).max() <= 0.5 and np.abs(sb).max() <= 0.5
    assert np.abs(sv).max() <= 1 / np.sqrt(50)
    assert abs(sw.var() - 0.25 / 3) < 0.01


def test_pruning_lowers_the_loss_on_x2():
    settings = EdgePopupSettings("x2", "silu", width=40, keep=0.5, steps=300, n_train=50, n_test=21)
    result = train_edgepopup(settings, np.arange(4))
    ratio = result.loss_curve[:, -1] / result.loss_curve[:, 0]
    assert (ratio < 0.95).all() and np.median(ratio) < 0.8


@pytest.mark.parametrize("kwargs, message", [
    (dict(keep=0.0), "keep must be a number in (0, 1], got 0.0"),
    (dict(keep=float("nan")), "keep must be a number in (0, 1]"),
    (dict(scope="neuron"), "scope must be layer or global, got 'neuron'"),
    (dict(optimizer="rmsprop"), "optimizer must be adam or sgd, got 'rmsprop'"),
    (dict(momentum=1.0), "momentum must be a number in [0, 1), got 1.0"),
    (dict(weight_decay=-1.0), "weight_decay must be a number >= 0, got -1.0"),
    (dict(score_seed=-2), "score_seed must be an integer >= 0, got -2"),
    (dict(lr=0.0), "lr must be a number > 0, got 0.0"),
    (dict(width=0), "width must be an integer >= 1, got 0"),
])
def test_bad_settings_name_the_setting(kwargs, message):
    values = dict(task="x2", activation="silu", width=3)
    values.update(kwargs)
    with pytest.raises(UserError) as err:
        train_edgepopup(EdgePopupSettings(**values), np.arange(2))
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("seeds", [[], [-1, 2], [0.5], [[1, 2]]])
def test_bad_seeds_are_one_line(seeds):
    from lottery_scaling.studies.survey.linearised import train_linearised

    for call in (lambda: train_edgepopup(EdgePopupSettings("x2", "silu", 3), seeds),
                 lambda: train_linearised(TrainSettings("x2", "silu", 3), seeds)):
        with pytest.raises(UserError, match=r"seeds must be a non-empty list of integers >= 0, got "):
            call()
