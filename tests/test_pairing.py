"""Symmetric-neuron pairing on constructed networks with known mirror pairs."""

import itertools

import numpy as np
import pytest

from lottery_scaling import pairing
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
