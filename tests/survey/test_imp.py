"""IMP with rewinding on the lottery networks: masked training against the trainer and a numpy
reference, pruned weights stay 0, the schedule reaches each sparsity, round 1 reads the file's weights."""

import numpy as np
import pytest

from lottery_scaling.errors import UserError
from lottery_scaling.studies.lottery import init, tasks, trainer
from lottery_scaling.studies.lottery.trainer import TrainSettings, train
from lottery_scaling.studies.survey import imp

from .reference import flat, masked_adam_train, split

SMALL = dict(steps=120, lr_decay_every=50, n_train=30, n_test=41, curve_points=4)


@pytest.mark.parametrize("width", [3, 9000])  # 9000 x 30 samples pass the store limit: the fused wide step
def test_a_mask_of_ones_is_the_lottery_trainer(width):
    assert trainer.keeps_activations(3, 30, np.float64) and not trainer.keeps_activations(9000, 30, np.float64)
    s = TrainSettings("x2", "silu", width, **SMALL)
    seeds = np.arange(2)
    r = train(s, seeds, threads=1)
    m = imp.train_masked(s, seeds, init.scaled_initial_parameters(1, width, seeds), {}, threads=1)
    for name in ("w", "b", "v", "c"):
        np.testing.assert_array_equal(getattr(m, name), getattr(r, name))
    np.testing.assert_allclose(m.loss_curve, r.loss_curve, rtol=1e-12)


@pytest.mark.parametrize("act", ["silu", "tanh", "leaky_relu"])
def test_masked_training_matches_numpy_and_keeps_pruned_weights_at_zero(act):
    N, S = 5, 3
    s = TrainSettings("x2", act, N, **SMALL)
    seeds = np.arange(S)
    w0, b0, v0, c0 = init.scaled_initial_parameters(1, N, seeds)
    rng = np.random.default_rng(1)
    masks = {"w": rng.random((S, N, 1)) < 0.6, "v": rng.random((S, N)) < 0.6}
    out = imp.train_masked(s, seeds, (w0, b0, v0, c0), masks, threads=1)
    x, y, _, _ = tasks.make_dataset(s.resolved().data_spec())
    for k in range(S):
        mask = flat(masks["w"][k], np.ones(N), masks["v"][k], 1.0).astype(float)
        want, losses = masked_adam_train(flat(w0[k], b0[k], v0[k], c0[k]), mask, N, 1, x, y, act, s.steps,
                                         lr_decay_every=s.lr_decay_every)
        got = flat(out.w[k], out.b[k], out.v[k], out.c[k])
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
        assert np.all(got[mask == 0] == 0.0)
        np.testing.assert_allclose(out.loss_curve[k, 0], losses[0], rtol=1e-12)


def test_imp_reaches_each_sparsity_and_round_one_uses_the_trained_weights():
    N = 8
    s = TrainSettings("x2", "silu", N, **SMALL)
    trained = train(s, np.arange(3), threads=1)
    out = imp.imp(trained, [0.25, 0.5], rounds=2, threads=1)
    total = 2 * N
    for j, p in enumerate([0.25, 0.5]):
        kept = out.mask_w[:, j].reshape(3, -1).sum(1) + out.mask_v[:, j].sum(1)
        np.testing.assert_array_equal(kept, total - round(p * total))
        np.testing.assert_allclose(out.sparsity_reached[:, j], p)
    # one round: the pruned weights are exactly the smallest |final| of the trained networks
    one = imp.imp(trained, [0.5], rounds=1, threads=1)
    for k in range(3):
        mags = np.concatenate([np.abs(trained.w[k, :, 0]), np.abs(trained.v[k])])
        kept = np.concatenate([one.mask_w[k, 0, :, 0], one.mask_v[k, 0]])
        assert mags[kept].min() >= mags[~kept].max()


def test_imp_refuses_diverged_networks_and_bad_sparsities():
    s = TrainSettings("x2", "silu", 4, **SMALL)
    trained = train(s, np.arange(2), threads=1)
    with pytest.raises(UserError, match="sparsity must be a number in \\(0, 1\\), got 1.0"):
        imp.imp(trained, [1.0])
    trained.diverged[1] = True
    with pytest.raises(UserError, match="seeds \\[1\\] diverged"):
        imp.imp(trained, [0.5])
