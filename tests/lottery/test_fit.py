"""Power-law fit on medians that follow an exact power law plus seed noise."""

import numpy as np
import pytest

from lottery_scaling.studies.lottery import fit, losses
from lottery_scaling.studies.lottery.fit import FitSettings

WIDTHS = [1, 2, 3, 4, 10, 20, 30, 40, 50]


def power_law_losses(alpha, widths, seeds=300, noise=0.5, rng=None, amplitude=1e-3):
    rng = rng or np.random.default_rng(0)
    # log-normal seed noise centred on the law: the median of each width is A N^-alpha
    return {w: losses.from_arrays(w, amplitude * w**-alpha * 10.0 ** rng.normal(0, noise, seeds)) for w in widths}


def test_exact_power_law_is_recovered():
    assert fit.power_law_fit([10, 20, 40], [1e-3, 5e-4, 2.5e-4]) == pytest.approx((1.0, 1e-2))


def test_exponent_recovered_within_its_interval():
    inside = 0
    for seed in range(10):
        by_width = power_law_losses(1.0, WIDTHS, rng=np.random.default_rng(seed))
        row = fit.analyse(by_width, {"n1": (10, 50)}, FitSettings(bootstrap=300)).exponents[0]
        assert row["widths_used"] == "10 20 30 40 50"
        assert row["alpha"] == pytest.approx(1.0, abs=0.25)
        assert row["alpha_ci_high"] - row["alpha_ci_low"] < 0.4
        inside += row["alpha_ci_low"] <= 1.0 <= row["alpha_ci_high"]
    assert inside >= 8  # a 95% interval covers the truth in most repetitions


def test_local_slopes_show_a_change_of_regime():
    rng = np.random.default_rng(3)
    # N^-4 up to N = 10, N^-1 beyond
    amp = {w: (w**-4.0 if w <= 10 else 1e-4 * (w / 10) ** -1.0) for w in WIDTHS}
    by_width = {w: losses.from_arrays(w, amp[w] * 10.0 ** rng.normal(0, 0.2, 400)) for w in WIDTHS}
    result = fit.analyse(by_width, {"early": (2, 10), "late": (20, 50)}, FitSettings(bootstrap=200))
    early, late = result.exponents
    assert early["alpha"] == pytest.approx(4.0, abs=0.15)
    assert late["alpha"] == pytest.approx(1.0, abs=0.3)
    slopes = {(r["width_low"], r["width_high"]): r for r in result.slopes}
    assert slopes[(4, 10)]["local_slope"] == pytest.approx(4.0, abs=0.2)
    assert slopes[(30, 40)]["slope_ci_low"] < 1.0 < slopes[(30, 40)]["slope_ci_high"]


def test_range_with_fewer_than_two_widths_gives_no_exponent():
    by_width = power_law_losses(1.0, [1, 2, 4], seeds=30)
    row = fit.analyse(by_width, {"n1": (10, 50)}, FitSettings(bootstrap=10)).exponents[0]
    assert row["n_widths"] == 0 and np.isnan(row["alpha"])


def test_diverged_seeds_are_excluded_and_counted():
    loss = np.array([1e-3, 2e-3, np.inf, 3e-3])
    by_width = {1: losses.from_arrays(1, loss), 2: losses.from_arrays(2, loss / 2)}
    med = fit.analyse(by_width, {}, FitSettings(bootstrap=10)).medians
    assert med[0]["n_diverged"] == 1 and med[0]["median_loss"] == pytest.approx(2e-3)
