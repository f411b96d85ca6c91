"""Claims table: verdicts follow the thresholds, missing data gives "not tested", never a pass by default."""

import math

import numpy as np
import pandas as pd
import pytest

from lottery_scaling.studies.lottery import claims
from lottery_scaling.claims import COLUMNS
from lottery_scaling.studies.lottery.claims import DEFAULT_THRESHOLDS, ExperimentTables
from lottery_scaling.errors import UserError


def exponents(rows):
    return pd.DataFrame(rows, columns=["range", "range_low", "range_high", "widths_used", "n_widths", "alpha",
                                       "alpha_ci_low", "alpha_ci_high", "prefactor"])


def hist(modes_by_width):
    return pd.DataFrame([{"width": w, "n_seeds": 100, "n_diverged": 0, "n_used": 100, "median_loss": 1e-5,
                          "median_ci_low": 1e-5, "median_ci_high": 1e-5, "n_modes": m, "n_candidates": m,
                          "lottery_loss": 1e-6, "lottery_share": 0.3, "lottery_reproducibility": 1.0,
                          "bandwidth_decades": 0.3} for w, m in modes_by_width.items()])


def syn(ratios):
    return pd.DataFrame([{"width": w, "half_width": w // 2, "n_wide": 100, "n_half": 100, "n_pairs": 1000,
                          "median_wide": 1e-6, "median_ensemble": r * 1e-6, "median_ratio": r, "ratio_ci_low": lo,
                          "ratio_ci_high": hi, "ks": 0.1, "wasserstein_decades": 0.1} for w, (r, lo, hi) in ratios.items()],
                        columns=["width", "half_width", "n_wide", "n_half", "n_pairs", "median_wide", "median_ensemble",
                                 "median_ratio", "ratio_ci_low", "ratio_ci_high", "ks", "wasserstein_decades"])


def silu(alpha=(1.05, 0.95, 1.15), n_widths=5, modes=None, ratios=None):
    return ExperimentTables(
        "x2_silu", "x2", "silu",
        histogram=hist(modes or {1: 2, 2: 3, 10: 1, 20: 1, 40: 1}),
        synergy=syn(ratios or {2: (2000, 900, 4000), 20: (1.1, 0.9, 1.3), 40: (1.2, 0.95, 1.5)}),
        exponents=exponents([["n1", 10, 50, "10 20 30 40 50"[: 3 * n_widths], n_widths, *alpha, 1e-5]]),
    )


def leaky(early=(3.8, 3.3, 4.4), late=(1.1, 0.9, 1.3)):
    return ExperimentTables(
        "x2_leaky", "x2", "leaky_relu", histogram=hist({10: 1, 20: 1}), synergy=syn({}),
        exponents=exponents([["early", 10, 20, "10 20", 2, *early, 1.0], ["late", 20, 50, "20 30 40 50", 4, *late, 1e-4],
                             ["n1", 10, 50, "10 20 30 40 50", 5, 2.0, 1.8, 2.2, 1e-3]]),
    )


def by_claim(rows):
    return {r["claim"]: r for r in rows}


def test_all_claims_supported_on_data_that_show_them():
    rows = claims.evaluate(DEFAULT_THRESHOLDS, [silu(), leaky()])
    assert all(list(r) == list(COLUMNS) for r in rows)
    got = by_claim(rows)
    assert set(got) == {"silu_n_minus_1", "leaky_relu_early_n_minus_4", "leaky_relu_later_smaller", "narrow_multimodal",
                        "wide_single_peaked", "synergy_strong_N2", "synergy_close_N20", "synergy_close_N40"}
    assert {r["verdict"] for r in rows} == {"supported"}
    assert got["silu_n_minus_1"]["value"] == 1.05 and got["silu_n_minus_1"]["ci_low"] == 0.95
    assert got["leaky_relu_later_smaller"]["value"] == pytest.approx(2.7)
    assert got["leaky_relu_later_smaller"]["ci_low"] == pytest.approx(3.3 - 1.3)


def test_claims_not_supported_when_data_disagree():
    rows = claims.evaluate(DEFAULT_THRESHOLDS, [
        silu(alpha=(1.5, 1.2, 1.8), modes={2: 1, 10: 2, 20: 1}, ratios={2: (5, 3, 8), 20: (3, 2.5, 3.5), 40: (1.0, 0.4, 1.9)}),
        leaky(early=(2.0, 1.5, 2.5), late=(1.8, 1.5, 2.1)),
    ])
    got = by_claim(rows)
    for name in ("silu_n_minus_1", "narrow_multimodal", "wide_single_peaked", "synergy_strong_N2", "synergy_close_N20",
                 "synergy_close_N40", "leaky_relu_early_n_minus_4", "leaky_relu_later_smaller"):
        assert got[name]["verdict"] == "not supported", name


def test_interval_partly_outside_tolerance_is_not_supported():
    # point estimate inside 1 +- 0.3 but the interval reaches beyond: not enough evidence
    got = by_claim(claims.evaluate({"silu_n_minus_1": DEFAULT_THRESHOLDS["silu_n_minus_1"]}, [silu(alpha=(1.1, 0.6, 1.6))]))
    assert got["silu_n_minus_1"]["verdict"] == "not supported"


def test_missing_data_is_not_tested_with_a_reason():
    narrow = ExperimentTables("small", "x2", "silu", histogram=hist({1: 1, 2: 2, 4: 1}), synergy=syn({2: (3000, 1000, 5000)}),
                              exponents=exponents([["n1", 10, 50, np.nan, 0, np.nan, np.nan, np.nan, np.nan]]))
    got = by_claim(claims.evaluate(DEFAULT_THRESHOLDS, [narrow]))
    assert got["silu_n_minus_1"]["verdict"] == "not tested" and "only 0 trained width" in got["silu_n_minus_1"]["detail"]
    assert got["wide_single_peaked"]["verdict"] == "not tested" and "no trained width >= 10" in got["wide_single_peaked"]["detail"]
    assert got["synergy_close_N20"]["verdict"] == "not tested" and "width 20 not trained" in got["synergy_close_N20"]["detail"]
    assert got["synergy_strong_N2"]["verdict"] == "supported"
    # no LeakyReLU experiment at all
    assert got["leaky_relu_early_n_minus_4"]["verdict"] == "not tested"
    assert "no experiment with task x2 and activation leaky_relu" in got["leaky_relu_early_n_minus_4"]["detail"]
    assert math.isnan(got["leaky_relu_early_n_minus_4"]["value"])


def test_thresholds_come_from_the_config():
    strict = {**DEFAULT_THRESHOLDS["silu_n_minus_1"], "tolerance": 0.01}
    got = by_claim(claims.evaluate({"silu_n_minus_1": strict}, [silu()]))
    assert got["silu_n_minus_1"]["verdict"] == "not supported"
    assert "0.01" in got["silu_n_minus_1"]["threshold"]


def test_unknown_claim_is_a_user_error():
    with pytest.raises(UserError, match="unknown claim"):
        claims.evaluate({"made_up": {}}, [silu()])
