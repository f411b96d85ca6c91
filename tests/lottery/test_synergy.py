"""Synergy stage on losses built so that the ensemble formula holds exactly, or not."""

import numpy as np
import pytest

from lottery_scaling.studies.lottery import losses, synergy
from lottery_scaling.studies.lottery.synergy import SynergySettings

FAST = SynergySettings(pairs=5000, bootstrap=100)


def test_ensemble_formula():
    assert synergy.ensemble_loss(2.0, 2.0) == pytest.approx(1.0)
    assert synergy.ensemble_loss(1.0, 3.0) == pytest.approx(0.75)


def test_random_pairs_never_pair_a_network_with_itself():
    a, b = synergy.random_pairs(5, 10000, np.random.default_rng(0))
    assert np.all(a != b) and a.min() == 0 and b.max() == 4
    assert np.bincount(b, minlength=5) / 10000 == pytest.approx(np.full(5, 0.2), abs=0.02)


def test_wide_losses_that_are_exactly_ensembles_give_no_synergy():
    rng = np.random.default_rng(0)
    half = 10.0 ** rng.normal(-5, 0.6, 1000)
    # each wide network is the ensemble of two fresh, independent half-width networks
    wide = synergy.ensemble_loss(10.0 ** rng.normal(-5, 0.6, 1000), 10.0 ** rng.normal(-5, 0.6, 1000))
    c = synergy.compare(losses.from_arrays(20, wide), losses.from_arrays(10, half), FAST)
    assert c.median_ratio == pytest.approx(1.0, abs=0.12)
    assert c.ratio_ci_low < 1.0 < c.ratio_ci_high
    assert c.ks < 0.07
    assert c.wasserstein_decades < 0.07


def test_wide_networks_ten_times_better_than_ensembles_are_detected():
    rng = np.random.default_rng(1)
    half = 10.0 ** rng.normal(-5, 0.6, 1000)
    wide = synergy.ensemble_loss(10.0 ** rng.normal(-5, 0.6, 1000), 10.0 ** rng.normal(-5, 0.6, 1000)) / 10
    c = synergy.compare(losses.from_arrays(20, wide), losses.from_arrays(10, half), FAST)
    assert c.median_ratio == pytest.approx(10.0, rel=0.15)  # > 1: the wide network beats ensembling
    assert c.ratio_ci_low > 7
    assert c.wasserstein_decades == pytest.approx(1.0, abs=0.08)
    assert c.ks > 0.5


def test_only_widths_whose_half_is_trained_are_compared():
    assert synergy.comparable_widths([1, 2, 3, 4, 10, 20, 30, 40]) == [2, 4, 20, 40]
    assert synergy.comparable_widths([3, 7, 10]) == []
    rng = np.random.default_rng(2)
    by_width = {w: losses.from_arrays(w, 10.0 ** rng.normal(-w, 0.3, 50)) for w in (1, 2, 3)}
    assert [c.width for c in synergy.analyse(by_width, SynergySettings(pairs=100, bootstrap=10))] == [2]


def test_widths_without_usable_seeds_are_left_out():
    rng = np.random.default_rng(4)
    by_width = {1: losses.from_arrays(1, np.full(30, np.nan)), 2: losses.from_arrays(2, 10.0 ** rng.normal(-3, 0.3, 30)),
                4: losses.from_arrays(4, 10.0 ** rng.normal(-4, 0.3, 30))}
    assert by_width[1].n_diverged == 30
    assert [c.width for c in synergy.analyse(by_width, SynergySettings(pairs=100, bootstrap=10))] == [4]
