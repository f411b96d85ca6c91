"""Numba kernels of the race trainer (private: call `studies.race.trainer.train_runs`).

Network: h = relu(W x + b) (d neurons), logits z = V h + c (2 outputs), softmax +
cross-entropy, mean over the mini-batch (PyTorch's CrossEntropyLoss default). ReLU's
derivative is 1 where the pre-activation is > 0 and 0 elsewhere (z = 0 included), as in
PyTorch.

Optimiser: SGD with momentum in PyTorch semantics (dampening 0, no Nesterov, no weight
decay): buf = mu * buf + grad; p = p - lr * buf, every parameter (W, b, V, c). PyTorch's
first step sets buf = grad; starting from buf = 0 gives the same numbers (0 * mu + g = g).
All gradients of a step are computed from the parameters before the step, then all
parameters are updated.

Epochs: the training set is visited in a fresh permutation each epoch, in batches of
`batch` consecutive permuted samples (the last batch of an epoch is smaller when batch
does not divide n, as in a DataLoader with drop_last=False). The permutation of epoch e
of the run with seed s depends only on (s, e): Fisher-Yates driven by splitmix64 on a
counter (`epoch_permutation`), the random index j in [0, i] taken as the high 32 bits
of (32 random bits) * (i + 1) (bias < n / 2^32, irrelevant here). No random state is
shared between runs, so a run gives bitwise the same numbers for any thread count.

Two exact forms of the first layer:
- direct: W (d x D) and its momentum buffer are updated every step (cost ~ d D per
  sample); an optional 0/1 mask of W and of V (IMP) multiplies the gradients, so masked
  weights and their momentum stay at their (zero) initial value.
- span (n < D, no mask): W = W0 + A X with A (d x n), X the n x D training inputs. The
  gradient of W is sum_s g_s x_s^T, so W - W0 and its momentum buffer stay in the row
  span of X; SGD with momentum on W is exactly SGD with momentum on A with the gradient
  dL/dA[:, s] = g_s (the same buffer algebra, B = mu B + dA, A = A - lr B). Pre-activations
  of training inputs are P0 + A G with P0 = W0 X^T and G = X X^T (cost ~ d n per sample).
  Equal to the direct form up to rounding (tested).

Stopping: the full training cross-entropy is evaluated in float64 at the end of every
epoch; the run stops when it is below `loss_threshold` or after `max_epochs` epochs. A
non-finite loss marks the run diverged and stops it (other runs go on).

Checkpoints (optimiser steps given by the caller, plus the stop step): per-neuron
quantities and train/test loss and accuracy, all in float64 from a float64 copy of the
parameters (`_checkpoint`). Snapshots of (W, b, V, c): 0 init, 1 early (first checkpoint
with >= align_frac of the live neurons at |cos(v_i, (1, -1))| >= align_cos), 2 before the drop
(last checkpoint with training loss >= drop_frac * ln 2), 3 the end.

Per-neuron alignment at a checkpoint (App. D of the paper, with the neuron's own gate):
gate_s = [w_i . x_s + b_i > 0] on the training inputs; signed target
t_i = sgn(v_i1 - v_i2) * sum_s gate_s y_s x_s with y_s = +1 for class 1 and -1 for class 2
(the direction -dL/dw_i points to while p ~ (1/2, 1/2): a neuron whose v_i favours class 1
moves w_i towards class-1 inputs). angle_i = arccos(w_i . t_i / (|w_i| |t_i|)) in degrees,
NaN when no input passes the gate (t_i = 0) or w_i = 0. cos_v_i = (v_i1 - v_i2) /
(sqrt(2) |v_i|). n_eff_i = sum_s gate_s. "Live" neurons have n_eff_i > 0: a neuron that no
training input passes gets no gradient at all and can never align (on digits with
sigma = 1e-5 about 5-7% of the neurons are such), so the "early" rule counts the live
neurons only; with all neurons in the denominator 90% is never reached there (measured
plateau 87%). Accuracy counts argmax, ties to class 1 (output 0).

Speed: fastmath (reassociation, FMA contraction; not nnan/ninf, so divergence is still
seen) lets the dot products vectorise; results depend on the machine's vector width but
not on the thread count. All scratch memory is allocated once per run, before the step loop.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

FASTMATH = {"reassoc", "contract", "arcp", "nsz"}
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_SHUFFLE_TAG = np.uint64(0x53485546464C4531)  # "SHUFFLE1"
_LN2 = math.log(2.0)

SNAP_INIT, SNAP_EARLY, SNAP_BEFORE_DROP, SNAP_END = 0, 1, 2, 3


@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def _fill_permutation(perm, seed, epoch):
    n = perm.shape[0]
    for i in range(n):
        perm[i] = i
    state = _mix(_mix(np.uint64(seed) ^ _SHUFFLE_TAG) + np.uint64(epoch) * _GOLDEN)
    for i in range(n - 1, 0, -1):
        state += _GOLDEN
        r = _mix(state) >> np.uint64(32)
        j = np.int64((r * np.uint64(i + 1)) >> np.uint64(32))
        t = perm[i]
        perm[i] = perm[j]
        perm[j] = t


@njit(cache=True)
def epoch_permutation(seed, epoch, n):
    """The order in which run `seed` visits the n training samples in epoch `epoch`."""
    perm = np.empty(n, np.int64)
    _fill_permutation(perm, seed, epoch)
    return perm


@njit(cache=True, inline="always")
def _softplus(u):
    # log(1 + exp(u)), stable for any u
    if u > 0:
        return u + math.log1p(math.exp(-u))
    return math.log1p(math.exp(u))


@njit(cache=True, fastmath=FASTMATH)
def _eval_direct(W, b, V, c, X, Y):
    """Mean cross-entropy and accuracy in float64 (W.. may be float32).

    Samples go in blocks of 8, neuron-major inside a block, so each row of W is read from
    memory once per block instead of once per sample (every sample's sums keep their order,
    so the numbers are those of the sample-by-sample loop)."""
    n, D = X.shape
    d = W.shape[0]
    loss = 0.0
    hits = 0
    SB = 8
    L = np.empty((SB, 2))
    for s0 in range(0, n, SB):
        nb = min(SB, n - s0)
        for q in range(nb):
            L[q, 0] = np.float64(c[0])
            L[q, 1] = np.float64(c[1])
        for i in range(d):
            for q in range(nb):
                z = np.float64(b[i])
                for j in range(D):
                    z += np.float64(W[i, j]) * X[s0 + q, j]
                if z > 0.0:
                    L[q, 0] += np.float64(V[0, i]) * z
                    L[q, 1] += np.float64(V[1, i]) * z
        for q in range(nb):
            l0 = L[q, 0]
            l1 = L[q, 1]
            if Y[s0 + q] == 0:
                loss += _softplus(l1 - l0)
                if l0 >= l1:
                    hits += 1
            else:
                loss += _softplus(l0 - l1)
                if l1 > l0:
                    hits += 1
    return loss / n, hits / n


@njit(cache=True, fastmath=FASTMATH)
def _eval_span(A, b, V, c, P0, G, Y):
    """Training loss/accuracy in float64 from W = W0 + A X: pre-activation P0[:, s] + A G[s, :] (G is symmetric; rows are contiguous)."""
    d, n = A.shape
    loss = 0.0
    hits = 0
    for s in range(n):
        l0 = np.float64(c[0])
        l1 = np.float64(c[1])
        for i in range(d):
            z = np.float64(b[i]) + P0[i, s]
            for t in range(n):
                z += np.float64(A[i, t]) * G[s, t]
            if z > 0.0:
                l0 += np.float64(V[0, i]) * z
                l1 += np.float64(V[1, i]) * z
        if Y[s] == 0:
            loss += _softplus(l1 - l0)
            if l0 >= l1:
                hits += 1
        else:
            loss += _softplus(l0 - l1)
            if l1 > l0:
                hits += 1
    return loss / n, hits / n


@njit(cache=True, fastmath=FASTMATH)
def _checkpoint(Wc, bc, Vc, cc, X, Y, Xt, Yt, T, out_neuron, k, align_cos):
    """Per-neuron quantities into out_neuron[:, k, :] (rows: |w|, |v|, b, n_eff, cos_v, angle).

    Returns (train loss, train acc, test loss, test acc, fraction of the live neurons
    (n_eff > 0) whose |cos_v| >= align_cos).
    Wc.. are float64 copies; T is a float64 (d, D) scratch for the target vectors."""
    d, D = Wc.shape
    n = X.shape[0]
    T[:, :] = 0.0
    neff = np.zeros(d)
    loss = 0.0
    hits = 0
    # samples in blocks of 8, neuron-major inside a block (rows of Wc and T stay in L1 for the
    # block); every sum keeps its order, so the numbers are those of a sample-by-sample loop
    SB = 8
    L = np.empty((SB, 2))
    for s0 in range(0, n, SB):
        nb = min(SB, n - s0)
        for q in range(nb):
            L[q, 0] = cc[0]
            L[q, 1] = cc[1]
        for i in range(d):
            for q in range(nb):
                s = s0 + q
                z = bc[i]
                for j in range(D):
                    z += Wc[i, j] * X[s, j]
                if z > 0.0:
                    L[q, 0] += Vc[0, i] * z
                    L[q, 1] += Vc[1, i] * z
                    neff[i] += 1.0
                    ysg = 1.0 if Y[s] == 0 else -1.0
                    for j in range(D):
                        T[i, j] += ysg * X[s, j]
        for q in range(nb):
            l0 = L[q, 0]
            l1 = L[q, 1]
            if Y[s0 + q] == 0:
                loss += _softplus(l1 - l0)
                if l0 >= l1:
                    hits += 1
            else:
                loss += _softplus(l0 - l1)
                if l1 > l0:
                    hits += 1
    aligned = 0
    live = 0
    for i in range(d):
        wn = 0.0
        tn = 0.0
        wt = 0.0
        for j in range(D):
            wn += Wc[i, j] * Wc[i, j]
            tn += T[i, j] * T[i, j]
            wt += Wc[i, j] * T[i, j]
        wn = math.sqrt(wn)
        tn = math.sqrt(tn)
        vd = Vc[0, i] - Vc[1, i]
        vn = math.sqrt(Vc[0, i] * Vc[0, i] + Vc[1, i] * Vc[1, i])
        cosv = vd / (math.sqrt(2.0) * vn) if vn > 0 else math.nan
        sg = 1.0 if vd >= 0 else -1.0
        if wn > 0 and tn > 0:
            cw = sg * wt / (wn * tn)
            cw = min(1.0, max(-1.0, cw))
            ang = math.degrees(math.acos(cw))
        else:
            ang = math.nan
        out_neuron[0, k, i] = wn
        out_neuron[1, k, i] = vn
        out_neuron[2, k, i] = bc[i]
        out_neuron[3, k, i] = neff[i]
        out_neuron[4, k, i] = cosv
        out_neuron[5, k, i] = ang
        if neff[i] > 0:
            live += 1
            if abs(cosv) >= align_cos:
                aligned += 1
    tl, ta = _eval_direct(Wc, bc, Vc, cc, Xt, Yt)
    return loss / n, hits / n, tl, ta, aligned / max(live, 1)


@njit(cache=True, fastmath=FASTMATH)
def _run(r, seed, span, Xtr, X64, Y, Xt64, Yt, G, G64, W0, V0, mask_w, mask_v, use_mask,
         lr, mu, inv_tab, batch, max_epochs, loss_threshold, ckpt_steps, align_cos, align_frac, drop_loss,
         out_W, out_b, out_V, out_c, snap_W, snap_b, snap_V, snap_c, snap_step,
         out_neuron, out_run, out_ckpt_step, out_status):
    n, D = Xtr.shape
    d = W0.shape[0]
    dt = Xtr.dtype
    one = lr / lr  # 1 and 0 in the training dtype (lr arrives as a scalar of that dtype)
    zero = lr - lr
    # --- state (allocated once per run) ---
    b = np.zeros(d, dt)
    bufb = np.zeros(d, dt)
    V = V0.copy()
    if use_mask:
        for i in range(d):
            V[0, i] *= mask_v[0, i]
            V[1, i] *= mask_v[1, i]
    bufV = np.zeros((2, d), dt)
    c = np.zeros(2, dt)
    bufc = np.zeros(2, dt)
    if span:
        W = np.zeros((1, 1), dt)
        bufW = np.zeros((1, 1), dt)
        A = np.zeros((d, n), dt)
        bufA = np.zeros((d, n), dt)
        P064 = np.zeros((d, n))
        for i in range(d):
            for s in range(n):
                acc = 0.0
                for j in range(D):
                    acc += np.float64(W0[i, j]) * X64[s, j]
                P064[i, s] = acc
        P0 = P064.astype(dt)
    else:
        W = W0.copy()
        if use_mask:
            for i in range(d):
                for j in range(D):
                    W[i, j] *= mask_w[i, j]
        bufW = np.zeros((d, D), dt)
        A = np.zeros((1, 1), dt)
        bufA = np.zeros((1, 1), dt)
        P064 = np.zeros((1, 1))
        P0 = np.zeros((1, 1), dt)
    # --- scratch ---
    perm = np.empty(n, np.int64)
    Z = np.empty((batch, d), dt)
    GZ = np.empty((batch, 2), dt)
    L = np.empty((batch, 2), dt)
    GH = np.empty((batch, d), dt)
    grow = np.empty(D, dt)
    idx = np.empty(batch, np.int64)
    Wc = np.empty((d, D))
    bc = np.empty(d)
    Vc = np.empty((2, d))
    cc = np.empty(2)
    T = np.empty((d, D))
    # --- checkpoint helper state ---
    K = ckpt_steps.shape[0]
    k = 0  # next scheduled checkpoint
    kout = 0  # next output slot
    early_done = False
    step = 0
    epoch = 0
    status = 0  # 0 cap reached, 1 converged, 2 diverged
    last_ckpt = -1

    # checkpoint at step 0 (the initial network) is always taken
    while k < K and ckpt_steps[k] <= 0:
        k += 1
    _materialise(span, W, A, W0, Xtr, X64, b, V, c, Wc, bc, Vc, cc)
    res = _checkpoint(Wc, bc, Vc, cc, X64, Y, Xt64, Yt, T, out_neuron[r], kout, align_cos)
    _store_ckpt(r, kout, step, res, out_run, out_ckpt_step)
    _snapshots(r, step, res, early_done, drop_loss, align_frac, Wc, bc, Vc, cc, snap_W, snap_b, snap_V, snap_c, snap_step)
    if res[4] >= align_frac:
        early_done = True
    kout += 1
    last_ckpt = 0
    for epoch in range(max_epochs):
        _fill_permutation(perm, seed, epoch)
        pos = 0
        while pos < n:
            bsz = min(batch, n - pos)
            for kk in range(bsz):
                idx[kk] = perm[pos + kk]
            pos += bsz
            inv = inv_tab[bsz]
            # forward: neuron-major, so each row of W (or A) is read from memory once per step
            # and reused from L1 for every sample of the batch (the same sums in the same order
            # as sample-major, so the same numbers)
            for kk in range(bsz):
                L[kk, 0] = c[0]
                L[kk, 1] = c[1]
            for i in range(d):
                for kk in range(bsz):
                    s = idx[kk]
                    if span:
                        z = b[i] + P0[i, s]
                        for t in range(n):
                            z += A[i, t] * G[s, t]
                    else:
                        z = b[i]
                        for j in range(D):
                            z += W[i, j] * Xtr[s, j]
                    Z[kk, i] = z
                    if z > zero:
                        L[kk, 0] += V[0, i] * z
                        L[kk, 1] += V[1, i] * z
            for kk in range(bsz):
                s = idx[kk]
                l0 = L[kk, 0]
                l1 = L[kk, 1]
                m = max(l0, l1)
                e0 = math.exp(l0 - m)
                e1 = math.exp(l1 - m)
                ssum = e0 + e1
                p0 = e0 / ssum
                p1 = e1 / ssum
                if Y[s] == 0:
                    GZ[kk, 0] = (p0 - one) * inv
                    GZ[kk, 1] = p1 * inv
                else:
                    GZ[kk, 0] = p0 * inv
                    GZ[kk, 1] = (p1 - one) * inv
            # backward to hidden (uses V before the update)
            for kk in range(bsz):
                for i in range(d):
                    if Z[kk, i] > zero:
                        GH[kk, i] = V[0, i] * GZ[kk, 0] + V[1, i] * GZ[kk, 1]
                    else:
                        GH[kk, i] = zero
            # output layer and biases
            for o in range(2):
                gc = zero
                for kk in range(bsz):
                    gc += GZ[kk, o]
                bufc[o] = mu * bufc[o] + gc
                c[o] -= lr * bufc[o]
                for i in range(d):
                    gv = zero
                    for kk in range(bsz):
                        z = Z[kk, i]
                        if z > zero:
                            gv += GZ[kk, o] * z
                    if use_mask:
                        gv *= mask_v[o, i]
                    bufV[o, i] = mu * bufV[o, i] + gv
                    V[o, i] -= lr * bufV[o, i]
            for i in range(d):
                gb = zero
                for kk in range(bsz):
                    gb += GH[kk, i]
                bufb[i] = mu * bufb[i] + gb
                b[i] -= lr * bufb[i]
            # first layer
            if span:
                for i in range(d):
                    for t in range(n):
                        bufA[i, t] = mu * bufA[i, t]
                    for kk in range(bsz):
                        bufA[i, idx[kk]] += GH[kk, i]
                    for t in range(n):
                        A[i, t] -= lr * bufA[i, t]
            else:
                for i in range(d):
                    for j in range(D):
                        grow[j] = zero
                    for kk in range(bsz):
                        g = GH[kk, i]
                        if g != zero:
                            s = idx[kk]
                            for j in range(D):
                                grow[j] += g * Xtr[s, j]
                    if use_mask:
                        for j in range(D):
                            bufW[i, j] = mu * bufW[i, j] + grow[j] * mask_w[i, j]
                            W[i, j] -= lr * bufW[i, j]
                    else:
                        for j in range(D):
                            bufW[i, j] = mu * bufW[i, j] + grow[j]
                            W[i, j] -= lr * bufW[i, j]
            step += 1
            if k < K and ckpt_steps[k] == step:
                while k < K and ckpt_steps[k] <= step:
                    k += 1
                _materialise(span, W, A, W0, Xtr, X64, b, V, c, Wc, bc, Vc, cc)
                res = _checkpoint(Wc, bc, Vc, cc, X64, Y, Xt64, Yt, T, out_neuron[r], kout, align_cos)
                _store_ckpt(r, kout, step, res, out_run, out_ckpt_step)
                _snapshots(r, step, res, early_done, drop_loss, align_frac, Wc, bc, Vc, cc, snap_W, snap_b, snap_V, snap_c, snap_step)
                if res[4] >= align_frac:
                    early_done = True
                kout += 1
                last_ckpt = step
        # end of epoch: full training loss in float64
        if span:
            loss, _ = _eval_span(A, b, V, c, P064, G64, Y)
        else:
            loss, _ = _eval_direct(W, b, V, c, X64, Y)
        out_status[r, 2] = epoch + 1
        if not math.isfinite(loss):
            status = 2
            break
        if loss < loss_threshold:
            status = 1
            break
    # final checkpoint (the stop step) and end snapshot
    _materialise(span, W, A, W0, Xtr, X64, b, V, c, Wc, bc, Vc, cc)
    if last_ckpt != step:
        res = _checkpoint(Wc, bc, Vc, cc, X64, Y, Xt64, Yt, T, out_neuron[r], kout, align_cos)
        _store_ckpt(r, kout, step, res, out_run, out_ckpt_step)
        _snapshots(r, step, res, early_done, drop_loss, align_frac, Wc, bc, Vc, cc, snap_W, snap_b, snap_V, snap_c, snap_step)
        kout += 1
    _copy_snap(r, SNAP_END, step, Wc, bc, Vc, cc, snap_W, snap_b, snap_V, snap_c, snap_step)
    out_W[r] = Wc
    out_b[r] = bc
    out_V[r] = Vc
    out_c[r] = cc
    out_status[r, 0] = status
    out_status[r, 1] = step
    out_status[r, 3] = kout


@njit(cache=True, fastmath=FASTMATH)
def _materialise(span, W, A, W0, Xtr, X64, b, V, c, Wc, bc, Vc, cc):
    d = Wc.shape[0]
    D = Wc.shape[1]
    if span:
        n = A.shape[1]
        for i in range(d):
            for j in range(D):
                Wc[i, j] = np.float64(W0[i, j])
            for t in range(n):
                a = np.float64(A[i, t])
                for j in range(D):
                    Wc[i, j] += a * X64[t, j]
    else:
        for i in range(d):
            for j in range(D):
                Wc[i, j] = np.float64(W[i, j])
    for i in range(d):
        bc[i] = np.float64(b[i])
        Vc[0, i] = np.float64(V[0, i])
        Vc[1, i] = np.float64(V[1, i])
    cc[0] = np.float64(c[0])
    cc[1] = np.float64(c[1])


@njit(cache=True)
def _store_ckpt(r, k, step, res, out_run, out_ckpt_step):
    out_ckpt_step[r, k] = step
    for q in range(5):
        out_run[r, k, q] = res[q]


@njit(cache=True)
def _copy_snap(r, which, step, Wc, bc, Vc, cc, snap_W, snap_b, snap_V, snap_c, snap_step):
    snap_W[r, which] = Wc
    snap_b[r, which] = bc
    snap_V[r, which] = Vc
    snap_c[r, which] = cc
    snap_step[r, which] = step


@njit(cache=True)
def _snapshots(r, step, res, early_done, drop_loss, align_frac, Wc, bc, Vc, cc, snap_W, snap_b, snap_V, snap_c, snap_step):
    if step == 0:
        _copy_snap(r, SNAP_INIT, step, Wc, bc, Vc, cc, snap_W, snap_b, snap_V, snap_c, snap_step)
    if (not early_done) and res[4] >= align_frac:
        _copy_snap(r, SNAP_EARLY, step, Wc, bc, Vc, cc, snap_W, snap_b, snap_V, snap_c, snap_step)
    if res[0] >= drop_loss:
        _copy_snap(r, SNAP_BEFORE_DROP, step, Wc, bc, Vc, cc, snap_W, snap_b, snap_V, snap_c, snap_step)


@njit(cache=True, parallel=True)
def train_all(seeds, span, Xtr, X64, Y, Xt64, Yt, G, G64, W0s, V0s, mask_w, mask_v, use_mask,
              lr, mu, inv_tab, batch, max_epochs, loss_threshold, ckpt_steps, align_cos, align_frac, drop_loss,
              out_W, out_b, out_V, out_c, snap_W, snap_b, snap_V, snap_c, snap_step,
              out_neuron, out_run, out_ckpt_step, out_status):
    """One run per prange iteration (one thread trains a run start to finish)."""
    for r in prange(seeds.shape[0]):
        _run(r, seeds[r], span, Xtr, X64, Y, Xt64, Yt, G, G64, W0s[r], V0s[r], mask_w[r], mask_v[r], use_mask,
             lr, mu, inv_tab, batch, max_epochs, loss_threshold, ckpt_steps, align_cos, align_frac, drop_loss,
             out_W, out_b, out_V, out_c, snap_W, snap_b, snap_V, snap_c, snap_step,
             out_neuron, out_run, out_ckpt_step, out_status)
