"""Distillation of a width-2 network from the best ticket, on cases with a known exact answer."""

import numpy as np
import pytest

from lottery_scaling.studies.lottery.pairs import distill
from lottery_scaling.studies.lottery.model import activation, mse

X = np.linspace(-2, 2, 301)
XT = np.linspace(-2, 2, 1001)


def test_second_layer_recovered_exactly():
    w, b = np.array([0.5, -0.7]), np.array([-1.0, 0.2])
    v_true, c_true = np.array([2.0, -3.0]), 0.4
    y = activation("silu", np.outer(X, w) + b) @ v_true + c_true
    v, c = distill.fit_second_layer(w, b, X, y, "silu")
    np.testing.assert_allclose(v, v_true, rtol=1e-10)
    assert c == pytest.approx(c_true, rel=1e-10)


def test_second_layer_matches_lstsq_reference():
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=2), rng.normal(size=2)
    y = X**2
    v, c = distill.fit_second_layer(w, b, X[:, None], y, "tanh")
    design = np.column_stack([np.tanh(np.outer(X, w) + b), np.ones_like(X)])
    ref = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(np.append(v, c), ref, rtol=1e-8)


def test_best_ticket_of_a_wide_network_is_distilled_exactly():
    # the target is exactly a symmetric pair (w, b) ~ (-w, b) with v = 5, c = 1; the wide network
    # holds that pair with a different output scale (R^2 = 1) plus three mediocre pairs
    w0, b0 = 0.9, -1.1
    y_of = lambda x: 5.0 * (activation("silu", w0 * x + b0) + activation("silu", -w0 * x + b0)) + 1.0
    others_w = np.array([0.3, 1.7, 2.5])
    others_b = np.array([0.8, 2.0, -3.0])
    w = np.concatenate([[w0, -w0], others_w, -others_w])
    b = np.concatenate([[b0, b0], others_b, others_b])
    v = np.concatenate([[0.2, 0.2], [1.0, -2.0, 0.5], [1.0, -2.0, 0.5]])
    perm = np.random.default_rng(1).permutation(w.size)
    d = distill.distill_network(w[perm], b[perm], v[perm], X, y_of(X), XT, y_of(XT), "silu", 1.15)
    assert d.r2 == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(d.w, [-w0, w0])  # neuron 1 is the one with w <= 0
    np.testing.assert_allclose(d.b, [b0, b0])
    np.testing.assert_allclose(d.v, [5.0, 5.0], rtol=1e-9)
    assert d.c == pytest.approx(1.0, rel=1e-9)
    assert d.train_loss < 1e-20 and d.test_loss < 1e-20
    ref = mse(d.w[:, None], d.b, d.v, d.c, XT[:, None], y_of(XT), "silu")
    assert d.test_loss == pytest.approx(float(ref), abs=1e-30)


def test_network_without_pairs_gives_none():
    w, b, v = np.array([0.5, 1.0, 1.5, 2.0]), np.zeros(4), np.ones(4)
    assert distill.distill_network(w, b, v, X, X**2, XT, XT**2, "silu", 1.15) is None


def test_ill_conditioned_pair_keeps_tiny_singular_directions():
    # near-collinear columns (tiny w): x^2 needs huge output weights (paper appendix D); the QR
    # solution keeps them and beats the truncated SVD solution
    w, b = np.array([-1e-3, 2e-3]), np.array([1e-3, -2e-3])
    y = X**2
    v, c = distill.fit_second_layer(w, b, X, y, "silu")
    pred = activation("silu", np.outer(X, w) + b) @ v + c
    design = np.column_stack([activation("silu", np.outer(X, w) + b), np.ones_like(X)])
    ref = np.linalg.lstsq(design, y, rcond=None)[0]
    pred_ref = design @ ref
    assert np.max(np.abs(v)) > 1e5
    assert np.mean((pred - y) ** 2) <= np.mean((pred_ref - y) ** 2) * (1 + 1e-6)
