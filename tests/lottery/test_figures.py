"""Figures: files are written (PNG and PDF) and the plots have log axes, MSE units and reference slopes."""

import numpy as np
import pandas as pd
import pytest

from lottery_scaling.studies.lottery import figures
from lottery_scaling.errors import UserError
from lottery_scaling.studies.lottery.figures import FigureStyle


def medians(widths, alpha, a=1e-3):
    m = a * np.asarray(widths, float) ** -alpha
    return pd.DataFrame({"width": widths, "n_seeds": 100, "n_diverged": 0, "n_used": 100, "median_loss": m,
                         "median_ci_low": m * 0.8, "median_ci_high": m * 1.2})


def exps(rows):
    return pd.DataFrame(rows, columns=["range", "range_low", "range_high", "widths_used", "n_widths", "alpha",
                                       "alpha_ci_low", "alpha_ci_high", "prefactor"])


def test_scaling_figure(tmp_path):
    curves = [
        {"name": "x2_silu", "activation": "silu", "medians": medians([1, 2, 4, 10, 20, 40], 1.0),
         "exponents": exps([["n1", 10, 50, "10 20 40", 3, 1.0, 0.9, 1.1, 1e-3]])},
        {"name": "x2_leaky_relu", "activation": "leaky_relu", "medians": medians([10, 20, 40], 2.0),
         "exponents": exps([["early", 10, 20, "10 20", 2, 2.0, 1.8, 2.2, 1e-3], ["late", 20, 50, "20 40", 2, 2.0, 1.8, 2.2, 1e-3]])},
    ]
    fig = figures.scaling(curves, FigureStyle(), "x2")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "MSE" in ax.get_ylabel() and "width" in ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("N^{-1}" in s for s in labels) and any("N^{-4}" in s for s in labels)
    assert sum(" fit, N " in s for s in labels) == 3  # silu: n1; leaky_relu: early and late
    paths = [tmp_path / "s.png", tmp_path / "s.pdf"]
    figures.save(fig, paths, dpi=40)
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths[1].read_bytes()[:4] == b"%PDF"


def _panel(width, rng):
    x = np.concatenate([rng.normal(-6, 0.2, 30), rng.normal(-3, 0.3, 70)])
    kde = pd.DataFrame({"log10_loss": np.linspace(-7, -1, 50), "density": np.ones(50) / 6})
    modes = pd.DataFrame({"width": width, "candidate": [0, 1], "kept": True, "lottery": [True, False],
                          "log10_loss": [-6.0, -3.0], "loss": [1e-6, 1e-3], "share": [0.3, 0.7], "reproducibility": 1.0,
                          "prominence": 0.5, "basin_low": [-np.inf, -4.5], "basin_high": [-4.5, np.inf]})
    return {"width": width, "log10_loss": x, "n_diverged": 1, "kde": kde, "modes": modes, "activation": "silu"}


def test_histogram_figures_mark_modes(tmp_path):
    rng = np.random.default_rng(0)
    fig = figures.histogram_grid([_panel(w, rng) for w in (1, 2, 4, 10)], FigureStyle(columns=2), "title")
    visible = [a for a in fig.axes if a.get_visible()]
    assert len(visible) == 4
    assert "MSE" in visible[-1].get_xlabel()
    texts = [t.get_text() for t in visible[0].texts]
    assert any("lottery" in t and "30%" in t for t in texts)
    assert "1 diverged" in visible[0].get_title()
    fig2 = figures.histogram_modes(_panel(2, rng), FigureStyle(), "N = 2")
    figures.save(fig2, [tmp_path / "m.png"], dpi=40)
    assert (tmp_path / "m.png").stat().st_size > 1000


def test_synergy_figure_states_the_sign_convention(tmp_path):
    rng = np.random.default_rng(0)
    row = pd.Series({"median_ratio": 1.1, "ratio_ci_low": 0.9, "ratio_ci_high": 1.3, "ks": 0.1, "wasserstein_decades": 0.05})
    comps = [{"width": 20, "half_width": 10, "row": row, "wide": 10 ** rng.normal(-6, 0.3, 100),
              "ensemble": 10 ** rng.normal(-6, 0.3, 1000)}]
    fig = figures.synergy_panels(comps, FigureStyle(), "t", "silu")
    assert "> 1: the wide network beats ensembling" in fig._suptitle.get_text()
    assert "ratio 1.1 [0.9, 1.3]" in fig.axes[0].get_title() and fig.axes[0].get_xscale() == "log"
    figures.save(fig, [tmp_path / "syn.pdf"], dpi=40)
    empty = figures.synergy_panels([], FigureStyle(), "t", "silu")
    figures.save(empty, [tmp_path / "empty.png"], dpi=40)
    assert (tmp_path / "empty.png").exists()


def test_style_from_config_keeps_default_colours():
    s = FigureStyle.from_dict({"colors": {"silu": "black"}, "reference_slopes": [1, 2]})
    assert s.color("silu") == "black" and s.color("leaky_relu") == "#d62728"
    assert s.reference_slopes == (1, 2)
    with pytest.raises(UserError, match="no_such_setting"):
        FigureStyle.from_dict({"no_such_setting": 1})
    with pytest.raises(UserError, match="colors.silu: 'notacolor'"):
        FigureStyle.from_dict({"colors": {"silu": "notacolor"}})
    with pytest.raises(UserError, match="dpi: must be an integer >= 10, got 'high'"):
        FigureStyle.from_dict({"dpi": "high"})


def test_local_slopes_figure():
    slopes = pd.DataFrame({"width_low": [1, 2, 4], "width_high": [2, 4, 8], "local_slope": [4.0, 3.0, 1.0],
                           "slope_ci_low": [3.5, 2.5, 0.8], "slope_ci_high": [4.5, 3.5, 1.2]})
    fig = figures.local_slopes([{"name": "e", "activation": "leaky_relu", "slopes": slopes}], FigureStyle(), "x2")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    x, y = ax.lines[0].get_data()
    assert list(x) == pytest.approx([np.sqrt(2), np.sqrt(8), np.sqrt(32)]) and list(y) == [4.0, 3.0, 1.0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("slope 1" in s for s in labels) and any("slope 4" in s for s in labels)
