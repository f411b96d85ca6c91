"""Numba kernels of the trainer: full-batch Adam on f(x) = sum_i v_i act(w_i . x + b_i) + c.

Private: call them through `lottery_scaling.trainer.train`, which checks and prepares
the arrays. One network is trained start to finish by one thread (seeds run in
parallel), so a seed's result never depends on the thread count. All scratch memory is
allocated once per network, before the step loop.

Parameter vector layout (P = N*d + 2N + 1): [w (row-major N x d), b (N), v (N), c].

Two step layouts: narrow networks loop over neurons with the sample loop inside
(vectorised over samples) and keep each neuron's activations (N x M) for the backward
pass; wide SiLU networks (`_step_wide_silu`) loop over sample pairs with the neuron loop
inside, so nothing N x M is stored. The trainer picks one by the size of that array.

The sample loops must vectorise: numba's scalar `math.exp` calls libm and blocks SIMD,
so `_exp` is a branch-free exp (Cody-Waite range reduction, degree-13 polynomial,
exponent built by a bit cast) that LLVM can vectorise; it is accurate to about 1 ulp.
fastmath omits 'nnan'/'ninf' so that diverged networks are still detected, and
error_model="numpy" drops the ZeroDivisionError check that keeps a division from vectorising.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

FASTMATH = {"reassoc", "contract", "arcp", "nsz", "afn"}

SILU, RELU, LEAKY_RELU, TANH = 0, 1, 2, 3
ACTIVATION_CODES = {"silu": SILU, "relu": RELU, "leaky_relu": LEAKY_RELU, "tanh": TANH}
LEAKY_SLOPE = 0.01

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # few mantissa bits: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10


@intrinsic
def _int64_bits_as_float64(typingctx, bits):
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def _exp(x):
    """exp(x) for float64, vectorisable; inputs outside [-708, 709] are clamped."""
    x = min(max(x, -708.0), 709.0)
    k = np.floor(x * _LOG2E + 0.5)
    r = (x - k * _LN2_HI) - k * _LN2_LO
    # Taylor series of exp on |r| <= ln2/2, Horner form; truncation error < 1e-17.
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    return p * _int64_bits_as_float64((np.int64(k) + 1023) << 52)


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def _pair_sigmoids(e, u, one):
    """sigmoid(w x + b) and sigmoid(-w x + b) from u = exp(-w x) and e = exp(-b)."""
    return one / (one + e * u), u / (u + e)


@njit(cache=True, fastmath=FASTMATH, error_model="numpy", inline="always")
def _pairs_usable(wi, bi, x_max):
    """The paired form needs e * u finite: |w x| + |b| well inside exp's range."""
    return abs(wi) * x_max + abs(bi) < 600.0


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def _preactivation(w, b, i, xT, z):
    """z[m] = w[i] . x[m] + b[i]."""
    d = xT.shape[0]
    M = xT.shape[1]
    bi = b[i]
    w0 = w[i, 0]
    for m in range(M):
        z[m] = w0 * xT[0, m] + bi
    for k in range(1, d):
        wk = w[i, k]
        for m in range(M):
            z[m] += wk * xT[k, m]


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def _forward(act, w, b, v, c, xT, f, z, keep):
    """f = network output on the samples xT (d, M). keep (N, M) receives what the
    backward pass needs per neuron: the sigmoid for SiLU, the activation for tanh."""
    N = w.shape[0]
    M = xT.shape[1]
    one = f.dtype.type(1.0)
    zero = f.dtype.type(0.0)
    slope = f.dtype.type(LEAKY_SLOPE)
    for m in range(M):
        f[m] = c
    for i in range(N):
        _preactivation(w, b, i, xT, z)
        vi = v[i]
        ki = keep[i]
        if act == SILU:
            for m in range(M):
                zm = z[m]
                s = one / (one + _exp(-zm))
                ki[m] = s
                f[m] += vi * (zm * s)
        elif act == RELU:
            for m in range(M):
                f[m] += vi * max(z[m], zero)
        elif act == LEAKY_RELU:
            for m in range(M):
                zm = z[m]
                f[m] += vi * (zm if zm > zero else slope * zm)
        else:
            for m in range(M):
                t = np.tanh(z[m])
                ki[m] = t
                f[m] += vi * t


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def _loss_and_output_grad(f, y, g):
    """Mean squared error, g = dLoss/df = 2 (f - y) / M, and dLoss/dc = sum(g)."""
    M = f.shape[0]
    scale = f.dtype.type(2.0 / M)
    total = 0.0  # float64 even for float32 networks
    gc = f.dtype.type(0.0)
    for m in range(M):
        r = f[m] - y[m]
        total += r * r
        gm = scale * r
        g[m] = gm
        gc += gm
    return total / M, gc


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def _backward(act, w, b, v, xT, g, gc, z, keep, grad):
    """Gradient of the loss w.r.t. the flat parameter vector, given g = dLoss/df and gc = sum(g)."""
    N = w.shape[0]
    d = w.shape[1]
    M = xT.shape[1]
    one = g.dtype.type(1.0)
    zero = g.dtype.type(0.0)
    slope = g.dtype.type(LEAKY_SLOPE)
    off_b = N * d
    off_v = off_b + N
    grad[off_v + N] = gc
    for i in range(N):
        _preactivation(w, b, i, xT, z)
        ki = keep[i]
        gv = zero
        gb = zero
        # after each branch, z holds dLoss/dz / v_i
        if act == SILU:
            for m in range(M):
                zm = z[m]
                s = ki[m]
                gm = g[m]
                gv += gm * (zm * s)
                dz = gm * (s * (one + zm * (one - s)))
                gb += dz
                z[m] = dz
        elif act == RELU:
            for m in range(M):
                zm = z[m]
                gm = g[m]
                gv += gm * max(zm, zero)
                dz = gm if zm > zero else zero
                gb += dz
                z[m] = dz
        elif act == LEAKY_RELU:
            for m in range(M):
                zm = z[m]
                gm = g[m]
                pos = zm > zero
                gv += gm * (zm if pos else slope * zm)
                dz = gm if pos else slope * gm
                gb += dz
                z[m] = dz
        else:
            for m in range(M):
                t = ki[m]
                gm = g[m]
                gv += gm * t
                dz = gm * (one - t * t)
                gb += dz
                z[m] = dz
        vi = v[i]
        for k in range(d):
            gw = zero
            for m in range(M):
                gw += z[m] * xT[k, m]
            grad[i * d + k] = vi * gw
        grad[off_b + i] = vi * gb
        grad[off_v + i] = gv


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def _forward_1d(act, w, b, v, c, x, f, keep, half, x_max, store):
    """_forward for d = 1 with the pre-activation fused into each loop (x is xT[0]).

    half > 0: the samples come in mirrored pairs, x[half + m] == -x[m] for m < half (the
    trainer orders a symmetric grid so). Then SiLU needs one exp per pair: with
    u = exp(-w x) and e = exp(-b), sigmoid(w x + b) = 1 / (1 + e u) and
    sigmoid(-w x + b) = u / (u + e). x_max = max |x|.
    store: keep the SiLU sigmoids in keep[i] for the backward pass. store = False is for
    SiLU only (tanh always stores; see _train_one): the backward pass recomputes them and
    keep, then one row, is not touched.
    """
    N = w.shape[0]
    M = x.shape[0]
    one = f.dtype.type(1.0)
    zero = f.dtype.type(0.0)
    slope = f.dtype.type(LEAKY_SLOPE)
    for i in range(N):
        wi = w[i, 0]
        bi = b[i]
        vi = v[i]
        ki = keep[i] if store else keep[0]
        first = i == 0  # the first neuron starts f at c: saves a pass over the samples
        if act == SILU and half > 0 and _pairs_usable(wi, bi, x_max):
            e = _exp(-bi)
            if store:
                for m in range(half):
                    xm = x[m]
                    s_left, s_right = _pair_sigmoids(e, _exp(-(wi * xm)), one)
                    ki[m] = s_left
                    ki[half + m] = s_right
                    f[m] = (c if first else f[m]) + vi * ((wi * xm + bi) * s_left)
                    f[half + m] = (c if first else f[half + m]) + vi * ((wi * x[half + m] + bi) * s_right)
            else:
                for m in range(half):
                    xm = x[m]
                    s_left, s_right = _pair_sigmoids(e, _exp(-(wi * xm)), one)
                    f[m] = (c if first else f[m]) + vi * ((wi * xm + bi) * s_left)
                    f[half + m] = (c if first else f[half + m]) + vi * ((wi * x[half + m] + bi) * s_right)
            for m in range(2 * half, M):  # the unpaired middle point of an odd grid
                zm = wi * x[m] + bi
                s = one / (one + _exp(-zm))
                if store:
                    ki[m] = s
                f[m] = (c if first else f[m]) + vi * (zm * s)
        elif act == SILU:
            for m in range(M):
                zm = wi * x[m] + bi
                s = one / (one + _exp(-zm))
                if store:
                    ki[m] = s
                f[m] = (c if first else f[m]) + vi * (zm * s)
        elif act == RELU:
            for m in range(M):
                f[m] = (c if first else f[m]) + vi * max(wi * x[m] + bi, zero)
        elif act == LEAKY_RELU:
            for m in range(M):
                zm = wi * x[m] + bi
                f[m] = (c if first else f[m]) + vi * (zm if zm > zero else slope * zm)
        else:
            for m in range(M):
                t = np.tanh(wi * x[m] + bi)
                ki[m] = t
                f[m] = (c if first else f[m]) + vi * t


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def _backward_1d(act, w, b, v, x, g, gc, keep, half, x_max, store, grad):
    """_backward for d = 1 with pre-activation and weight gradient fused into one loop.

    store = False (SiLU only): recompute the sigmoids as _forward_1d does (same
    expressions; equal up to rounding) instead of reading them from keep. This is the
    wide networks' fallback for steps that _step_wide_silu cannot take (a neuron too steep
    for the paired form, or no mirrored pairs); it is about as fast as streaming an
    N x M keep through memory (benchmarks/wide_networks.py)."""
    N = w.shape[0]
    M = x.shape[0]
    one = g.dtype.type(1.0)
    zero = g.dtype.type(0.0)
    slope = g.dtype.type(LEAKY_SLOPE)
    grad[3 * N] = gc
    for i in range(N):
        wi = w[i, 0]
        bi = b[i]
        ki = keep[i] if store else keep[0]
        gv = zero
        gb = zero
        gw = zero
        if act == SILU and not store:
            paired = half if _pairs_usable(wi, bi, x_max) else 0
            e = _exp(-bi)
            for m in range(paired):
                x_left = x[m]
                x_right = x[half + m]
                s_left, s_right = _pair_sigmoids(e, _exp(-(wi * x_left)), one)
                z_left = wi * x_left + bi
                z_right = wi * x_right + bi
                g_left = g[m]
                g_right = g[half + m]
                gv += g_left * (z_left * s_left) + g_right * (z_right * s_right)
                dz_left = g_left * (s_left * (one + z_left * (one - s_left)))
                dz_right = g_right * (s_right * (one + z_right * (one - s_right)))
                gb += dz_left + dz_right
                gw += dz_left * x_left + dz_right * x_right
            for m in range(2 * paired, M):  # no pairs, or the middle point of an odd grid
                xm = x[m]
                zm = wi * xm + bi
                s = one / (one + _exp(-zm))
                gm = g[m]
                gv += gm * (zm * s)
                dz = gm * (s * (one + zm * (one - s)))
                gb += dz
                gw += dz * xm
        elif act == SILU:
            for m in range(M):
                xm = x[m]
                zm = wi * xm + bi
                s = ki[m]
                gm = g[m]
                gv += gm * (zm * s)
                dz = gm * (s * (one + zm * (one - s)))
                gb += dz
                gw += dz * xm
        elif act == RELU:
            for m in range(M):
                xm = x[m]
                zm = wi * xm + bi
                gm = g[m]
                gv += gm * max(zm, zero)
                dz = gm if zm > zero else zero
                gb += dz
                gw += dz * xm
        elif act == LEAKY_RELU:
            for m in range(M):
                xm = x[m]
                zm = wi * xm + bi
                gm = g[m]
                pos = zm > zero
                gv += gm * (zm if pos else slope * zm)
                dz = gm if pos else slope * gm
                gb += dz
                gw += dz * xm
        else:
            for m in range(M):
                xm = x[m]
                t = ki[m]
                gm = g[m]
                gv += gm * t
                dz = gm * (one - t * t)
                gb += dz
                gw += dz * xm
        vi = v[i]
        grad[i] = vi * gw
        grad[N + i] = vi * gb
        grad[2 * N + i] = gv


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def _all_pairable(w1, b1, x_max):
    """Whether every neuron can use the paired sigmoid form (see _forward_1d)."""
    for i in range(w1.shape[0]):
        if not _pairs_usable(w1[i], b1[i], x_max):
            return False
    return True


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def _step_wide_silu(w1, b1, v1, c, x, y, half, grad, e, keep_left, keep_right):
    """Loss and gradient of a wide SiLU network (d = 1, samples in mirrored pairs, every
    neuron pairable): forward, loss and backward fused per sample pair, vectorised over
    neurons. Only two rows of sigmoids are live at a time (keep_left, keep_right: N each),
    so nothing N x M goes through memory. Returns (loss, dLoss/dc); grad[:3N] is filled.
    e (N, float64 for every network dtype) is scratch for exp(-b). The network output of
    a sample is summed in float64 (the narrow path sums in the network's dtype).
    """
    N = w1.shape[0]
    M = x.shape[0]
    one = grad.dtype.type(1.0)
    zero = grad.dtype.type(0.0)
    scale = grad.dtype.type(2.0 / M)
    gw = grad[:N]
    gb = grad[N : 2 * N]
    gv = grad[2 * N : 3 * N]
    for i in range(N):
        e[i] = _exp(-b1[i])
        gw[i] = zero
        gb[i] = zero
        gv[i] = zero
    total = 0.0  # float64 even for float32 networks
    gc = zero
    for p in range(half):
        x_left = x[p]
        x_right = x[half + p]
        f_left = c
        f_right = c
        for i in range(N):
            wi = w1[i]
            s_left, s_right = _pair_sigmoids(e[i], _exp(-(wi * x_left)), one)
            keep_left[i] = s_left
            keep_right[i] = s_right
            f_left += v1[i] * ((wi * x_left + b1[i]) * s_left)
            f_right += v1[i] * ((wi * x_right + b1[i]) * s_right)
        r_left = f_left - y[p]
        r_right = f_right - y[half + p]
        total += r_left * r_left + r_right * r_right
        g_left = scale * r_left
        g_right = scale * r_right
        gc += g_left + g_right
        for i in range(N):
            wi = w1[i]
            z_left = wi * x_left + b1[i]
            z_right = wi * x_right + b1[i]
            s_left = keep_left[i]
            s_right = keep_right[i]
            gv[i] += g_left * (z_left * s_left) + g_right * (z_right * s_right)
            dz_left = g_left * (s_left * (one + z_left * (one - s_left)))
            dz_right = g_right * (s_right * (one + z_right * (one - s_right)))
            gb[i] += dz_left + dz_right
            gw[i] += dz_left * x_left + dz_right * x_right
    for m in range(2 * half, M):  # the unpaired middle point of an odd grid
        xm = x[m]
        fm = c
        for i in range(N):
            zi = w1[i] * xm + b1[i]
            si = one / (one + _exp(-zi))
            keep_left[i] = si
            fm += v1[i] * (zi * si)
        rm = fm - y[m]
        total += rm * rm
        gm = scale * rm
        gc += gm
        for i in range(N):
            zi = w1[i] * xm + b1[i]
            si = keep_left[i]
            gv[i] += gm * (zi * si)
            dz = gm * (si * (one + zi * (one - si)))
            gb[i] += dz
            gw[i] += dz * xm
    for i in range(N):
        gw[i] *= v1[i]
        gb[i] *= v1[i]
    return total / M, gc


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def _adam_update(theta, grad, m1, m2, lr, beta1, beta2, eps, step):
    """One torch.optim.Adam step (no weight decay, no amsgrad), step counted from 1.

    As in torch, the bias corrections are computed in float64 and the per-element
    update in the parameters' dtype: m1 <- lerp(m1, g, 1 - beta1),
    m2 <- beta2 m2 + (1 - beta2) g^2, theta <- theta - lr/bc1 * m1 / (sqrt(m2)/sqrt(bc2) + eps).
    """
    cast = theta.dtype.type
    step_size = cast(lr / (1.0 - beta1**step))
    bias2_sqrt = cast(np.sqrt(1.0 - beta2**step))
    keep1 = cast(1.0 - beta1)
    b2 = cast(beta2)
    keep2 = cast(1.0 - beta2)
    eps_t = cast(eps)
    for p in range(theta.shape[0]):
        gp = grad[p]
        m1[p] += keep1 * (gp - m1[p])
        m2[p] = b2 * m2[p] + keep2 * gp * gp
        theta[p] -= step_size * m1[p] / (np.sqrt(m2[p]) / bias2_sqrt + eps_t)


@njit(cache=True, error_model="numpy")
def _train_one(
    act, theta, N, d, xT, y, half, store, steps, lr0, lr_decay, lr_decay_every, beta1, beta2, eps, curve_steps, curve,
    step_counter,
):
    """Train one network in place. Returns True if it diverged (non-finite loss).

    half, store: see _forward_1d (store only matters for SiLU with d = 1; other cases
    always keep what their backward pass needs). step_counter[0] is set to the number of
    steps done, so another thread can report progress within a network."""
    M = xT.shape[1]
    x_max = 0.0
    for m in range(M):
        x_max = max(x_max, abs(xT[0, m]))
    w = theta[: N * d].reshape((N, d))
    b = theta[N * d : N * d + N]
    v = theta[N * d + N : N * d + 2 * N]
    grad = np.zeros_like(theta)
    m1 = np.zeros_like(theta)
    m2 = np.zeros_like(theta)
    f = np.empty(M, dtype=theta.dtype)
    g = np.empty(M, dtype=theta.dtype)
    z = np.empty(M, dtype=theta.dtype)
    store = store or d != 1 or act != SILU
    keep = np.empty((N if store else 1, M), dtype=theta.dtype)
    # wide SiLU networks: the fused pair step when every neuron allows it, else the
    # sample-vectorised passes with recomputed sigmoids
    wide = not store and half > 0
    w1 = theta[:N]
    b1 = theta[N : 2 * N]
    v1 = theta[2 * N : 3 * N]
    e = np.empty(N if wide else 1, dtype=np.float64)  # exp(-b) overflows float32 for |b| > 88
    keep_left = np.empty(N if wide else 1, dtype=theta.dtype)
    keep_right = np.empty(N if wide else 1, dtype=theta.dtype)
    K = curve_steps.shape[0]
    ci = 0
    lr = lr0
    for t in range(steps):
        if t % 64 == 0:  # not every step: threads' counters share cache lines
            step_counter[0] = t
        if t > 0 and t % lr_decay_every == 0:
            lr *= lr_decay  # torch StepLR's chained form: lr <- lr * gamma
        fused = wide and _all_pairable(w1, b1, x_max)
        if fused:
            loss, gc = _step_wide_silu(w1, b1, v1, theta[-1], xT[0], y, half, grad, e, keep_left, keep_right)
        else:
            if d == 1:
                _forward_1d(act, w, b, v, theta[-1], xT[0], f, keep, half, x_max, store)
            else:
                _forward(act, w, b, v, theta[-1], xT, f, z, keep)
            loss, gc = _loss_and_output_grad(f, y, g)
        while ci < K and curve_steps[ci] == t:
            curve[ci] = loss
            ci += 1
        if not np.isfinite(loss):
            for j in range(ci, K):
                curve[j] = loss
            step_counter[0] = steps
            return True
        if fused:
            grad[3 * N] = gc
        elif d == 1:
            _backward_1d(act, w, b, v, xT[0], g, gc, keep, half, x_max, store, grad)
        else:
            _backward(act, w, b, v, xT, g, gc, z, keep, grad)
        _adam_update(theta, grad, m1, m2, lr, beta1, beta2, eps, t + 1)
    if store:
        _forward(act, w, b, v, theta[-1], xT, f, z, keep)
    else:  # keep has one row: _forward would need N
        _forward_1d(act, w, b, v, theta[-1], xT[0], f, keep, half, x_max, store)
    loss, _ = _loss_and_output_grad(f, y, g)
    step_counter[0] = steps
    for j in range(ci, K):
        curve[j] = loss
    return not np.isfinite(loss)


@njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def train_batch(
    act, theta, N, d, xT, y, half, store, steps, lr0, lr_decay, lr_decay_every, beta1, beta2, eps, curve_steps, curve,
    diverged, steps_done,
):
    """Train theta[s] (S, P) in place for every s, in parallel over networks.

    steps_done[s] counts the steps network s has taken (== steps when it is finished), so
    another Python thread can report progress while this runs without the GIL.
    """
    for s in prange(theta.shape[0]):
        diverged[s] = _train_one(
            act, theta[s], N, d, xT, y, half, store, steps, lr0, lr_decay, lr_decay_every, beta1, beta2, eps,
            curve_steps, curve[s], steps_done[s : s + 1],
        )


@njit(cache=True, parallel=True, fastmath=FASTMATH, error_model="numpy")
def exp_throughput_kernel(x, out, repeats):
    """Vectorised exp over x, repeated; used by the benchmark as the speed floor."""
    n = x.shape[0]
    for r in range(repeats):
        for j in prange(n):
            out[j] += _exp(x[j])
