"""Overlap of masks: Jaccard, the random null's sizes and mean, kept neurons and the best pair."""

import numpy as np
import pytest

from lottery_scaling.studies.survey import overlap


def test_jaccard_and_kept_neurons():
    a = np.array([1, 1, 0, 0], bool)
    b = np.array([1, 0, 1, 0], bool)
    assert overlap.jaccard(a, b) == pytest.approx(1 / 3)
    assert np.isnan(overlap.jaccard(np.zeros(3, bool), np.zeros(3, bool)))
    mw = np.array([[1], [0], [1]], bool)
    mv = np.array([1, 1, 0], bool)
    np.testing.assert_array_equal(overlap.kept_neurons(mw, mv), [True, False, False])


def test_random_masks_have_the_sizes_and_the_expected_overlap():
    rng = np.random.default_rng(0)
    m = overlap.random_masks(rng, 4000, 50, 20)
    assert (m.sum(axis=1) == 20).all()
    np.testing.assert_allclose(m.mean(axis=0), 20 / 50, atol=0.04)  # uniform positions
    other = overlap.random_masks(rng, 4000, 50, 30)
    # E|A & B| = 20 * 30 / 50 = 12, so J ~ 12 / 38
    assert overlap.jaccard(m, other).mean() == pytest.approx(12 / 38, abs=0.01)


def test_identical_masks_beat_the_null_and_the_best_pair_is_judged():
    N = 30
    rng = np.random.default_rng(4)
    mw = rng.random((N, 1)) < 0.5
    mv = rng.random(N) < 0.5
    mv[[3, 7]] = True
    mw[[3, 7]] = True
    methods = {"imp": (mw, mv), "edgepopup": (mw.copy(), mv.copy())}
    rows, nulls = overlap.overlap_rows("x", N, 0, 0.5, methods, null_draws=300)
    (r,) = rows
    assert r["jaccard_weights"] == 1.0 and r["jaccard_neurons"] == 1.0
    assert r["null_weights_high"] < 0.7 and r["kept_a"] == r["kept_b"] == mw.sum() + mv.sum()
    pairs = overlap.best_pair_rows("x", N, 0, 0.5, methods, nulls, (3, 7, 0.9))
    assert [p["keeps_pair"] for p in pairs] == [True, True]
    assert all(0 < p["random_keeps_pair"] < 0.3 for p in pairs)
    none = overlap.best_pair_rows("x", N, 0, 0.5, methods, nulls, None)
    assert [p["keeps_pair"] for p in none] == ["", ""]


def test_the_null_keeps_each_methods_per_layer_sizes():
    N = 40
    mw = np.zeros((N, 1), bool)
    mw[:30] = True
    mv = np.zeros(N, bool)
    mv[:5] = True
    rw, rv = overlap.random_network_masks(np.random.default_rng(1), 50, N, 1, int(mw.sum()), int(mv.sum()))
    assert (rw.reshape(50, -1).sum(1) == 30).all() and (rv.sum(1) == 5).all()
