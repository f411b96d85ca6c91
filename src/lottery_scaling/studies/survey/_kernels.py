"""Numba kernels of the survey study: edge-popup (strong tickets) and the linearised network.

Private: call them through `edgepopup.train_edgepopup`, `linearised.train_linearised` and
`imp.train_masked`, which
check and prepare the arrays. As in the lottery trainer, one network is trained start to finish
by one thread (networks run in parallel, handed out one at a time), so a seed's result never
depends on the thread count; each network allocates its workspace once, before its step loop,
and nothing is allocated inside it.

Parameter vector layout, as the lottery trainer's (P = N*d + 2N + 1): [w (N x d), b (N), v (N), c].

Edge-popup reuses the lottery kernels' forward and backward passes unchanged: the masked network
is an ordinary network with parameters theta0 * mask, so its loss and its gradient with respect
to the masked weights are exactly what the lottery trainer computes (the same SIMD sums, the
paired SiLU form, the wide fused step), and the straight-through estimator only multiplies that
gradient by the frozen weight (and the sign of the score, see edgepopup.py). The linearised
network's features act(z0) and v0 act'(z0) are computed once per network and kept (2 x N x M);
a step is then two streams over them.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..lottery._kernels import (
    JIT,
    LEAKY_RELU,
    LEAKY_SLOPE,
    RELU,
    SILU,
    _adam_update,
    _all_pairable,
    _backward,
    _backward_1d,
    _fma,
    _forward,
    _forward_1d,
    _lane_dot,
    _loss_and_output_grad,
    _preactivation,
    _step_wide_silu,
)

ADAM, SGD = 0, 1


@njit(**JIT)
def _x_max(xT):
    x_max = 0.0
    for m in range(xT.shape[1]):
        x_max = max(x_max, abs(xT[0, m]))
    return x_max


@njit(**JIT)
def _network_loss_and_grad(act, theta, w, b, v, N, d, xT, y, half, store, wide, x_max, grad, f, g, z, keep, e,
                           keep_left, keep_right, scratch):
    """Training MSE of the network theta (w, b, v: its views) and, if finite, its gradient in
    grad: one step of the lottery trainer's _train_one without the update (the same branches)."""
    if wide and _all_pairable(theta[:N], theta[N : 2 * N], x_max):
        loss, gc = _step_wide_silu(theta[:N], theta[N : 2 * N], theta[2 * N : 3 * N], theta[-1], xT[0], y, half, grad,
                                   e, keep_left, keep_right)
        grad[3 * N] = gc
        return loss
    if d == 1:
        _forward_1d(act, w, b, v, theta[-1], xT[0], f, keep, half, x_max, store)
    else:
        _forward(act, w, b, v, theta[-1], xT, f, z, keep)
    loss, gc = _loss_and_output_grad(f, y, g)
    if not np.isfinite(loss):
        return loss
    if d == 1:
        _backward_1d(act, w, b, v, xT[0], g, gc, keep, half, x_max, store, grad, scratch)
    else:
        _backward(act, w, b, v, xT, g, gc, z, keep, grad, scratch)
    return loss


@njit(inline="always", **JIT)
def _ranks_before(keys, idx, a, key, index):
    """Whether position a comes before (key, index) in the order |score| descending, index ascending."""
    ka = keys[a]
    return ka > key or (ka == key and idx[a] < index)


@njit(**JIT)
def _select_top(keys, idx, n, k):
    """Reorder keys[:n], idx[:n] (together) so that positions < k hold the k first elements of the
    order (key descending, index ascending): quickselect with a median-of-three pivot, O(n)
    expected. The order is strict (indices differ), so the kept set is unique."""
    lo = 0
    hi = n - 1
    target = k - 1
    while lo < hi:
        mid = (lo + hi) // 2
        # median of (lo, mid, hi) as the pivot value
        a, bb, c = lo, mid, hi
        if _ranks_before(keys, idx, bb, keys[a], idx[a]):
            a, bb = bb, a
        if _ranks_before(keys, idx, c, keys[bb], idx[bb]):
            bb, c = c, bb
            if _ranks_before(keys, idx, bb, keys[a], idx[a]):
                a, bb = bb, a
        pk = keys[bb]
        pi = idx[bb]
        i = lo
        j = hi
        while i <= j:
            while _ranks_before(keys, idx, i, pk, pi):
                i += 1
            while keys[j] < pk or (keys[j] == pk and idx[j] > pi):
                j -= 1
            if i <= j:
                tk = keys[i]
                keys[i] = keys[j]
                keys[j] = tk
                ti = idx[i]
                idx[i] = idx[j]
                idx[j] = ti
                i += 1
                j -= 1
        if target <= j:
            hi = j
        elif target >= i:
            lo = i
        else:
            break


@njit(**JIT)
def _top_k_mask(scores, bounds, kept, keys, idx, mask):
    """mask[p] = 1 for the kept[g] largest |scores| of each group g = [bounds[g], bounds[g+1]),
    else 0 (ties to the lower index; a NaN score ranks last)."""
    for gi in range(kept.shape[0]):
        lo = bounds[gi]
        n = bounds[gi + 1] - lo
        k = kept[gi]
        if k >= n:
            for j in range(n):
                mask[lo + j] = 1.0
            continue
        for j in range(n):
            mask[lo + j] = 0.0
        if k <= 0:
            continue
        for j in range(n):
            s = abs(scores[lo + j])
            keys[j] = s if s == s else -1.0
            idx[j] = j
        _select_top(keys, idx, n, k)
        for j in range(k):
            mask[lo + idx[j]] = 1.0


@njit(**JIT)
def _score_gradient(theta0, grad, scores, weight_decay, out):
    """Straight-through estimator through the mask of |score|: dLoss/dscore_p =
    dLoss/d(masked weight p) * theta0_p * sign(score_p), plus weight_decay * score_p (PyTorch's
    L2 form), for the scored parameters (all but c)."""
    for p in range(out.shape[0]):
        s = scores[p]
        ste = grad[p] * theta0[p]
        out[p] = (ste if s > 0.0 else (-ste if s < 0.0 else 0.0)) + weight_decay * s


@njit(**JIT)
def _sgd_momentum_update(params, grad, buf, lr, momentum, first):
    """torch.optim.SGD with momentum (no dampening, not Nesterov): buf = g on the first step,
    then buf <- momentum buf + g; params <- params - lr buf."""
    for p in range(params.shape[0]):
        bp = grad[p] if first else _fma(momentum, buf[p], grad[p])
        buf[p] = bp
        params[p] -= lr * bp


@njit(**JIT)
def _apply_mask(theta0, mask, eff):
    for p in range(eff.shape[0]):
        eff[p] = theta0[p] * mask[p]


@njit(cache=True, error_model="numpy")
def _edgepopup_one(act, theta0, scores, N, d, xT, y, half, store, bounds, kept, steps, lr0, lr_decay, lr_decay_every,
                   optimizer, beta1, beta2, eps, momentum, weight_decay, curve_steps, curve, mask_out, step_counter):
    """Train the scores of one network in place (theta0 frozen). mask_out receives the final
    mask of the scored parameters; curve the masked network's training MSE at curve_steps
    (measured before the step's update, as the lottery trainer's). Returns True if the loss
    was not finite (training stops there)."""
    P = theta0.shape[0]
    Ps = scores.shape[0]
    M = xT.shape[1]
    x_max = _x_max(xT)
    eff = np.empty(P)
    w = eff[: N * d].reshape((N, d))
    b = eff[N * d : N * d + N]
    v = eff[N * d + N : N * d + 2 * N]
    mask = np.ones(P)  # c (the last entry) is never masked
    grad = np.zeros(P)
    gs = np.zeros(Ps)
    m1 = np.zeros(Ps)
    m2 = np.zeros(Ps)
    keys = np.empty(Ps)
    idx = np.empty(Ps, dtype=np.int64)
    f = np.empty(M)
    g = np.empty(M)
    z = np.empty(M)
    store = store or d != 1 or act != SILU
    keep = np.empty((N if store else 1, M))
    wide = not store and half > 0
    e = np.empty(N if wide else 1)
    keep_left = np.empty(N if wide else 1)
    keep_right = np.empty(N if wide else 1)
    scratch = np.empty((3, M))
    K = curve_steps.shape[0]
    ci = 0
    lr = lr0
    _top_k_mask(scores, bounds, kept, keys, idx, mask)
    for t in range(steps):
        if t % 64 == 0:
            step_counter[0] = t
        if t > 0 and t % lr_decay_every == 0:
            lr *= lr_decay
        _apply_mask(theta0, mask, eff)
        loss = _network_loss_and_grad(act, eff, w, b, v, N, d, xT, y, half, store, wide, x_max, grad, f, g, z, keep,
                                      e, keep_left, keep_right, scratch)
        while ci < K and curve_steps[ci] == t:
            curve[ci] = loss
            ci += 1
        if not np.isfinite(loss):
            for j in range(ci, K):
                curve[j] = loss
            mask_out[:] = mask[:Ps]
            step_counter[0] = steps
            return True
        _score_gradient(theta0, grad, scores, weight_decay, gs)
        if optimizer == ADAM:
            _adam_update(scores, gs, m1, m2, lr, beta1, beta2, eps, t + 1)
        else:
            _sgd_momentum_update(scores, gs, m1, lr, momentum, t == 0)
        _top_k_mask(scores, bounds, kept, keys, idx, mask)
    _apply_mask(theta0, mask, eff)
    loss = _network_loss_and_grad(act, eff, w, b, v, N, d, xT, y, half, store, wide, x_max, grad, f, g, z, keep,
                                  e, keep_left, keep_right, scratch)
    for j in range(ci, K):
        curve[j] = loss
    mask_out[:] = mask[:Ps]
    step_counter[0] = steps
    return not np.isfinite(loss)


@njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def edgepopup_batch(act, theta0, scores, N, d, xT, y, half, store, bounds, kept, steps, lr0, lr_decay, lr_decay_every,
                    optimizer, beta1, beta2, eps, momentum, weight_decay, curve_steps, curve, masks, diverged, steps_done):
    """_edgepopup_one for every network s (theta0 (S, P), scores and masks (S, P - 1)), in parallel."""
    for s in prange(theta0.shape[0]):
        diverged[s] = _edgepopup_one(act, theta0[s], scores[s], N, d, xT, y, half, store, bounds, kept, steps, lr0,
                                     lr_decay, lr_decay_every, optimizer, beta1, beta2, eps, momentum, weight_decay,
                                     curve_steps, curve[s], masks[s], steps_done[s : s + 1])


# --- masked training (IMP with rewinding) -----------------------------------------------------


@njit(**JIT)
def _mask_gradient(grad, mask):
    for p in range(grad.shape[0]):
        grad[p] *= mask[p]


@njit(cache=True, error_model="numpy")
def _masked_one(act, theta, mask, N, d, xT, y, half, store, steps, lr0, lr_decay, lr_decay_every, beta1, beta2, eps,
                curve_steps, curve, step_counter):
    """Train one network in place with Adam on the unmasked parameters only (theta must hold 0
    where mask is 0; a zero gradient leaves Adam's moments, and so the parameter, at exactly 0).
    With a mask of ones this is the lottery trainer's _train_one step for step (the same branches,
    tested equal). Returns True if the loss was not finite (training stops there)."""
    P = theta.shape[0]
    M = xT.shape[1]
    x_max = _x_max(xT)
    w = theta[: N * d].reshape((N, d))
    b = theta[N * d : N * d + N]
    v = theta[N * d + N : N * d + 2 * N]
    grad = np.zeros(P)
    m1 = np.zeros(P)
    m2 = np.zeros(P)
    f = np.empty(M)
    g = np.empty(M)
    z = np.empty(M)
    store = store or d != 1 or act != SILU
    keep = np.empty((N if store else 1, M))
    wide = not store and half > 0
    e = np.empty(N if wide else 1)
    keep_left = np.empty(N if wide else 1)
    keep_right = np.empty(N if wide else 1)
    scratch = np.empty((3, M))
    K = curve_steps.shape[0]
    ci = 0
    lr = lr0
    for t in range(steps):
        if t % 64 == 0:
            step_counter[0] = t
        if t > 0 and t % lr_decay_every == 0:
            lr *= lr_decay
        loss = _network_loss_and_grad(act, theta, w, b, v, N, d, xT, y, half, store, wide, x_max, grad, f, g, z, keep,
                                      e, keep_left, keep_right, scratch)
        while ci < K and curve_steps[ci] == t:
            curve[ci] = loss
            ci += 1
        if not np.isfinite(loss):
            for j in range(ci, K):
                curve[j] = loss
            step_counter[0] = steps
            return True
        _mask_gradient(grad, mask)
        _adam_update(theta, grad, m1, m2, lr, beta1, beta2, eps, t + 1)
    loss = _network_loss_and_grad(act, theta, w, b, v, N, d, xT, y, half, store, wide, x_max, grad, f, g, z, keep, e,
                                  keep_left, keep_right, scratch)
    for j in range(ci, K):
        curve[j] = loss
    step_counter[0] = steps
    return not np.isfinite(loss)


@njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def masked_batch(act, theta, masks, N, d, xT, y, half, store, steps, lr0, lr_decay, lr_decay_every, beta1, beta2, eps,
                 curve_steps, curve, diverged, steps_done):
    """_masked_one for every network s (theta, masks (S, P)), in parallel."""
    for s in prange(theta.shape[0]):
        diverged[s] = _masked_one(act, theta[s], masks[s], N, d, xT, y, half, store, steps, lr0, lr_decay,
                                  lr_decay_every, beta1, beta2, eps, curve_steps, curve[s], steps_done[s : s + 1])


# --- linearised (tangent-space) network -------------------------------------------------------


@njit(inline="always", **JIT)
def _act_and_slope(act, z):
    """(act(z), act'(z)) in the expressions of model.activation and model.activation_derivative."""
    if act == SILU:
        denom = 1.0 + np.exp(-z)
        s = 1.0 / denom
        return z / denom, s * (1.0 + z * (1.0 - s))
    if act == RELU:
        return max(z, 0.0), 1.0 if z > 0.0 else 0.0
    if act == LEAKY_RELU:
        return (z if z > 0.0 else LEAKY_SLOPE * z), (1.0 if z > 0.0 else LEAKY_SLOPE)
    t = np.tanh(z)
    return t, 1.0 - t * t


@njit(**JIT)
def _tangent_features(act, theta0, N, d, xT, h0, q, f0, z):
    """At theta0: h0[i, m] = act(z0_im) (= df/dv_i), q[i, m] = v0_i act'(z0_im) (= df/db_i;
    df/dw_ik = q x_k) and the network output f0 (c0 + sum_i v0_i h0_i)."""
    M = xT.shape[1]
    w0 = theta0[: N * d].reshape((N, d))
    b0 = theta0[N * d : N * d + N]
    v0 = theta0[N * d + N : N * d + 2 * N]
    for m in range(M):
        f0[m] = theta0[-1]
    for i in range(N):
        _preactivation(w0, b0, i, xT, z)
        vi = v0[i]
        for m in range(M):
            a, da = _act_and_slope(act, z[m])
            h0[i, m] = a
            q[i, m] = vi * da
            f0[m] = _fma(vi, a, f0[m])


@njit(**JIT)
def _linearised_loss_and_grad(dtheta, dw, db, dv, N, d, xT, y, h0, q, f0, f, g, z, gx, grad):
    """MSE of f_lin = f0 + J dtheta on the training set and (if finite) its gradient J^T dLoss/df."""
    M = xT.shape[1]
    dc = dtheta[-1]
    for m in range(M):
        f[m] = f0[m] + dc
    for i in range(N):
        hi = h0[i]
        qi = q[i]
        dvi = dv[i]
        if d == 1:
            dwi = dw[i, 0]
            dbi = db[i]
            for m in range(M):
                f[m] = _fma(dvi, hi[m], _fma(qi[m], _fma(dwi, xT[0, m], dbi), f[m]))
        else:
            _preactivation(dw, db, i, xT, z)  # z = dw_i . x + db_i
            for m in range(M):
                f[m] = _fma(dvi, hi[m], _fma(qi[m], z[m], f[m]))
    loss, gc = _loss_and_output_grad(f, y, g)
    if not np.isfinite(loss):
        return loss
    for k in range(d):
        for m in range(M):
            gx[k, m] = g[m] * xT[k, m]
    off_b = N * d
    off_v = off_b + N
    for i in range(N):
        qi = q[i]
        for k in range(d):
            grad[i * d + k] = _lane_dot(gx[k], qi, M)
        grad[off_b + i] = _lane_dot(g, qi, M)
        grad[off_v + i] = _lane_dot(g, h0[i], M)
    grad[off_v + N] = gc
    return loss


@njit(cache=True, error_model="numpy")
def _linearised_one(act, theta0, dtheta, N, d, xT, y, steps, lr0, lr_decay, lr_decay_every, beta1, beta2, eps,
                    curve_steps, curve, step_counter):
    """Train dtheta = theta - theta0 of one linearised network in place with Adam (the update of
    theta written on dtheta: the same in exact arithmetic, and a tiny movement stays exact).
    Returns True if the loss was not finite (training stops there)."""
    P = theta0.shape[0]
    M = xT.shape[1]
    h0 = np.empty((N, M))
    q = np.empty((N, M))
    f0 = np.empty(M)
    f = np.empty(M)
    g = np.empty(M)
    z = np.empty(M)
    gx = np.empty((d, M))
    grad = np.zeros(P)
    m1 = np.zeros(P)
    m2 = np.zeros(P)
    _tangent_features(act, theta0, N, d, xT, h0, q, f0, z)
    dw = dtheta[: N * d].reshape((N, d))
    db = dtheta[N * d : N * d + N]
    dv = dtheta[N * d + N : N * d + 2 * N]
    K = curve_steps.shape[0]
    ci = 0
    lr = lr0
    for t in range(steps):
        if t % 64 == 0:
            step_counter[0] = t
        if t > 0 and t % lr_decay_every == 0:
            lr *= lr_decay
        loss = _linearised_loss_and_grad(dtheta, dw, db, dv, N, d, xT, y, h0, q, f0, f, g, z, gx, grad)
        while ci < K and curve_steps[ci] == t:
            curve[ci] = loss
            ci += 1
        if not np.isfinite(loss):
            for j in range(ci, K):
                curve[j] = loss
            step_counter[0] = steps
            return True
        _adam_update(dtheta, grad, m1, m2, lr, beta1, beta2, eps, t + 1)
    loss = _linearised_loss_and_grad(dtheta, dw, db, dv, N, d, xT, y, h0, q, f0, f, g, z, gx, grad)
    for j in range(ci, K):
        curve[j] = loss
    step_counter[0] = steps
    return not np.isfinite(loss)


@njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def linearised_batch(act, theta0, dtheta, N, d, xT, y, steps, lr0, lr_decay, lr_decay_every, beta1, beta2, eps,
                     curve_steps, curve, diverged, steps_done):
    """_linearised_one for every network s (theta0, dtheta (S, P)), in parallel."""
    for s in prange(theta0.shape[0]):
        diverged[s] = _linearised_one(act, theta0[s], dtheta[s], N, d, xT, y, steps, lr0, lr_decay, lr_decay_every,
                                      beta1, beta2, eps, curve_steps, curve[s], steps_done[s : s + 1])
