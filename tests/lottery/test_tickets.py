"""Lottery tickets: R^2, error functions and the number of independent tickets on constructed cases."""

import numpy as np
import pytest

from lottery_scaling.studies.lottery.pairs import tickets
from lottery_scaling.studies.lottery.model import activation, predict
from lottery_scaling.studies.lottery.pairs.pairing import Pairing, pair_neurons

X = np.linspace(-2, 2, 401)


def test_fit_matches_least_squares_reference():
    rng = np.random.default_rng(0)
    y = X**2
    g = np.stack([np.sin(X) + X**2, np.exp(X), rng.normal(size=X.size)])
    fit = tickets.fit_tickets(g, y)
    for k in range(3):
        slope, intercept = np.polyfit(g[k], y, 1)
        assert fit.slope[k] == pytest.approx(slope, rel=1e-9)
        assert fit.intercept[k] == pytest.approx(intercept, rel=1e-9, abs=1e-12)
        assert fit.r2[k] == pytest.approx(np.corrcoef(g[k], y)[0, 1] ** 2, rel=1e-9)
        np.testing.assert_allclose(fit.errors[k], slope * g[k] + intercept - y, atol=1e-10)


def test_constant_ticket_has_zero_r2():
    fit = tickets.fit_tickets(np.full((1, X.size), 3.0), X**2)
    assert fit.r2[0] == 0.0
    np.testing.assert_allclose(fit.errors[0], np.mean(X**2) - X**2, atol=1e-12)


def test_orthogonal_errors_count_k_and_identical_errors_count_one():
    rng = np.random.default_rng(1)
    k = 5
    q, _ = np.linalg.qr(rng.normal(size=(X.size, k)))
    scales = rng.uniform(0.1, 10, k)  # unequal sizes: the count uses normalised errors
    corr = tickets.error_correlation(q.T * scales[:, None])
    pr, n99 = tickets.independent_tickets(corr)
    assert pr == pytest.approx(k, rel=1e-9) and n99 == k
    same = np.outer(scales, np.sin(3 * X))
    pr, n99 = tickets.independent_tickets(tickets.error_correlation(same))
    assert pr == pytest.approx(1.0, rel=1e-9) and n99 == 1
    # two groups of identical errors, orthogonal to each other: 2
    both = np.concatenate([np.outer(scales[:3], q[:, 0]), np.outer(scales[3:], q[:, 1])])
    pr, n99 = tickets.independent_tickets(tickets.error_correlation(both))
    assert n99 == 2 and 1.0 < pr <= 2.0


def test_network_of_identical_tickets_has_one_independent_ticket():
    # 4 copies of the paper's lottery ticket (each with v / 4): every ticket equals the target's best fit
    w1, b1, v1 = 0.83010304, -1.1684235, 5.686
    w = np.array([w1, -w1] * 4)
    b = np.full(8, b1)
    v = np.full(8, v1 / 4)
    y = X**2
    nt = tickets.analyse_network(w, b, v, X[:, None], y, "silu", 1.15)
    assert nt.pairing.n_pairs == 4 and nt.pairing.unmatched.size == 0
    assert nt.participation_ratio == pytest.approx(1.0, rel=1e-9) and nt.n_components_99 == 1
    assert np.all(nt.fit.r2 > 0.999)


def test_ticket_functions_sum_to_the_network():
    rng = np.random.default_rng(2)
    w = np.concatenate([rng.uniform(0.2, 1, 6), -rng.uniform(0.2, 1, 6)])
    b, v = rng.normal(size=12), rng.normal(size=12)
    p = pair_neurons(w, b)
    g = tickets.ticket_functions(w, b, v, p, X, "silu")
    np.testing.assert_allclose(g.sum(axis=0) + 0.3, predict(w[:, None], b, v, 0.3, X[:, None], "silu"), atol=1e-12)


def test_ticket_equal_to_target_has_r2_one():
    w, b, v = np.array([0.7, -0.7]), np.array([-0.4, -0.4]), np.array([2.0, 2.0])
    y = 3.0 * (v[0] * activation("silu", w[0] * X + b[0]) + v[1] * activation("silu", w[1] * X + b[1])) - 1.0
    p = Pairing(np.array([0]), np.array([1]), np.zeros(1), np.zeros(1), np.zeros(0, dtype=int))
    fit = tickets.fit_tickets(tickets.ticket_functions(w, b, v, p, X, "silu"), y)
    assert fit.r2[0] == pytest.approx(1.0, abs=1e-12)
    assert fit.slope[0] == pytest.approx(3.0) and fit.intercept[0] == pytest.approx(-1.0)


def test_inactive_neurons():
    w, b, v = np.array([1.0, 1e-40, 0.5]), np.array([0.0, 1e-40, 0.1]), np.array([1.0, 1e-40, 0.0])
    assert list(tickets.active_neurons(w, b, v, X, "silu", 1.0)) == [True, False, False]
