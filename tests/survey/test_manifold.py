"""The attractor-manifold ratio: MST lengths against brute force, ~1 for unrelated w and b (init, a
shuffled pairing), small on a curve; collapsed neurons left out and counted."""

import numpy as np
import pytest
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial.distance import pdist, squareform

from lottery_scaling.errors import UserError
from lottery_scaling.studies.survey import manifold


def _dense_mst(points):
    return float(minimum_spanning_tree(squareform(pdist(np.unique(points, axis=0)))).sum())


@pytest.mark.parametrize("n", [3, 150, 700])
def test_mst_length_equals_the_complete_graph_tree(n):
    rng = np.random.default_rng(n)
    pts = rng.normal(size=(n, 2))
    pts[: n // 3] = pts[0]  # exact duplicates count once
    assert manifold.mst_length(pts) == pytest.approx(_dense_mst(pts), rel=1e-12)


def test_collinear_points_are_a_chain():
    t = np.array([0.0, 3.0, 1.0, 2.5])
    assert manifold.mst_length(np.column_stack([t, 2 * t])) == pytest.approx(3 * np.sqrt(5))


def _curve(n, rng, noise=0.01):
    u = rng.uniform(-1, 1, n)
    return 0.9 * np.sin(2 * u), -1.4 * np.cos(u) + rng.normal(0, noise, n)


def test_unrelated_w_and_b_give_one_and_a_curve_gives_much_less():
    rng = np.random.default_rng(0)
    for n in (200, 3000):
        w, b = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
        assert manifold.curve_statistic(w, b, 1.15).ratio == pytest.approx(1.0, abs=0.05)
        wc, bc = _curve(n, rng)
        assert manifold.curve_statistic(wc, bc, 1.15).ratio < 0.5
        sw, sb = manifold.shuffled_pairing(wc, bc)
        assert manifold.curve_statistic(sw, sb, 1.15).ratio == pytest.approx(1.0, abs=0.06)


def test_collapsed_neurons_are_left_out_and_counted():
    rng = np.random.default_rng(2)
    w, b = _curve(300, rng)
    w2, b2 = np.concatenate([w, np.zeros(500)]), np.concatenate([b, np.full(500, 1e-5)])
    one, two = manifold.curve_statistic(w, b, 1.0, seed=3), manifold.curve_statistic(w2, b2, 1.0, seed=3)
    assert two.collapsed == 500 and two.active == 300 and two.ratio == pytest.approx(one.ratio)
    # the shuffled null moves no collapsed neuron: its ratio is ~1, not pulled down by the w = 0 line
    sw, sb = manifold.shuffled_pairing(w2, b2, seed=1)
    np.testing.assert_array_equal(sb[300:], b2[300:])
    assert manifold.curve_statistic(sw, sb, 1.0).ratio == pytest.approx(1.0, abs=0.08)
    few = manifold.curve_statistic(w[:20], b[:20], 1.0, min_neurons=50)
    assert np.isnan(few.ratio) and few.active == 20


def test_wide_inputs_are_refused_in_one_line():
    with pytest.raises(UserError, match="needs d = 1 networks"):
        manifold.curve_statistic(np.zeros((5, 2)), np.zeros(5), 1.0)
