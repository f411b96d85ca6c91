"""Symmetric-neuron pairing on constructed networks with known mirror pairs."""

import itertools

import numpy as np
import pytest

from ..conftest import write_networks_file

from lottery_scaling.studies.lottery.pairs import pairing
from lottery_scaling.errors import UserError


def mirrored_network(rng, k, noise_pos=0, noise_neg=0):
    w = rng.uniform(0.3, 1.5, k)
    b = rng.uniform(-1.5, 1.0, k)
    # noise neurons far from every mirror image (large b), so they can only pair among themselves
    wn = np.concatenate([rng.uniform(0.5, 2.0, noise_pos), -rng.uniform(0.5, 2.0, noise_neg)])
    bn = 5.0 + 3.0 * np.arange(noise_pos + noise_neg) + rng.uniform(0, 0.5, noise_pos + noise_neg)
    W = np.concatenate([w, -w, wn])
    B = np.concatenate([b, b, bn])
    perm = rng.permutation(W.size)
    true_pairs = {(int(np.flatnonzero(perm == i)[0]), int(np.flatnonzero(perm == i + k)[0])) for i in range(k)}
    return W[perm], B[perm], true_pairs


def test_exact_mirror_pairs_and_noise_neurons_are_recovered():
    rng = np.random.default_rng(1)
    for trial in range(5):
        w, b, truth = mirrored_network(rng, k=6, noise_pos=3, noise_neg=1)
        p = pairing.pair_neurons(w, b, w_scale=1.2)
        found = {(int(i), int(j)) for i, j, a in zip(p.pos, p.neg, p.asymmetry) if a < 1e-12}
        assert found == truth
        assert p.n_pairs == 7  # 6 exact + the lone negative noise neuron with a positive one
        assert p.unmatched.size == 2
        noise = [a for a in p.asymmetry if a >= 1e-12]
        assert len(noise) == 1 and noise[0] > 0.1
        assert np.all(w[p.pos] > 0) and np.all(w[p.neg] <= 0)
        assert np.all(np.diff(p.distance) >= 0)  # sorted by distance


def test_mirror_distance_is_rms_preactivation_difference():
    rng = np.random.default_rng(2)
    x = np.linspace(-2, 2, 1001)
    s = pairing.input_rms(x)
    w, b = rng.normal(size=5), rng.normal(size=5)
    d = pairing.mirror_distance_matrix(w, b, w, b, s)
    ref = np.sqrt(np.mean(((w[:, None, None] * x + b[:, None, None]) - (w[None, :, None] * (-x) + b[None, :, None])) ** 2, axis=2))
    np.testing.assert_allclose(d, ref, rtol=1e-12)


def test_assignment_is_optimal_against_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(10):
        w = np.concatenate([rng.uniform(0.1, 1, 5), -rng.uniform(0.1, 1, 5)])
        b = rng.normal(size=10)
        p = pairing.pair_neurons(w, b)
        cost = pairing.mirror_distance_matrix(w[:5], b[:5], w[5:], b[5:])
        best = min(sum(cost[i, j] for i, j in enumerate(perm)) for perm in itertools.permutations(range(5)))
        assert p.distance.sum() == pytest.approx(best, rel=1e-12)


def test_on_axis_neurons():
    w = np.array([1e-4, -0.002, 0.5, -0.9])
    b = np.array([-1.0, 0.8, -1.0, 0.1])
    assert list(pairing.on_axis(w, b, 1.15, 0.05)) == [True, True, False, False]


def test_one_sided_network_has_no_pairs():
    p = pairing.pair_neurons(np.array([0.5, 1.0, 2.0]), np.zeros(3))
    assert p.n_pairs == 0 and list(p.unmatched) == [0, 1, 2]


def test_asymmetry_bounds():
    rng = np.random.default_rng(4)
    w = rng.normal(size=200)
    b = rng.normal(size=200)
    p = pairing.pair_neurons(w, b, 1.1)
    assert np.all((p.asymmetry >= 0) & (p.asymmetry <= 1 + 1e-12))


def test_width2_classification():
    w = np.array([[-0.83010483, 0.83010304], [0.7, 1.4], [-0.6, 1.4], [-0.5, 0.5]])
    b = np.array([[-1.16842330, -1.16842365], [-0.8, -5.4], [-0.8, -5.4], [-1.0, -1.0]])
    v = np.array([[5.68583536, 5.68586636], [7.9, -23.8], [7.9, -23.8], [5.0, -5.0]])
    sym, asym, vasym = pairing.width2_symmetric(w, b, v, 1.16, 0.05)
    assert list(sym) == [True, False, False, False]
    assert asym[0] < 1e-5 and asym[1] == 1.0 and asym[2] > 0.3
    assert vasym[3] == 1.0  # mirrored first layer but opposite output weights: not an even function


def test_mirror_nn_ratio_separates_symmetric_and_asymmetric_clouds():
    rng = np.random.default_rng(5)
    w = rng.uniform(0.1, 1.0, 300)
    b = -1.2 * np.exp(-(w**2)) + rng.normal(0, 0.05, 300)
    sym_w = np.concatenate([w, -w + rng.normal(0, 0.01, 300)])
    sym_b = np.concatenate([b, b + rng.normal(0, 0.01, 300)])
    t_sym, _, _ = pairing.mirror_nn_ratio(sym_w, sym_b, 1.15)
    # the same marginal shapes, but the w < 0 half is shifted in b: no mirror partners
    asym_b = np.concatenate([b, b + 0.8])
    t_asym, _, _ = pairing.mirror_nn_ratio(sym_w, asym_b, 1.15)
    # a cloud that is symmetric only in distribution (independent draws) also gives T ~ 1
    w2 = rng.uniform(-1, 1, 600)
    t_dist, _, _ = pairing.mirror_nn_ratio(w2, -1.2 * np.exp(-(w2**2)) + rng.normal(0, 0.05, 600), 1.15)
    assert t_sym < 1.0
    assert 0.6 < t_dist < 1.5
    assert t_asym > 3.0


def test_d_greater_than_one_is_refused():
    with pytest.raises(UserError, match="d = 1"):
        pairing.pair_neurons(np.zeros((4, 2)), np.zeros(4))


# ---- command line: the stage's subcommands on a small constructed file ----


def _write_networks(path, task, w, b, v, c):
    write_networks_file(path, task, w, b, v, c)


def test_pair_commands_end_to_end(tmp_path, capsys):
    import pandas as pd

    from lottery_scaling.cli import main

    rng = np.random.default_rng(7)
    # width 2: 6 copies of the paper's ticket (one with swapped neurons), 6 asymmetric networks
    ticket = np.array([[-0.83, 0.83], [-1.168, -1.168], [5.686, 5.686]])
    other = np.array([[0.68, -1.402], [-0.852, -5.411], [7.873, -23.809]])
    nets = [ticket + 1e-3 * rng.normal(size=(3, 2)) for _ in range(6)] + [other + 1e-3 * rng.normal(size=(3, 2)) for _ in range(6)]
    nets[1] = nets[1][:, ::-1]
    w2 = np.array([n[0] for n in nets])[:, :, None]
    b2 = np.array([n[1] for n in nets])
    v2 = np.array([n[2] for n in nets])
    c2 = np.array([3.154] * 6 + [1.436] * 6)
    _write_networks(tmp_path / "w2.h5", "x2", w2, b2, v2, c2)
    # width 8: 4 mirror pairs
    wp = rng.uniform(0.3, 1.2, (5, 4))
    bp = rng.uniform(-1.5, 0.5, (5, 4))
    w8 = np.concatenate([wp, -wp], axis=1)[:, :, None]
    b8 = np.concatenate([bp, bp], axis=1)
    v8 = rng.uniform(0.5, 2, (5, 8))
    _write_networks(tmp_path / "w8.h5", "x2", w8, b8, v8, np.zeros(5))
    out = tmp_path / "out"
    assert main(["pairs", str(tmp_path / "w8.h5"), "--out-tickets", str(out / "t.csv"), "--out-networks", str(out / "n.csv")]) == 0
    t = pd.read_csv(out / "t.csv")
    n = pd.read_csv(out / "n.csv")
    assert len(t) == 20 and np.all(t["asymmetry"] < 1e-12)
    assert list(n["n_pairs"]) == [4] * 5 and list(n["n_unmatched"]) == [0] * 5
    assert np.all(n["mirror_nn_ratio"] < 1e-6)  # exact mirrors: the mirrored neighbour is at distance 0
    assert main(["width2", str(tmp_path / "w2.h5"), "--out-networks", str(out / "w2n.csv"), "--out-clusters",
                 str(out / "w2c.csv"), "--out-bic", str(out / "w2b.csv"), "--max-clusters", "3", "--align-iterations", "3"]) == 0
    cl = pd.read_csv(out / "w2c.csv")
    assert len(cl) == 2
    low = cl.iloc[0]
    assert low["size"] == 6 and low["symmetric_share"] == 1.0 and cl.iloc[1]["symmetric_share"] == 0.0
    assert low["mean_abs_w"] == pytest.approx(0.83, abs=0.01) and low["mean_v"] == pytest.approx(5.686, abs=0.01)
    assert main(["distill", str(tmp_path / "w8.h5"), "--out", str(out / "d.csv")]) == 0
    assert len(pd.read_csv(out / "d.csv")) == 5
    assert main(["pair-claims", "--experiment", "e", "--width2-clusters", str(out / "w2c.csv"), "--width2-networks",
                 str(out / "w2n.csv"), "--wide-networks", str(out / "n.csv"), "--wide-min-width", "4",
                 "--out", str(out / "claims.csv")]) == 0
    claims = pd.read_csv(out / "claims.csv")
    assert list(claims.columns) == ["claim", "experiment", "statistic", "value", "ci_low", "ci_high", "threshold", "verdict", "detail"]
    assert list(claims["verdict"]) == ["supported", "supported"]


def test_pairs_command_refuses_d_greater_than_one(tmp_path, capsys):
    from lottery_scaling.cli import main

    rng = np.random.default_rng(0)
    from lottery_scaling.studies.lottery import networks as h5io
    from lottery_scaling.studies.lottery.trainer import TrainResult, TrainSettings

    s = TrainSettings("prod2", "silu", 3, steps=0, n_train=20, n_test=20).resolved()
    res = TrainResult(settings=s, seed=np.arange(2), w=rng.normal(size=(2, 3, 2)), b=np.zeros((2, 3)), v=np.zeros((2, 3)),
                      c=np.zeros(2), train_loss=np.ones(2), test_loss=np.ones(2), diverged=np.zeros(2, dtype=bool),
                      loss_curve=np.zeros((2, 2)), curve_step=np.array([0, 1]))
    h5io.write_result(tmp_path / "p.h5", res)
    assert main(["pairs", str(tmp_path / "p.h5"), "--out-tickets", str(tmp_path / "t.csv"), "--out-networks", str(tmp_path / "n.csv")]) == 2
    err = capsys.readouterr().err
    assert "d = 1" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "t.csv").exists()


def test_wide_symmetry_claim_is_judged_against_the_initial_networks():
    import pandas as pd

    from lottery_scaling.studies.lottery.pairs.claims import wide_row

    def nets(t_trained, t_init):
        return pd.DataFrame({"width": 40, "mirror_nn_ratio": t_trained, "mirror_nn_ratio_init": t_init,
                             "mirror_nn_median": 0.1, "plain_nn_median": 0.1})

    # symmetric in distribution only, like the uniform initialisation: not evidence
    same = wide_row("e", "silu", nets([1.0, 1.05, 0.98, 1.02], [0.97, 1.0, 1.01, 0.99]), 0.8, 10, 200, 0)
    assert same["verdict"] == "not supported"
    # near-exact mirror pairs after training: supported
    pairs = wide_row("e", "silu", nets([0.2, 0.25, 0.3, 0.22], [0.97, 1.0, 1.01, 0.99]), 0.8, 10, 200, 0)
    assert pairs["verdict"] == "supported" and "initialisation" in pairs["threshold"]
    # too narrow to judge
    assert wide_row("e", "silu", nets([0.2], [1.0]).assign(width=4), 0.8, 10, 200, 0)["verdict"] == "not tested"
