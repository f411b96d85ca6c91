"""Appendix A claims per target: scaling classes from exponent intervals, the paper's statement beside each verdict."""

import numpy as np
import pandas as pd
import pytest

from lottery_scaling.errors import UserError
from lottery_scaling.studies.lottery import appendix, figures
from lottery_scaling.studies.lottery.appendix import AppendixSettings, AppendixTables, classify
from lottery_scaling.studies.lottery.figures import FigureStyle

S = AppendixSettings()


@pytest.mark.parametrize("alpha, lo, hi, expected", [
    (1.0, 0.9, 1.1, appendix.FOLLOWS),
    (0.8, 0.6, 1.0, appendix.FOLLOWS),  # interval overlaps [0.7, 1.3]
    (0.45, 0.35, 0.55, appendix.FLATTENS),
    (0.05, -0.1, 0.2, appendix.PLATEAU),
    (-0.3, -0.5, -0.1, appendix.PLATEAU),  # rising
    (0.25, 0.1, 0.4, appendix.NONE),  # straddles the flat threshold: ambiguous
    (2.0, 1.8, 2.2, appendix.NONE),  # faster than N^-1: no class
    (float("nan"), float("nan"), float("nan"), appendix.NONE),
])
def test_classes_from_intervals(alpha, lo, hi, expected):
    assert classify(alpha, lo, hi, S) == expected


def _tables(task, widths, alpha_of, modes_of, name=None):
    """Tables of an experiment whose median falls as N^-alpha_of(N)."""
    med, m = [], 1.0
    for i, w in enumerate(widths):
        if i:
            m *= (w / widths[i - 1]) ** -alpha_of(widths[i - 1])
        med.append(m)
    hist = pd.DataFrame({"width": widths, "n_used": 100, "n_modes": [modes_of(w) for w in widths]})
    slopes = pd.DataFrame({"width_low": widths[:-1], "width_high": widths[1:],
                           "local_slope": [alpha_of(w) for w in widths[:-1]],
                           "slope_ci_low": [alpha_of(w) - 0.1 for w in widths[:-1]],
                           "slope_ci_high": [alpha_of(w) + 0.1 for w in widths[:-1]]})

    def fit(lo, hi):
        ws = [w for w in widths if lo <= w <= hi]
        if len(ws) < 2:
            return float("nan")
        a = -np.polyfit(np.log10(ws), np.log10([med[widths.index(w)] for w in ws]), 1)[0]
        return a

    ex = pd.DataFrame([{"range": n, "range_low": lo, "range_high": hi, "widths_used": " ".join(str(w) for w in widths if lo <= w <= hi),
                        "n_widths": sum(lo <= w <= hi for w in widths), "alpha": fit(lo, hi), "alpha_ci_low": fit(lo, hi) - 0.1,
                        "alpha_ci_high": fit(lo, hi) + 0.1, "prefactor": 1.0} for n, (lo, hi) in
                       {"early": (10, 20), "late": (20, 50), "n1": (10, 50)}.items()])
    medians = pd.DataFrame({"width": widths, "median_loss": med})
    return AppendixTables(name or f"{task}_silu", task, "silu", hist, ex, slopes, medians)


W = [1, 2, 3, 4, 10, 20, 30, 40, 50]


def test_rows_per_target_with_the_paper_statement():
    exps = [
        _tables("x2", W, lambda w: 1.0, lambda w: 3 if w <= 4 else 1),
        _tables("x4", W, lambda w: 1.0 if w < 20 else 0.4, lambda w: 1),
        _tables("sin", W, lambda w: 0.0, lambda w: 2 if w == 10 else 1),
        _tables("tanh", W, lambda w: 1.0 if w < 20 else 0.0, lambda w: 1),
        _tables("prod2", W, lambda w: 2.0 if w < 10 else (1.0 if w < 20 else 0.1), lambda w: 1),
        _tables("expr:sin(3 * x)", W, lambda w: 1.0, lambda w: 1, name="user"),
    ]
    rows = appendix.evaluate(S, exps)
    assert len(rows) == 3 * len(exps)
    by = {(r["claim"], r["experiment"]): r for r in rows}
    cls = {e.name: by["appendix_scaling_class", e.name] for e in exps}
    assert cls["x2_silu"]["verdict"] == "supported" and "class found: follows N^-1" in cls["x2_silu"]["detail"]
    assert cls["x4_silu"]["verdict"] == "supported" and "flattens" in cls["x4_silu"]["detail"]
    assert cls["sin_silu"]["verdict"] == "supported" and "plateaued" in cls["sin_silu"]["detail"]
    assert cls["tanh_silu"]["verdict"] == "supported" and "early" in cls["tanh_silu"]["statistic"]
    assert cls["prod2_silu"]["verdict"] == "supported" and "faster on" in cls["prod2_silu"]["detail"]
    assert cls["user"]["verdict"] == "not tested" and "no statement in the paper" in cls["user"]["detail"]
    assert all("paper:" in r["detail"] or "no statement" in r["detail"] for r in rows)
    assert by["appendix_narrow_multimodal", "x2_silu"]["verdict"] == "supported"
    assert by["appendix_narrow_multimodal", "x4_silu"]["verdict"] == "not supported"
    assert by["appendix_wide_single_peaked", "sin_silu"]["verdict"] == "not supported"
    assert by["appendix_wide_single_peaked", "x2_silu"]["verdict"] == "supported"


def test_a_target_fitting_no_class_says_so():
    e = _tables("x2", W, lambda w: 2.0, lambda w: 1)  # faster than N^-1 throughout
    r = [r for r in appendix.evaluate(S, [e]) if r["claim"] == "appendix_scaling_class"][0]
    assert r["verdict"] == "not supported" and "class found: none of the classes" in r["detail"]


def test_missing_widths_are_not_tested():
    e = _tables("x3", [1, 2, 4], lambda w: 1.0, lambda w: 1)
    rows = appendix.evaluate(S, [e])
    assert {r["verdict"] for r in rows if r["claim"] != "appendix_narrow_multimodal"} == {"not tested"}


def test_summary_table_one_row_per_target():
    exps = [_tables("x2", W, lambda w: 1.0, lambda w: 1), _tables("sin", W, lambda w: 0.0, lambda w: 1),
            _tables("expr:x**3", W, lambda w: 0.5, lambda w: 1, name="user")]
    s = AppendixSettings.from_dict({"table_widths": [2, 10, 50, 7]})
    rows = {r["experiment"]: r for r in appendix.summary_rows(s, exps)}
    assert list(rows["x2_silu"]) == appendix.table_columns(s)
    x2 = rows["x2_silu"]
    assert x2["median_N2"] == pytest.approx(0.5) and x2["median_N50"] == pytest.approx(1 / 50)  # m = 1/N
    assert np.isnan(x2["median_N7"])  # not trained
    assert x2["alpha"] == pytest.approx(1.0) and x2["alpha_range"] == "10-50"
    assert x2["class_found"] == x2["class_paper"] == appendix.FOLLOWS
    assert x2["class_range"] == "20-50" and x2["class_alpha"] == pytest.approx(1.0)
    assert rows["sin_silu"]["class_found"] == appendix.PLATEAU and rows["sin_silu"]["alpha"] == pytest.approx(0.0, abs=1e-9)
    assert rows["user"]["class_paper"] == "" and rows["user"]["class_found"] == appendix.FLATTENS


def test_settings_are_checked():
    with pytest.raises(UserError, match="appendix.table_widths"):
        AppendixSettings.from_dict({"table_widths": [2, 0]})
    with pytest.raises(UserError, match="appendix: unknown key"):
        AppendixSettings.from_dict({"nope": 1})
    with pytest.raises(UserError, match="appendix.flat"):
        AppendixSettings.from_dict({"flat": 0.9})
    with pytest.raises(UserError, match="appendix.activations"):
        AppendixSettings.from_dict({"activations": ["swish"]})


def test_appendix_figures(tmp_path):
    rng = np.random.default_rng(0)
    kde = pd.DataFrame({"log10_loss": np.linspace(-7, -1, 30), "density": np.ones(30) / 6})
    modes = pd.DataFrame({"lottery": [True, False], "log10_loss": [-6.0, -3.0]})
    rows = [{"task": t, "activation": "silu", "panels": {w: {"log10_loss": rng.normal(-3, 1, 50), "n_diverged": 0, "kde": kde,
                                                               "modes": modes} for w in (1, 2, 10)}}
            for t in ("x2", "expr:sin(3 * x)")]
    fig = figures.appendix_histograms(rows, FigureStyle(), "t")
    assert len(fig.axes) == 6 and fig.axes[0].get_title() == "N = 1"
    figures.save(fig, [tmp_path / "h.png"], dpi=30)
    m = pd.DataFrame({"width": [2, 10, 20], "median_loss": [1e-2, 1e-3, 5e-4], "median_ci_low": [9e-3, 9e-4, 4e-4],
                      "median_ci_high": [1.1e-2, 1.1e-3, 6e-4]})
    ex = pd.DataFrame([{"range": "late", "range_low": 20, "range_high": 50, "alpha": 0.5, "alpha_ci_low": 0.4, "alpha_ci_high": 0.6}])
    fig = figures.appendix_scaling([{"task": t, "activation": "silu", "medians": m, "exponents": ex} for t in ("x2", "x3")],
                                   FigureStyle(), "t")
    assert [a.get_title() for a in fig.axes[:2]] == ["$x^2$", "$x^3$"]
    assert fig.axes[0].get_yscale() == "log"
    figures.save(fig, [tmp_path / "s.png"], dpi=30)
