"""Robust modes of loss histograms on synthetic losses with known answers."""

import numpy as np
import pytest

from lottery_scaling.studies.lottery import histogram, losses
from lottery_scaling.studies.lottery.histogram import ModeSettings

FAST = ModeSettings(bootstrap=100, median_bootstrap=200)


def mixture(rng, centers, weights, sd, n):
    counts = rng.multinomial(n, weights)
    return np.concatenate([rng.normal(c, sd, k) for c, k in zip(centers, counts)])


def test_mixture_of_lognormals_recovers_positions_and_weights():
    centers, weights = [-6.0, -3.5, -1.0], [0.5, 0.3, 0.2]
    for seed in range(3):
        rng = np.random.default_rng(seed)
        x = mixture(rng, centers, weights, 0.25, 1000)
        wl = losses.from_arrays(2, 10.0**x)
        a = histogram.analyse(wl, FAST)
        assert len(a.modes) == 3
        assert [m.log10_loss for m in a.modes] == pytest.approx(centers, abs=0.15)
        assert [m.share for m in a.modes] == pytest.approx(weights, abs=0.03)
        assert a.lottery.log10_loss == pytest.approx(-6.0, abs=0.15)
        assert a.lottery.share == pytest.approx(0.5, abs=0.03)
        assert all(m.reproducibility >= 0.9 for m in a.modes)


def test_single_lognormal_gives_exactly_one_mode():
    for seed in range(10):
        x = np.random.default_rng(100 + seed).normal(-4.0, 0.7, 1000)
        a = histogram.analyse(losses.from_arrays(10, 10.0**x), FAST)
        assert len(a.modes) == 1, [(m.log10_loss, m.reproducibility) for m in a.candidates]
        assert a.modes[0].log10_loss == pytest.approx(-4.0, abs=0.35)  # a KDE mode is a noisy estimate
        assert a.modes[0].share == 1.0


def test_bootstrap_drops_bumps_that_resamples_do_not_reproduce():
    # without a prominence threshold, sampling noise makes spurious candidates; the bootstrap must reject them
    settings = ModeSettings(min_prominence=0.0, bandwidth_scale=0.3, bootstrap=100, median_bootstrap=0)
    x = np.random.default_rng(7).normal(-4.0, 0.7, 1000)
    modes, candidates, *_ = histogram.find_modes(x, settings)
    assert len(candidates) > 3
    assert len(modes) < len(candidates)
    assert any(m.reproducibility < 0.9 for m in candidates)


def test_small_mode_with_few_seeds_is_not_a_mode():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(-3.0, 0.3, 997), [-8.0, -8.05, -7.95]])
    a = histogram.analyse(losses.from_arrays(4, 10.0**x), FAST)
    assert len(a.modes) == 1
    assert a.modes[0].log10_loss == pytest.approx(-3.0, abs=0.15)
    # one mode is the whole population: no lottery tickets to report
    assert a.lottery is None and np.isnan(a.summary_row()["lottery_share"])


def test_median_interval_and_diverged_are_counted():
    rng = np.random.default_rng(1)
    loss = 10.0 ** rng.normal(-5.0, 0.5, 400)
    diverged = np.zeros(400, bool)
    diverged[:7] = True
    loss[7:10] = np.nan  # non-finite losses count as diverged too
    a = histogram.analyse(losses.from_arrays(3, loss, diverged), FAST)
    assert (a.n_total, a.n_diverged, a.n_used) == (400, 10, 390)
    assert a.median == pytest.approx(np.median(loss[10:]))
    assert a.median_low < a.median < a.median_high
    assert a.median_low > 10**-5.2 and a.median_high < 10**-4.8


def test_identical_losses_are_one_mode():
    a = histogram.analyse(losses.from_arrays(1, np.full(200, 0.0431)), FAST)
    assert len(a.modes) == 1
    assert a.modes[0].loss == pytest.approx(0.0431, rel=1e-2)


def test_silverman_bandwidth_of_a_normal_sample():
    x = np.random.default_rng(0).normal(0, 2.0, 5000)
    assert histogram.bandwidth(x) == pytest.approx(0.9 * 2.0 * 5000**-0.2, rel=0.05)


def test_kde_integrates_to_one():
    x = np.random.default_rng(0).normal(0, 1, 300)
    h = histogram.bandwidth(x)
    grid = histogram.density_grid(x, h)
    assert np.trapezoid(histogram.kde(x, h, grid), grid) == pytest.approx(1.0, abs=1e-3)


def test_bad_settings_are_user_errors():
    from lottery_scaling.errors import UserError

    with pytest.raises(UserError, match="min_reproducibility"):
        ModeSettings(min_reproducibility=1.5).validate()
    with pytest.raises(UserError, match="bandwidth"):
        ModeSettings(bandwidth="nope").validate()


def test_there_is_always_one_mode_even_if_no_bump_is_stable():
    assert list(histogram.kept_candidates([0.95, 0.5, 0.92], [1.0, 3.0, 2.0], 0.9)) == [0, 2]
    # no candidate reproduced often enough: the highest one is the single mode
    assert list(histogram.kept_candidates([0.5, 0.6, 0.4], [1.0, 3.0, 2.0], 0.9)) == [1]
    assert list(histogram.kept_candidates([], [], 0.9)) == []
