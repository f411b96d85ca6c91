"""Supermasks: selection against brute force, the random null's exact size, masked weights and losses."""

import numpy as np
import pytest

from lottery_scaling.errors import UserError
from lottery_scaling.studies.lottery import init, model, tasks
from lottery_scaling.studies.lottery.trainer import TrainSettings, train
from lottery_scaling.studies.survey import supermask as sm


def _brute_force(initial, final, keep, groups):
    """Per network: a weight is kept iff it keeps its sign and fewer than k eligible weights of its
    group beat it (larger |final|, or equal and earlier in the flat order)."""
    out = {}
    S = next(iter(initial.values())).shape[0]
    for group in groups:
        ini = np.concatenate([initial[n].reshape(S, -1) for n in group], axis=1)
        fin = np.concatenate([final[n].reshape(S, -1) for n in group], axis=1)
        n = ini.shape[1]
        k = int(np.floor(keep * n + 0.5))
        kept = np.zeros((S, n), dtype=bool)
        for s in range(S):
            for j in range(n):
                if not fin[s, j] * ini[s, j] > 0:
                    continue
                better = sum(1 for i in range(n) if fin[s, i] * ini[s, i] > 0
                             and (abs(fin[s, i]) > abs(fin[s, j]) or (abs(fin[s, i]) == abs(fin[s, j]) and i < j)))
                kept[s, j] = better < k
        start = 0
        for name in group:
            size = initial[name][0].size
            out[name] = kept[:, start : start + size].reshape(initial[name].shape)
            start += size
    return out


def _random_networks(rng, S, N, d, ties=False):
    initial = {"w": rng.normal(size=(S, N, d)), "b": rng.normal(size=(S, N)), "v": rng.normal(size=(S, N)),
               "c": rng.normal(size=S)}
    if ties:  # few distinct magnitudes, some exact zeros
        final = {k: rng.integers(-3, 4, size=a.shape).astype(float) for k, a in initial.items()}
    else:
        final = {k: a + rng.normal(size=a.shape) for k, a in initial.items()}
    return initial, final


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("scope", ["global", "layer"])
@pytest.mark.parametrize("names", [("w", "v"), ("w", "b", "v")])
def test_zhou_mask_matches_brute_force(ties, scope, names):
    rng = np.random.default_rng(3)
    initial, final = _random_networks(rng, S=4, N=7, d=2, ties=ties)
    for keep in (0.05, 0.3, 0.5, 0.9, 1.0):
        got = sm.zhou_masks(initial, final, keep, names, scope)
        want = _brute_force(initial, final, keep, sm.scope_groups(names, scope))
        assert set(got) == set(names)
        for name in names:
            np.testing.assert_array_equal(got[name], want[name], err_msg=f"{name} keep={keep}")


def test_sign_flipped_weights_are_never_kept():
    initial = {"w": np.array([[[1.0], [-2.0], [3.0]]]), "v": np.array([[0.5, -0.5, 0.1]])}
    final = {"w": np.array([[[-5.0], [-1.0], [0.0]]]), "v": np.array([[0.4, 0.6, 0.2]])}
    masks = sm.zhou_masks(initial, final, keep=1.0)
    np.testing.assert_array_equal(masks["w"][0, :, 0], [False, True, False])  # flipped, kept, zero
    np.testing.assert_array_equal(masks["v"][0], [True, False, True])
    # keep 0.5 of 6 = 3, global: the three largest eligible are |-1|, 0.4, 0.2
    masks = sm.zhou_masks(initial, final, keep=0.5)
    assert masks["w"].sum() + masks["v"].sum() == 3


def test_random_masks_have_exactly_the_supermask_size():
    rng = np.random.default_rng(8)
    initial, final = _random_networks(rng, S=6, N=30, d=1)
    seeds = np.arange(10, 16)
    for scope in ("global", "layer"):
        groups = sm.scope_groups(sm.LOTTERY_PRUNABLE, scope)
        for keep in (0.1, 0.5, 0.8):
            zhou = sm.zhou_masks(initial, final, keep, scope=scope)
            null = sm.random_masks(zhou, groups, seeds, mask_seed=0)
            np.testing.assert_array_equal(sm.group_counts(null, groups), sm.group_counts(zhou, groups))
            assert not all(np.array_equal(null[n], zhou[n]) for n in null)
    groups = sm.scope_groups(sm.LOTTERY_PRUNABLE, "global")
    zhou = sm.zhou_masks(initial, final, 0.5)
    # per seed: the same mask whichever seeds are drawn together; another mask_seed, another mask
    together = sm.random_masks(zhou, groups, seeds)
    alone = sm.random_masks({n: a[2:3] for n, a in zhou.items()}, groups, seeds[2:3])
    assert all(np.array_equal(together[n][2:3], alone[n]) for n in together)
    other = sm.random_masks(zhou, groups, seeds, mask_seed=1)
    assert not np.array_equal(other["w"], together["w"])
    # positions are uniform: every weight is drawn about half the time over many seeds
    many = {n: np.repeat(a[:1], 400, axis=0) for n, a in zhou.items()}
    freq = sm.random_masks(many, groups, np.arange(400))["w"].mean(axis=0)
    share = (zhou["w"][0].sum() + zhou["v"][0].sum()) / 60
    assert np.abs(freq - share).max() < 0.1  # 4 binomial standard deviations


def test_masked_weights_modes():
    initial = {"w": np.array([[[0.3], [-0.2]]]), "b": np.array([[0.1, -0.4]]), "v": np.array([[-0.6, 0.2]]),
               "c": np.array([0.05])}
    masks = {"w": np.array([[[True], [False]]]), "v": np.array([[True, True]])}
    kept = sm.masked_weights(initial, masks, "init")
    np.testing.assert_array_equal(kept["w"][0, :, 0], [0.3, 0.0])
    np.testing.assert_array_equal(kept["v"][0], [-0.6, 0.2])
    np.testing.assert_array_equal(kept["b"], initial["b"])  # biases pass through
    consts = sm.lottery_init_std(d=1, width=2)
    signed = sm.masked_weights(initial, masks, "signed_constant", consts)
    np.testing.assert_allclose(signed["w"][0, :, 0], [1 / np.sqrt(3), 0.0])
    np.testing.assert_allclose(signed["v"][0], [-1 / np.sqrt(6), 1 / np.sqrt(6)])
    np.testing.assert_array_equal(signed["b"], initial["b"])
    # the layer constants are the standard deviations of the init distribution
    w0, _, v0, _ = init.initial_parameters(2, 40, np.arange(200))
    consts = sm.lottery_init_std(2, 40)
    assert abs(w0.std() / consts["w"] - 1) < 0.02 and abs(v0.std() / consts["v"] - 1) < 0.02
    with pytest.raises(UserError, match="mode must be one of init, signed_constant, got 'sign'"):
        sm.masked_weights(initial, masks, "sign")


def test_lottery_losses_are_the_masked_networks_mse():
    settings = TrainSettings("x2", "silu", width=6, steps=200, n_train=40, n_test=21)
    seeds = np.array([0, 3, 5])
    result = train(settings, seeds)
    x, y, _, _ = tasks.make_dataset(settings.data_spec())
    w0, b0, v0, c0 = init.initial_parameters(1, 6, seeds)
    initial = {"w": w0, "b": b0, "v": v0, "c": c0}
    final = {"w": result.w, "b": result.b, "v": result.v, "c": result.c}
    table = sm.lottery_supermask_losses(initial, final, seeds, [0.5, 1.0], x, y, "silu")
    assert len(table) == 2 * 2 * 2 * 3 and (table["prunable"] == 12).all()
    zhou = sm.zhou_masks(initial, final, 0.5)
    rows = table[(table.keep == 0.5) & (table["mask"] == "supermask")]
    for k, seed in enumerate(seeds):
        mw, mv = zhou["w"][k], zhou["v"][k]
        loss_init = model.mse(w0[k] * mw, b0[k], v0[k] * mv, c0[k], x, y, "silu")
        sw, sv = np.sign(w0[k]) * mw / np.sqrt(3), np.sign(v0[k]) * mv / np.sqrt(18)
        loss_const = model.mse(sw, b0[k], sv, c0[k], x, y, "silu")
        row = rows[rows.seed == seed].set_index("weights")
        np.testing.assert_allclose(row.loc["init", "loss"], loss_init, rtol=1e-13)
        np.testing.assert_allclose(row.loc["signed_constant", "loss"], loss_const, rtol=1e-13)
        assert row.loc["init", "kept"] == mw.sum() + mv.sum() <= 6
    same_size = table.pivot_table(index=["seed", "keep", "weights"], columns="mask", values="kept")
    assert (same_size["random"] == same_size["supermask"]).all()


def test_blocked_mse_equals_direct():
    rng = np.random.default_rng(1)
    params = {"w": rng.normal(size=(7, 5, 2)), "b": rng.normal(size=(7, 5)), "v": rng.normal(size=(7, 5)),
              "c": rng.normal(size=7)}
    x = rng.uniform(-1, 1, size=(13, 2))
    y = x.prod(axis=1)
    direct = model.mse(params["w"], params["b"], params["v"], params["c"], x, y, "tanh")
    np.testing.assert_allclose(sm.lottery_mse(params, x, y, "tanh", block_elems=100), direct, rtol=1e-15)


def test_kept_count_and_bad_keep():
    assert [sm.kept_count(10, k) for k in (0.04, 0.05, 0.5, 0.55, 1.0)] == [0, 1, 5, 6, 10]
    for bad in (0, -0.1, 1.5, float("nan"), "half", None):
        with pytest.raises(UserError) as err:
            sm.kept_count(10, bad)
        assert str(err.value).startswith("keep must be a number in (0, 1], got ")
    with pytest.raises(UserError, match="scope must be one of global, layer, got 'row'"):
        sm.zhou_masks({"w": np.ones((1, 2, 1)), "v": np.ones((1, 2))}, {"w": np.ones((1, 2, 1)), "v": np.ones((1, 2))},
                      0.5, scope="row")


def test_mismatched_parameters_name_the_weight():
    initial = {"w": np.ones((2, 3, 1)), "v": np.ones((2, 3))}
    with pytest.raises(UserError, match=r"weight 'v' has shape \(2, 3\) at init but \(2, 4\) at the end"):
        sm.zhou_masks(initial, {"w": np.ones((2, 3, 1)), "v": np.ones((2, 4))}, 0.5)
    with pytest.raises(UserError, match="weight 'v' is missing"):
        sm.zhou_masks(initial, {"w": np.ones((2, 3, 1))}, 0.5)
