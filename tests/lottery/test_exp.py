"""The kernels' own numerics: the vectorisable exp and sigmoid (error bounds in ulps), the
fixed-order lane sums, and that float32 kernels compute in float32 (no hidden float64)."""

import re

import numpy as np
import pytest
from numba import njit

from lottery_scaling.studies.lottery import _kernels as K
from lottery_scaling.studies.lottery._kernels import _exp, _kept_sums_leaky_relu, _kept_sums_relu, _kept_sums_silu, _kept_sums_tanh
from lottery_scaling.studies.lottery._kernels import _lane_dot, _lane_sum

from .reference import gradients


@njit(error_model="numpy")
def _vexp(x, out):
    for i in range(x.shape[0]):
        out[i] = _exp(x[i])


@njit(error_model="numpy")
def _vsigmoid(x, out):
    one = x.dtype.type(1.0)
    for i in range(x.shape[0]):
        out[i] = one / (one + _exp(-x[i]))


def _ulps(got, exact, dtype):
    """|got - exact| in units of the last place (in dtype) of the exact value."""
    return np.abs(got.astype(np.float64) - exact) / np.spacing(np.abs(exact).astype(dtype)).astype(np.float64)


# The bounds below are the measured maxima rounded up (0.91 and 0.88 ulp for exp, 2.38
# and 2.29 ulp for the sigmoid, on these grids).
def test_float32_exp_within_one_ulp_of_numpy_float64_exp():
    x = np.concatenate([np.linspace(-87.0, 88.0, 1_000_001), np.random.default_rng(0).uniform(-5, 5, 500_000)])
    x = x.astype(np.float32)
    out = np.empty_like(x)
    _vexp(x, out)
    assert out.dtype == np.float32
    assert _ulps(out, np.exp(x.astype(np.float64)), np.float32).max() <= 1.0
    # outside [-87, 88] the input is clamped: finite, positive, no overflow to inf
    edge = np.array([-1e4, -100.0, 100.0, 1e4], dtype=np.float32)
    _vexp(edge, out[:4])
    assert np.all(np.isfinite(out[:4])) and np.all(out[:4] > 0)
    assert out[0] == out[1] and out[2] == out[3]
    assert abs(out[2] / np.exp(88.0) - 1) < 1e-6 and abs(out[0] / np.exp(-87.0) - 1) < 1e-6


def test_float64_exp_within_one_ulp():
    x = np.concatenate([np.linspace(-708.0, 709.0, 1_000_001), np.random.default_rng(1).uniform(-5, 5, 500_000)])
    out = np.empty_like(x)
    _vexp(x, out)
    if np.finfo(np.longdouble).nmant > 52:  # x86: 64-bit mantissa, a reference more exact than the result
        assert _ulps(out, np.exp(x.astype(np.longdouble)), np.float64).max() <= 1.0
    assert _ulps(out, np.exp(x), np.float64).max() <= 1.5  # numpy's exp has its own rounding error


@pytest.mark.parametrize("dtype, bound, limit", [(np.float32, 2.5, 80.0), (np.float64, 2.5, 700.0)])
def test_sigmoid_error_bound(dtype, bound, limit):
    z = np.linspace(-limit, limit, 1_000_001).astype(dtype)
    out = np.empty_like(z)
    _vsigmoid(z, out)
    exact = 1.0 / (1.0 + np.exp(-z.astype(np.longdouble if dtype == np.float64 else np.float64)))
    assert _ulps(out, exact, dtype).max() <= bound


def _lane_order_sum(a, n, lanes):
    """The documented order of _lane_sum, in numpy."""
    acc = np.zeros((4, lanes), a.dtype)
    groups = n // (4 * lanes)
    for m in range(groups * 4 * lanes):
        acc[(m // lanes) % 4, m % lanes] += a[m]
    for m in range(groups * 4 * lanes, n):
        acc[0, m % lanes] += a[m]
    total = (acc[0] + acc[1]) + (acc[2] + acc[3])
    h = lanes // 2
    while h >= 1:
        total[:h] = total[:h] + total[h : 2 * h]
        h //= 2
    return total[0]


@njit
def _call_lane_sum(a, n):
    return _lane_sum(a, n)


@njit
def _call_lane_dot(a, b, n):
    return _lane_dot(a, b, n)


@pytest.mark.parametrize("dtype, lanes", [(np.float32, 16), (np.float64, 8)])
def test_lane_sum_follows_its_documented_order(dtype, lanes):
    rng = np.random.default_rng(5)
    a = rng.normal(size=1003).astype(dtype) * np.logspace(-8, 8, 1003).astype(dtype)
    for n in (0, 1, lanes - 1, lanes, lanes + 1, 4 * lanes - 1, 4 * lanes, 4 * lanes + 3, 9 * lanes + 5, 1000):
        assert _call_lane_sum(a, n) == _lane_order_sum(a, n, lanes)
        b = rng.normal(size=1003).astype(dtype)
        np.testing.assert_allclose(_call_lane_dot(a, b, n), np.dot(a[:n].astype(np.float64), b[:n]),
                                   rtol=1e-4 if dtype == np.float32 else 1e-12, atol=1e-3)


@njit
def _call_kept(code, x, g, k, w, b):
    if code == 0:
        return _kept_sums_silu(x, g, k, w, b)
    if code == 1:
        return _kept_sums_relu(x, g, k, w, b)
    if code == 2:
        return _kept_sums_leaky_relu(x, g, k, w, b)
    return _kept_sums_tanh(x, g, k, w, b)


@pytest.mark.parametrize("act", ["silu", "relu", "leaky_relu", "tanh"])
@pytest.mark.parametrize("M", [7, 64, 100])
def test_kept_sums_give_the_reference_gradient(act, M):
    # one neuron, v = 1, c = 0: the kernels' per-neuron sums are the reference gradient
    rng = np.random.default_rng(M)
    x = rng.uniform(-2, 2, M)
    w, b = np.array([[0.7]]), np.array([-0.3])
    z = w[0, 0] * x + b[0]
    f = {"silu": z / (1 + np.exp(-z)), "relu": np.maximum(z, 0), "leaky_relu": np.where(z > 0, z, 0.01 * z),
         "tanh": np.tanh(z)}[act]
    y = np.sin(x)
    g = 2 * (f - y) / M
    kept = {"silu": 1 / (1 + np.exp(-z)), "tanh": np.tanh(z)}.get(act, np.zeros(M))
    sv, sb, sw = _call_kept(K.ACTIVATION_CODES[act], x, g, kept, 0.7, -0.3)
    gw, gb, gv, _, _ = gradients(w, b, np.array([1.0]), 0.0, x[:, None], y, act)
    np.testing.assert_allclose([sw, sb, sv], [gw[0, 0], gb[0], gv[0]], rtol=1e-12, atol=1e-15)


def _float32_ir(name, *args):
    fn = njit(error_model="numpy")(getattr(K, name).py_func)  # a fresh compile: cached code has no IR to inspect
    fn(*args)
    return fn.inspect_llvm(fn.signatures[0])


def test_float32_kernels_compute_in_float32():
    f32 = np.float32
    N, M = 4, 40
    w, b, v = np.ones((N, 1), f32), np.ones(N, f32), np.ones(N, f32)
    x, f, g = np.linspace(-2, 2, M).astype(f32), np.zeros(M, f32), np.zeros(M, f32)
    keep, grad, scratch = np.zeros((N, M), f32), np.zeros(3 * N + 1, f32), np.zeros((3, M), f32)
    double_vectors = re.compile(r"<\d+ x double>")
    double_arith = re.compile(r"= f(add|sub|mul|div) [a-z ]*double")
    for name, args in [
        ("_forward_1d", (K.SILU, w, b, v, f32(0), x, f, keep, M // 2, f32(2), True)),
        ("_forward_1d", (K.SILU, w, b, v, f32(0), x, f, keep, M // 2, f32(2), False)),
        ("_backward_1d", (K.SILU, w, b, v, x, g, f32(0), keep, M // 2, f32(2), True, grad, scratch)),
        ("_backward_1d", (K.SILU, w, b, v, x, g, f32(0), keep, M // 2, f32(2), False, grad, scratch)),
    ]:
        ir_ = _float32_ir(name, *args)
        assert " fpext " not in ir_ and not double_arith.search(ir_) and not double_vectors.search(ir_), name
    # the wide step sums the loss in float64 (a few scalar conversions per sample pair),
    # nothing else: its vectorised neuron loops are float32
    ir_ = _float32_ir("_step_wide_silu", w[:, 0].copy(), b, v, f32(0), x, g, M // 2, grad, b.copy(), b.copy(), b.copy())
    assert not double_vectors.search(ir_) and ir_.count(" fpext ") <= 6
    assert re.search(r"<16 x float>", ir_)
    # Adam: bias corrections per step in float64 (as torch), the element loop in float32
    ir_ = _float32_ir("_adam_update", grad, grad.copy(), grad.copy(), grad.copy(), 1e-2, 0.9, 0.999, 1e-8, 3)
    assert " fpext " not in ir_ and not double_vectors.search(ir_)
