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
so `_exp` is a branch-free exp (Cody-Waite range reduction, Taylor polynomial in Horner
form with explicit fused multiply-adds, exponent built by a bit cast) that LLVM can
vectorise, in a float64 and a float32 version (see `_exp`).

Same numbers whatever the compilation (issue 12): no fast-math flags. numba optimises a
callee once in its own module and again inside each caller's module (where it is linked
in and may be inlined); with 'reassoc' and 'contract' the two copies can vectorise sums
and fuse multiplies and adds differently, and so round differently. When the kernels
are compiled fresh, the process's JIT resolves a caller's call to the callee's own copy
(that symbol was defined first); code loaded from the cache runs the copy inside the
caller's object code. So a fresh and a cached run computed different networks (issue 12:
6 of 8 float32 seeds, 3e-10 relative in float64). Without value-changing flags every
operation is rounded as written and every copy computes the same bits:
- fused multiply-adds are explicit (`_fma`, llvm.fma: one rounding, on every machine);
- sums over samples or neurons are written as LLVM vector code (`_lane_sum`,
  `_lane_dot`, `_residual_sums`, `_kept_sums_*`, `_silu_out_sums`): fixed lanes (16
  float32 or 8 float64, one 512-bit register), four accumulators, a fixed pairwise
  combination at the end. numba-compiled loops cannot vectorise a sum without letting
  LLVM re-associate it (and the order would then depend on what LLVM chose). The order
  is part of the source, so results do not depend on AVX2 vs AVX-512 either.
float32 networks compute in float32 throughout (a float32 exp, float32 constants, the
paired-sigmoid limit of float32's exp range); only the loss (which decides divergence and
is reported) is summed in float64, and Adam's per-step bias corrections are computed in
float64 as in torch. tests/test_exp.py checks the float32 kernels' LLVM IR for float64.
error_model="numpy" drops the ZeroDivisionError check that keeps a division from vectorising.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

# Kept for the benchmarks (they compile loops with the kernels' flags): none, see above.
FASTMATH = False
JIT = dict(cache=True, error_model="numpy")

SILU, RELU, LEAKY_RELU, TANH = 0, 1, 2, 3
ACTIVATION_CODES = {"silu": SILU, "relu": RELU, "leaky_relu": LEAKY_RELU, "tanh": TANH}
LEAKY_SLOPE = 0.01

# Lanes of the partial sums of a reduction: one 512-bit register (16 float32, 8 float64),
# four such accumulators in flight (see _lane_sum).
_LANES_BY_SIZE = {4: 16, 8: 8}  # by element size in bytes

# float64 exp: clamp, round(x / ln2) by the 1.5 * 2^52 shift, k ln2 in two parts.
_LOG2E = 1.4426950408889634
_SHIFT64 = 6755399441055744.0 + 1023.0  # 1.5 * 2^52 + exponent bias
_LN2_HI = 6.93147180369123816490e-01  # few mantissa bits: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
# float32 exp: the same with float32 constants and a degree-7 Taylor polynomial
_F32_LOG2E = np.float32(1.4426950408889634)
_F32_SHIFT = np.float32(12582912.0 + 127.0)  # 1.5 * 2^23 + exponent bias
_F32_LN2_HI = np.float32(0.693145751953125)  # 0x3f317200: k * _F32_LN2_HI is exact for |k| < 256
_F32_LN2_LO = np.float32(1.428606765330187e-06)
_F32_LO = np.float32(-87.0)  # exp(-87) is still a normal float32
_F32_HI = np.float32(88.0)
_F32_C = tuple(np.float32(1.0 / f) for f in (5040.0, 720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0))
# |w x| + |b| below which exp(|w x| + |b|) is finite (the paired sigmoid form)
_PAIR_LIMIT64 = 600.0
_PAIR_LIMIT32 = np.float32(80.0)


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c rounded once (llvm.fma); all three of one float type, so nothing is promoted."""
    if not (isinstance(a, types.Float) and a == b and b == c):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return a(a, b, c), codegen


@intrinsic
def _shifted_to_pow2(typingctx, kd):
    """2^k from kd = k + bias + 1.5 * 2^p (p mantissa bits): the low mantissa bits of kd,
    shifted into the exponent field."""
    if kd == types.float64:
        ity, bits = ir.IntType(64), 52
    elif kd == types.float32:
        ity, bits = ir.IntType(32), 23
    else:
        return None

    def codegen(context, builder, signature, args):
        as_int = builder.bitcast(args[0], ity)
        return builder.bitcast(builder.shl(as_int, ir.Constant(ity, bits)), args[0].type)

    return kd(kd), codegen


def _lane_codegen(dtype, dot):
    """LLVM code of _lane_sum (dot=False: sum of a[:n]) or _lane_dot (a[:n] . b[:n])."""

    def codegen(context, builder, signature, args):
        arrays = [context.make_array(signature.args[j])(context, builder, args[j]) for j in range(2 if dot else 1)]
        fty = context.get_data_type(dtype)
        size = fty.get_abi_size(context.target_data)
        LANES = _LANES_BY_SIZE[size]
        i64 = ir.IntType(64)
        i32 = ir.IntType(32)
        vty = ir.VectorType(fty, LANES)
        datas = [builder.bitcast(ary.data, fty.as_pointer()) for ary in arrays]
        count = context.cast(builder, args[-1], signature.args[-1], types.int64)
        count = builder.select(builder.icmp_signed("<", count, i64(0)), i64(0), count)
        zero = ir.Constant(vty, None)
        suffix = "v%df%d" % (LANES, 8 * size)
        mask_ty = ir.VectorType(ir.IntType(1), LANES)
        masked_type = ir.FunctionType(vty, [vty.as_pointer(), i32, mask_ty, vty])
        masked_load = cgutils.get_or_insert_function(builder.module, masked_type, "llvm.masked.load.%s.p0" % suffix)
        fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vty, [vty] * 3), "llvm.fma." + suffix)

        def accumulate(acc, offset, mask=None):  # acc + the LANES elements from offset
            parts = []
            for data in datas:
                ptr = builder.bitcast(builder.gep(data, [offset]), vty.as_pointer())
                if mask is None:
                    parts.append(builder.load(ptr, align=size))
                else:
                    parts.append(builder.call(masked_load, [ptr, i32(size), mask, zero]))
            if dot:
                return builder.call(fma, [parts[0], parts[1], acc])
            return builder.fadd(acc, parts[0])

        # groups of 4 blocks, 4 accumulators
        groups = builder.udiv(count, i64(4 * LANES))
        entry = builder.block
        loop = builder.append_basic_block("lanes.groups")
        after = builder.append_basic_block("lanes.groups_done")
        builder.cbranch(builder.icmp_unsigned(">", groups, i64(0)), loop, after)
        builder.position_at_end(loop)
        k = builder.phi(i64)
        accs = [builder.phi(vty) for _ in range(4)]
        nexts = [accumulate(accs[u], builder.mul(builder.add(builder.mul(k, i64(4)), i64(u)), i64(LANES))) for u in range(4)]
        k_next = builder.add(k, i64(1))
        k.add_incoming(i64(0), entry)
        k.add_incoming(k_next, loop)
        for a, nx in zip(accs, nexts):
            a.add_incoming(zero, entry)
            a.add_incoming(nx, loop)
        builder.cbranch(builder.icmp_unsigned("<", k_next, groups), loop, after)
        builder.position_at_end(after)
        done = []
        for nx in nexts:
            ph = builder.phi(vty)
            ph.add_incoming(zero, entry)
            ph.add_incoming(nx, loop)
            done.append(ph)
        # remaining whole blocks (at most 3), then the last count % LANES elements, into
        # accumulator 0, by masked loads (lanes past the end are not read)
        lane_ids = ir.Constant(ir.VectorType(i64, LANES), list(range(LANES)))
        acc0 = done[0]
        start = builder.mul(groups, i64(4 * LANES))
        for u in range(4):
            offset = builder.add(start, i64(u * LANES))
            left = builder.select(builder.icmp_unsigned("<", offset, count), builder.sub(count, offset), i64(0))
            left_vec = builder.insert_element(ir.Constant(ir.VectorType(i64, LANES), None), left, i64(0))
            left_vec = builder.shuffle_vector(left_vec, left_vec, ir.Constant(ir.VectorType(i32, LANES), [0] * LANES))
            mask = builder.icmp_unsigned("<", lane_ids, left_vec)
            acc0 = builder.select(builder.icmp_unsigned(">", left, i64(0)), accumulate(acc0, offset, mask), acc0)
        total = builder.fadd(builder.fadd(acc0, done[1]), builder.fadd(done[2], done[3]))
        width = LANES
        while width > 1:  # lanes j and j + width/2 for j < width/2
            width //= 2
            low = builder.shuffle_vector(total, total, ir.Constant(ir.VectorType(i32, width), list(range(width))))
            high = builder.shuffle_vector(total, total, ir.Constant(ir.VectorType(i32, width), list(range(width, 2 * width))))
            total = builder.fadd(low, high)
        return builder.extract_element(total, i64(0))

    return codegen


def _kept_sums_codegen(act):
    """LLVM vector code of _kept_sums for one activation (see there)."""

    def codegen(context, builder, signature, args):
        x_ty, g_ty, k_ty = signature.args[:3]
        dtype = x_ty.dtype
        fty = context.get_data_type(dtype)
        size = fty.get_abi_size(context.target_data)
        LANES = _LANES_BY_SIZE[size]
        i64 = ir.IntType(64)
        i32 = ir.IntType(32)
        vty = ir.VectorType(fty, LANES)
        datas = [builder.bitcast(context.make_array(t)(context, builder, a).data, fty.as_pointer())
                 for t, a in zip((x_ty, g_ty, k_ty), args[:3])]
        x_len = context.make_array(x_ty)(context, builder, args[0]).shape
        count = builder.extract_value(x_len, 0)

        def splat(value):
            vec = builder.insert_element(ir.Constant(vty, None), value, i64(0))
            return builder.shuffle_vector(vec, vec, ir.Constant(ir.VectorType(i32, LANES), [0] * LANES))

        wi, bi = splat(args[3]), splat(args[4])
        one = ir.Constant(vty, [1.0] * LANES)
        zero = ir.Constant(vty, None)
        slope = ir.Constant(vty, [float(np.dtype(str(dtype)).type(LEAKY_SLOPE))] * LANES)
        suffix = "v%df%d" % (LANES, 8 * size)
        mask_ty = ir.VectorType(ir.IntType(1), LANES)
        masked_load = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(vty, [vty.as_pointer(), i32, mask_ty, vty]), "llvm.masked.load.%s.p0" % suffix)
        fma_fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vty, [vty] * 3), "llvm.fma." + suffix)
        tanh_free = act != TANH

        def fma(a, b, c):
            return builder.call(fma_fn, [a, b, c])

        def terms(xv, gv, kv):  # (dLoss/dv_i, dLoss/dz / v_i) per lane, as _grad_terms
            z = fma(wi, xv, bi)
            if act == SILU:
                return builder.fmul(gv, builder.fmul(z, kv)), builder.fmul(gv, builder.fmul(kv, fma(z, builder.fsub(one, kv), one)))
            if act == RELU:
                pos = builder.fcmp_ordered(">", z, zero)
                return builder.fmul(gv, builder.select(pos, z, zero)), builder.select(pos, gv, zero)
            if act == LEAKY_RELU:
                pos = builder.fcmp_ordered(">", z, zero)
                return (builder.fmul(gv, builder.select(pos, z, builder.fmul(slope, z))),
                        builder.select(pos, gv, builder.fmul(slope, gv)))
            return builder.fmul(gv, kv), builder.fmul(gv, builder.fsub(one, builder.fmul(kv, kv)))

        def step(accs, offset, mask=None):  # accs (v, b, w) + the LANES samples from offset
            loaded = []
            for data in datas:
                ptr = builder.bitcast(builder.gep(data, [offset]), vty.as_pointer())
                if mask is None:
                    loaded.append(builder.load(ptr, align=size))
                else:
                    loaded.append(builder.call(masked_load, [ptr, i32(size), mask, zero]))
            xv, gv, kv = loaded
            tv, dz = terms(xv, gv, kv)
            new = (builder.fadd(accs[0], tv), builder.fadd(accs[1], dz), fma(dz, xv, accs[2]))
            if mask is None:
                return new
            return tuple(builder.select(mask, n, a) for n, a in zip(new, accs))

        groups = builder.udiv(count, i64(4 * LANES))
        entry = builder.block
        loop = builder.append_basic_block("kept.groups")
        after = builder.append_basic_block("kept.groups_done")
        builder.cbranch(builder.icmp_unsigned(">", groups, i64(0)), loop, after)
        builder.position_at_end(loop)
        k = builder.phi(i64)
        phis = [[builder.phi(vty) for _ in range(3)] for _ in range(4)]
        nexts = [step(phis[u], builder.mul(builder.add(builder.mul(k, i64(4)), i64(u)), i64(LANES))) for u in range(4)]
        k_next = builder.add(k, i64(1))
        k.add_incoming(i64(0), entry)
        k.add_incoming(k_next, loop)
        for u in range(4):
            for q in range(3):
                phis[u][q].add_incoming(zero, entry)
                phis[u][q].add_incoming(nexts[u][q], loop)
        builder.cbranch(builder.icmp_unsigned("<", k_next, groups), loop, after)
        builder.position_at_end(after)
        done = []
        for u in range(4):
            row = []
            for q in range(3):
                ph = builder.phi(vty)
                ph.add_incoming(zero, entry)
                ph.add_incoming(nexts[u][q], loop)
                row.append(ph)
            done.append(row)
        lane_ids = ir.Constant(ir.VectorType(i64, LANES), list(range(LANES)))
        acc0 = tuple(done[0])
        start = builder.mul(groups, i64(4 * LANES))
        for u in range(4):  # the rest, a block of LANES at a time, into accumulator 0
            offset = builder.add(start, i64(u * LANES))
            left = builder.select(builder.icmp_unsigned("<", offset, count), builder.sub(count, offset), i64(0))
            left_vec = builder.insert_element(ir.Constant(ir.VectorType(i64, LANES), None), left, i64(0))
            left_vec = builder.shuffle_vector(left_vec, left_vec, ir.Constant(ir.VectorType(i32, LANES), [0] * LANES))
            acc0 = step(acc0, offset, builder.icmp_unsigned("<", lane_ids, left_vec))
        sums = []
        for q in range(3):
            total = builder.fadd(builder.fadd(acc0[q], done[1][q]), builder.fadd(done[2][q], done[3][q]))
            width = LANES
            while width > 1:
                width //= 2
                low = builder.shuffle_vector(total, total, ir.Constant(ir.VectorType(i32, width), list(range(width))))
                high = builder.shuffle_vector(total, total, ir.Constant(ir.VectorType(i32, width), list(range(width, 2 * width))))
                total = builder.fadd(low, high)
            sums.append(builder.extract_element(total, i64(0)))
        return context.make_tuple(builder, signature.return_type, sums)

    return codegen


def _kept_sums_signature(x, g, keep_row, wi, bi):
    if (_is_float_vector(x) and x == g and isinstance(keep_row, types.Array) and keep_row.ndim == 1
            and keep_row.layout == "C" and keep_row.dtype == x.dtype and wi == x.dtype and bi == x.dtype):
        return types.UniTuple(x.dtype, 3)(x, g, keep_row, wi, bi)
    return None


# _kept_sums_ACT(x, g, keep_row, w_i, b_i) = (sum dLoss/dv_i, sum dLoss/dz / v_i,
# sum x dLoss/dz / v_i) over the samples of a d = 1 network, from x, g = dLoss/df and what
# the forward pass kept for neuron i (the sigmoid for SiLU, the activation for tanh, not
# read for ReLU and LeakyReLU); per sample the expressions of _grad_terms, summed in the
# order of _lane_sum. Written as LLVM vector code: the three sums stay in registers, which
# numba-compiled loops only manage by letting LLVM re-associate them.
@intrinsic
def _kept_sums_silu(typingctx, x, g, keep_row, wi, bi):
    sig = _kept_sums_signature(x, g, keep_row, wi, bi)
    return None if sig is None else (sig, _kept_sums_codegen(SILU))


@intrinsic
def _kept_sums_relu(typingctx, x, g, keep_row, wi, bi):
    sig = _kept_sums_signature(x, g, keep_row, wi, bi)
    return None if sig is None else (sig, _kept_sums_codegen(RELU))


@intrinsic
def _kept_sums_leaky_relu(typingctx, x, g, keep_row, wi, bi):
    sig = _kept_sums_signature(x, g, keep_row, wi, bi)
    return None if sig is None else (sig, _kept_sums_codegen(LEAKY_RELU))


@intrinsic
def _kept_sums_tanh(typingctx, x, g, keep_row, wi, bi):
    sig = _kept_sums_signature(x, g, keep_row, wi, bi)
    return None if sig is None else (sig, _kept_sums_codegen(TANH))


def _residual_sums_codegen(context, builder, signature, args):
    """LLVM vector code of _residual_sums (see there)."""
    f_ty, y_ty, g_ty = signature.args[:3]
    dtype = f_ty.dtype
    fty = context.get_data_type(dtype)
    dty = ir.DoubleType()
    size = fty.get_abi_size(context.target_data)
    LANES = _LANES_BY_SIZE[size]
    i64 = ir.IntType(64)
    i32 = ir.IntType(32)
    vty = ir.VectorType(fty, LANES)
    wty = ir.VectorType(dty, LANES)  # float64 lanes of the squared residuals
    f_arr, y_arr, g_arr = (context.make_array(t)(context, builder, a) for t, a in zip((f_ty, y_ty, g_ty), args[:3]))
    f_ptr, y_ptr, g_ptr = (builder.bitcast(a.data, fty.as_pointer()) for a in (f_arr, y_arr, g_arr))
    count = builder.extract_value(f_arr.shape, 0)
    scale_vec = builder.insert_element(ir.Constant(vty, None), args[3], i64(0))
    scale_vec = builder.shuffle_vector(scale_vec, scale_vec, ir.Constant(ir.VectorType(i32, LANES), [0] * LANES))
    zero, zero_w = ir.Constant(vty, None), ir.Constant(wty, None)
    suffix = "v%df%d" % (LANES, 8 * size)
    mask_ty = ir.VectorType(ir.IntType(1), LANES)
    masked_load = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(vty, [vty.as_pointer(), i32, mask_ty, vty]), "llvm.masked.load.%s.p0" % suffix)
    masked_store = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(ir.VoidType(), [vty, vty.as_pointer(), i32, mask_ty]), "llvm.masked.store.%s.p0" % suffix)
    fma_w = cgutils.get_or_insert_function(builder.module, ir.FunctionType(wty, [wty] * 3), "llvm.fma.v%df64" % LANES)

    def step(accs, offset, mask=None):  # (sum r^2 lanes (float64), sum g lanes) + LANES samples
        ptrs = [builder.bitcast(builder.gep(p, [offset]), vty.as_pointer()) for p in (f_ptr, y_ptr, g_ptr)]
        if mask is None:
            fv, yv = (builder.load(p, align=size) for p in ptrs[:2])
        else:
            fv, yv = (builder.call(masked_load, [p, i32(size), mask, zero]) for p in ptrs[:2])
        r = builder.fsub(fv, yv)
        gv = builder.fmul(scale_vec, r)
        if mask is None:
            builder.store(gv, ptrs[2], align=size)
        else:
            builder.call(masked_store, [gv, ptrs[2], i32(size), mask])
        r64 = r if fty == dty else builder.fpext(r, wty)
        new = (builder.call(fma_w, [r64, r64, accs[0]]), builder.fadd(accs[1], gv))
        if mask is None:
            return new
        return (builder.select(mask, new[0], accs[0]), builder.select(mask, new[1], accs[1]))

    groups = builder.udiv(count, i64(4 * LANES))
    entry = builder.block
    loop = builder.append_basic_block("resid.groups")
    after = builder.append_basic_block("resid.groups_done")
    builder.cbranch(builder.icmp_unsigned(">", groups, i64(0)), loop, after)
    builder.position_at_end(loop)
    k = builder.phi(i64)
    phis = [(builder.phi(wty), builder.phi(vty)) for _ in range(4)]
    nexts = [step(phis[u], builder.mul(builder.add(builder.mul(k, i64(4)), i64(u)), i64(LANES))) for u in range(4)]
    k_next = builder.add(k, i64(1))
    k.add_incoming(i64(0), entry)
    k.add_incoming(k_next, loop)
    for u in range(4):
        for q, z in ((0, zero_w), (1, zero)):
            phis[u][q].add_incoming(z, entry)
            phis[u][q].add_incoming(nexts[u][q], loop)
    builder.cbranch(builder.icmp_unsigned("<", k_next, groups), loop, after)
    builder.position_at_end(after)
    done = []
    for u in range(4):
        row = []
        for q, (ty, z) in enumerate(((wty, zero_w), (vty, zero))):
            ph = builder.phi(ty)
            ph.add_incoming(z, entry)
            ph.add_incoming(nexts[u][q], loop)
            row.append(ph)
        done.append(row)
    lane_ids = ir.Constant(ir.VectorType(i64, LANES), list(range(LANES)))
    acc0 = tuple(done[0])
    start = builder.mul(groups, i64(4 * LANES))
    for u in range(4):  # the rest, a block of LANES at a time, into accumulator 0
        offset = builder.add(start, i64(u * LANES))
        left = builder.select(builder.icmp_unsigned("<", offset, count), builder.sub(count, offset), i64(0))
        left_vec = builder.insert_element(ir.Constant(ir.VectorType(i64, LANES), None), left, i64(0))
        left_vec = builder.shuffle_vector(left_vec, left_vec, ir.Constant(ir.VectorType(i32, LANES), [0] * LANES))
        acc0 = step(acc0, offset, builder.icmp_unsigned("<", lane_ids, left_vec))
    sums = []
    for q in range(2):
        total = builder.fadd(builder.fadd(acc0[q], done[1][q]), builder.fadd(done[2][q], done[3][q]))
        width = LANES
        while width > 1:
            width //= 2
            low = builder.shuffle_vector(total, total, ir.Constant(ir.VectorType(i32, width), list(range(width))))
            high = builder.shuffle_vector(total, total, ir.Constant(ir.VectorType(i32, width), list(range(width, 2 * width))))
            total = builder.fadd(low, high)
        sums.append(builder.extract_element(total, i64(0)))
    return context.make_tuple(builder, signature.return_type, sums)


@intrinsic
def _residual_sums(typingctx, f, y, g, scale):
    """g[m] = scale (f[m] - y[m]) for every m; returns (sum (f - y)^2 in float64, sum g).
    The residual of a float32 network is widened exactly to float64 before it is squared;
    both sums in the order of _lane_sum (squares added by fused multiply-adds). LLVM
    vector code, like _lane_sum."""
    if not (_is_float_vector(f) and f == y and y == g and scale == f.dtype):
        return None
    return types.Tuple((types.float64, f.dtype))(f, y, g, scale), _residual_sums_codegen


def _silu_out_codegen(context, builder, signature, args):
    """LLVM vector code of _silu_out_sums (see there)."""
    arr_tys = signature.args[:5]
    dtype = arr_tys[0].dtype
    fty = context.get_data_type(dtype)
    size = fty.get_abi_size(context.target_data)
    LANES = _LANES_BY_SIZE[size]
    i64 = ir.IntType(64)
    i32 = ir.IntType(32)
    vty = ir.VectorType(fty, LANES)
    arrays = [context.make_array(t)(context, builder, a) for t, a in zip(arr_tys, args[:5])]
    ptrs = [builder.bitcast(a.data, fty.as_pointer()) for a in arrays]
    count = builder.extract_value(arrays[0].shape, 0)

    def splat(value):
        vec = builder.insert_element(ir.Constant(vty, None), value, i64(0))
        return builder.shuffle_vector(vec, vec, ir.Constant(ir.VectorType(i32, LANES), [0] * LANES))

    xs = (splat(args[5]), splat(args[6]))
    zero = ir.Constant(vty, None)
    suffix = "v%df%d" % (LANES, 8 * size)
    mask_ty = ir.VectorType(ir.IntType(1), LANES)
    masked_load = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(vty, [vty.as_pointer(), i32, mask_ty, vty]), "llvm.masked.load.%s.p0" % suffix)
    fma_fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vty, [vty] * 3), "llvm.fma." + suffix)

    def step(accs, offset, mask=None):
        vecs = []
        for p in ptrs:
            ptr = builder.bitcast(builder.gep(p, [offset]), vty.as_pointer())
            vecs.append(builder.load(ptr, align=size) if mask is None
                        else builder.call(masked_load, [ptr, i32(size), mask, zero]))
        v, w, b = vecs[:3]
        new = []
        for acc, s, x in zip(accs, vecs[3:], xs):
            z = builder.call(fma_fn, [w, x, b])
            out = builder.call(fma_fn, [v, builder.fmul(z, s), acc])
            new.append(out if mask is None else builder.select(mask, out, acc))
        return new

    groups = builder.udiv(count, i64(4 * LANES))
    entry = builder.block
    loop = builder.append_basic_block("out.groups")
    after = builder.append_basic_block("out.groups_done")
    builder.cbranch(builder.icmp_unsigned(">", groups, i64(0)), loop, after)
    builder.position_at_end(loop)
    k = builder.phi(i64)
    phis = [[builder.phi(vty) for _ in range(2)] for _ in range(4)]
    nexts = [step(phis[u], builder.mul(builder.add(builder.mul(k, i64(4)), i64(u)), i64(LANES))) for u in range(4)]
    k_next = builder.add(k, i64(1))
    k.add_incoming(i64(0), entry)
    k.add_incoming(k_next, loop)
    for u in range(4):
        for q in range(2):
            phis[u][q].add_incoming(zero, entry)
            phis[u][q].add_incoming(nexts[u][q], loop)
    builder.cbranch(builder.icmp_unsigned("<", k_next, groups), loop, after)
    builder.position_at_end(after)
    done = []
    for u in range(4):
        row = []
        for q in range(2):
            ph = builder.phi(vty)
            ph.add_incoming(zero, entry)
            ph.add_incoming(nexts[u][q], loop)
            row.append(ph)
        done.append(row)
    lane_ids = ir.Constant(ir.VectorType(i64, LANES), list(range(LANES)))
    acc0 = done[0]
    start = builder.mul(groups, i64(4 * LANES))
    for u in range(4):  # the rest, a block of LANES at a time, into accumulator 0
        offset = builder.add(start, i64(u * LANES))
        left = builder.select(builder.icmp_unsigned("<", offset, count), builder.sub(count, offset), i64(0))
        left_vec = builder.insert_element(ir.Constant(ir.VectorType(i64, LANES), None), left, i64(0))
        left_vec = builder.shuffle_vector(left_vec, left_vec, ir.Constant(ir.VectorType(i32, LANES), [0] * LANES))
        acc0 = step(acc0, offset, builder.icmp_unsigned("<", lane_ids, left_vec))
    sums = []
    for q in range(2):
        total = builder.fadd(builder.fadd(acc0[q], done[1][q]), builder.fadd(done[2][q], done[3][q]))
        width = LANES
        while width > 1:
            width //= 2
            low = builder.shuffle_vector(total, total, ir.Constant(ir.VectorType(i32, width), list(range(width))))
            high = builder.shuffle_vector(total, total, ir.Constant(ir.VectorType(i32, width), list(range(width, 2 * width))))
            total = builder.fadd(low, high)
        sums.append(builder.extract_element(total, i64(0)))
    return context.make_tuple(builder, signature.return_type, sums)


@intrinsic
def _silu_out_sums(typingctx, v, w, b, s_left, s_right, x_left, x_right):
    """(sum_i v_i ((w_i x_left + b_i) s_left_i), the same at x_right) over the neurons of a
    d = 1 network (s the sigmoids at each sample): its outputs minus c at two samples, in
    one pass. Per neuron fma(w, x, b), times s, added by fma(v, ., acc), in the order of
    _lane_sum. LLVM vector code, like _lane_sum."""
    arrays = (v, w, b, s_left, s_right)
    if not (all(_is_float_vector(a) and a == v for a in arrays) and x_left == v.dtype and x_right == v.dtype):
        return None
    return types.UniTuple(v.dtype, 2)(v, w, b, s_left, s_right, x_left, x_right), _silu_out_codegen


def _is_float_vector(arr):
    return (isinstance(arr, types.Array) and arr.ndim == 1 and arr.layout == "C"
            and isinstance(arr.dtype, types.Float))


@intrinsic
def _lane_sum(typingctx, arr, n):
    """Sum of arr[:n] (a contiguous 1-d float array) in a fixed order, written as LLVM vector
    code so that it is vectorised without letting LLVM re-associate anything.

    Element m goes to lane m % LANES of accumulator (m // LANES) % 4 while whole groups of
    4 LANES elements remain, then the rest to accumulator 0 (a block of LANES at a time,
    the last partial block by a masked load); at the end the accumulators are added as
    (a0 + a1) + (a2 + a3) and the lanes pairwise (j and j + h for h = LANES/2, ..., 1).
    Four accumulators keep four vector additions in flight."""
    if not (_is_float_vector(arr) and isinstance(n, types.Integer)):
        return None
    return arr.dtype(arr, n), _lane_codegen(arr.dtype, dot=False)


@intrinsic
def _lane_dot(typingctx, a, b, n):
    """a[:n] . b[:n] in the order of _lane_sum, each product added by a fused multiply-add."""
    if not (_is_float_vector(a) and a == b and isinstance(n, types.Integer)):
        return None
    return a.dtype(a, b, n), _lane_codegen(a.dtype, dot=True)


def _exp(x):
    """exp(x), vectorisable, for float64 (inputs clamped to [-708, 709]) and float32
    (clamped to [-87, 88]); only callable from jitted code. Error bounds: see
    tests/test_exp.py."""
    raise NotImplementedError("_exp is only callable from numba-compiled code")


@overload(_exp, inline="always", jit_options=dict(error_model="numpy"))
def _exp_impl(x):
    if x == types.float64:

        def exp64(x):
            x = min(max(x, -708.0), 709.0)
            kd = _fma(x, _LOG2E, _SHIFT64)  # k + 1023 + 1.5 * 2^52, k = round(x / ln2)
            k = kd - _SHIFT64
            r = _fma(-k, _LN2_HI, x)
            r = _fma(-k, _LN2_LO, r)
            # Taylor series of exp on |r| <= ln2/2, Horner form; truncation error < 1e-17.
            p = 1.0 / 6227020800.0
            p = _fma(p, r, 1.0 / 479001600.0)
            p = _fma(p, r, 1.0 / 39916800.0)
            p = _fma(p, r, 1.0 / 3628800.0)
            p = _fma(p, r, 1.0 / 362880.0)
            p = _fma(p, r, 1.0 / 40320.0)
            p = _fma(p, r, 1.0 / 5040.0)
            p = _fma(p, r, 1.0 / 720.0)
            p = _fma(p, r, 1.0 / 120.0)
            p = _fma(p, r, 1.0 / 24.0)
            p = _fma(p, r, 1.0 / 6.0)
            p = _fma(p, r, 0.5)
            p = _fma(p, r, 1.0)
            p = _fma(p, r, 1.0)
            return p * _shifted_to_pow2(kd)

        return exp64
    if x == types.float32:

        def exp32(x):
            x = min(max(x, _F32_LO), _F32_HI)
            kd = _fma(x, _F32_LOG2E, _F32_SHIFT)
            k = kd - _F32_SHIFT
            r = _fma(-k, _F32_LN2_HI, x)
            r = _fma(-k, _F32_LN2_LO, r)
            # Taylor to degree 7 on |r| <= ln2/2: truncation error < 6e-9 (0.1 ulp).
            p = _F32_C[0]
            p = _fma(p, r, _F32_C[1])
            p = _fma(p, r, _F32_C[2])
            p = _fma(p, r, _F32_C[3])
            p = _fma(p, r, _F32_C[4])
            p = _fma(p, r, _F32_C[5])
            p = _fma(p, r, _F32_C[6])
            p = _fma(p, r, _F32_C[7])
            return p * _shifted_to_pow2(kd)

        return exp32
    return None


def _pair_limit(x):
    raise NotImplementedError


@overload(_pair_limit, inline="always")
def _pair_limit_impl(x):
    """|w x| + |b| must stay below this for the paired sigmoid form in x's float type."""
    if x == types.float32:
        return lambda x: _PAIR_LIMIT32
    return lambda x: _PAIR_LIMIT64


@njit(inline="always", **JIT)
def _pair_sigmoids(e, u, one):
    """sigmoid(w x + b) and sigmoid(-w x + b) from u = exp(-w x) and e = exp(-b)."""
    return one / _fma(e, u, one), u / (u + e)


@njit(inline="always", **JIT)
def _pairs_usable(wi, bi, x_max):
    """The paired form needs e * u finite: |w x| + |b| well inside exp's range."""
    return abs(wi) * x_max + abs(bi) < _pair_limit(wi)


@njit(**JIT)
def _preactivation(w, b, i, xT, z):
    """z[m] = w[i] . x[m] + b[i]."""
    d = xT.shape[0]
    M = xT.shape[1]
    bi = b[i]
    w0 = w[i, 0]
    for m in range(M):
        z[m] = _fma(w0, xT[0, m], bi)
    for k in range(1, d):
        wk = w[i, k]
        for m in range(M):
            z[m] = _fma(wk, xT[k, m], z[m])


@njit(inline="always", **JIT)
def _sigmoid(z, one):
    return one / (one + _exp(-z))


@njit(**JIT)
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
                s = _sigmoid(zm, one)
                ki[m] = s
                f[m] = _fma(vi, zm * s, f[m])
        elif act == RELU:
            for m in range(M):
                f[m] = _fma(vi, max(z[m], zero), f[m])
        elif act == LEAKY_RELU:
            for m in range(M):
                zm = z[m]
                f[m] = _fma(vi, zm if zm > zero else slope * zm, f[m])
        else:
            for m in range(M):
                t = np.tanh(z[m])
                ki[m] = t
                f[m] = _fma(vi, t, f[m])


@njit(**JIT)
def _loss_and_output_grad(f, y, g):
    """Mean squared error (summed in float64 for every network dtype), g = dLoss/df =
    2 (f - y) / M, and dLoss/dc = sum(g)."""
    M = f.shape[0]
    total, gc = _residual_sums(f, y, g, f.dtype.type(2.0 / M))
    return total / M, gc


@njit(inline="always", **JIT)
def _grad_terms(act, zm, km, gm, one, zero, slope):
    """Per sample: (dLoss/dv_i, dLoss/dz / v_i) from z, what the forward pass kept and g."""
    if act == SILU:
        return gm * (zm * km), gm * (km * _fma(zm, one - km, one))
    elif act == RELU:
        return gm * max(zm, zero), gm if zm > zero else zero
    elif act == LEAKY_RELU:
        pos = zm > zero
        return gm * (zm if pos else slope * zm), gm if pos else slope * gm
    return gm * km, gm * (one - km * km)


@njit(**JIT)
def _backward(act, w, b, v, xT, g, gc, z, keep, grad, scratch=None):
    """Gradient of the loss w.r.t. the flat parameter vector, given g = dLoss/df and gc = sum(g).
    scratch: (3, M) of the network dtype (allocated if omitted)."""
    if scratch is None:
        _backward_terms(act, w, b, v, xT, g, gc, z, keep, grad, np.empty((3, xT.shape[1]), dtype=g.dtype))
    else:
        _backward_terms(act, w, b, v, xT, g, gc, z, keep, grad, scratch)


@njit(inline="always", **JIT)
def _backward_terms(act, w, b, v, xT, g, gc, z, keep, grad, scratch):
    N = w.shape[0]
    d = w.shape[1]
    M = xT.shape[1]
    one = g.dtype.type(1.0)
    zero = g.dtype.type(0.0)
    slope = g.dtype.type(LEAKY_SLOPE)
    off_b = N * d
    off_v = off_b + N
    grad[off_v + N] = gc
    tv = scratch[0]
    for i in range(N):
        _preactivation(w, b, i, xT, z)
        ki = keep[i]
        # afterwards z holds dLoss/dz / v_i, tv the per-sample dLoss/dv_i
        if act == SILU:
            for m in range(M):
                tv[m], z[m] = _grad_terms(SILU, z[m], ki[m], g[m], one, zero, slope)
        elif act == RELU:
            for m in range(M):
                tv[m], z[m] = _grad_terms(RELU, z[m], ki[m], g[m], one, zero, slope)
        elif act == LEAKY_RELU:
            for m in range(M):
                tv[m], z[m] = _grad_terms(LEAKY_RELU, z[m], ki[m], g[m], one, zero, slope)
        else:
            for m in range(M):
                tv[m], z[m] = _grad_terms(TANH, z[m], ki[m], g[m], one, zero, slope)
        vi = v[i]
        for k in range(d):
            grad[i * d + k] = vi * _lane_dot(z, xT[k], M)
        grad[off_b + i] = vi * _lane_sum(z, M)
        grad[off_v + i] = _lane_sum(tv, M)


@njit(**JIT)
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
                    f[m] = _fma(vi, _fma(wi, xm, bi) * s_left, c if first else f[m])
                    f[half + m] = _fma(vi, _fma(wi, x[half + m], bi) * s_right, c if first else f[half + m])
            else:
                for m in range(half):
                    xm = x[m]
                    s_left, s_right = _pair_sigmoids(e, _exp(-(wi * xm)), one)
                    f[m] = _fma(vi, _fma(wi, xm, bi) * s_left, c if first else f[m])
                    f[half + m] = _fma(vi, _fma(wi, x[half + m], bi) * s_right, c if first else f[half + m])
            for m in range(2 * half, M):  # the unpaired middle point of an odd grid
                zm = _fma(wi, x[m], bi)
                s = _sigmoid(zm, one)
                if store:
                    ki[m] = s
                f[m] = _fma(vi, zm * s, c if first else f[m])
        elif act == SILU:
            for m in range(M):
                zm = _fma(wi, x[m], bi)
                s = _sigmoid(zm, one)
                if store:
                    ki[m] = s
                f[m] = _fma(vi, zm * s, c if first else f[m])
        elif act == RELU:
            for m in range(M):
                f[m] = _fma(vi, max(_fma(wi, x[m], bi), zero), c if first else f[m])
        elif act == LEAKY_RELU:
            for m in range(M):
                zm = _fma(wi, x[m], bi)
                f[m] = _fma(vi, zm if zm > zero else slope * zm, c if first else f[m])
        else:
            for m in range(M):
                t = np.tanh(_fma(wi, x[m], bi))
                ki[m] = t
                f[m] = _fma(vi, t, c if first else f[m])


@njit(**JIT)
def _backward_1d(act, w, b, v, x, g, gc, keep, half, x_max, store, grad, scratch=None):
    """_backward for d = 1 with pre-activation and weight gradient fused into one loop.
    scratch: (3, M) of the network dtype (allocated if omitted).

    store = False (SiLU only): recompute the sigmoids as _forward_1d does (same
    expressions, so the same values) instead of reading them from keep. This is the
    wide networks' fallback for steps that _step_wide_silu cannot take (a neuron too steep
    for the paired form, or no mirrored pairs); it is about as fast as streaming an
    N x M keep through memory (benchmarks/wide_networks.py)."""
    if scratch is None:
        _backward_1d_terms(act, w, b, v, x, g, gc, keep, half, x_max, store, grad,
                           np.empty((3, x.shape[0]), dtype=g.dtype))
    else:
        _backward_1d_terms(act, w, b, v, x, g, gc, keep, half, x_max, store, grad, scratch)


@njit(inline="always", **JIT)
def _backward_1d_terms(act, w, b, v, x, g, gc, keep, half, x_max, store, grad, scratch):
    N = w.shape[0]
    M = x.shape[0]
    one = g.dtype.type(1.0)
    zero = g.dtype.type(0.0)
    slope = g.dtype.type(LEAKY_SLOPE)
    grad[3 * N] = gc
    tv = scratch[0]
    tb = scratch[1]
    tw = scratch[2]
    for i in range(N):
        wi = w[i, 0]
        bi = b[i]
        ki = keep[i] if store else keep[0]
        if act == SILU and not store:
            # sample pair (m, half + m) into slot m; the unpaired rest into slots from `paired`
            paired = half if _pairs_usable(wi, bi, x_max) else 0
            e = _exp(-bi)
            for m in range(paired):
                x_left = x[m]
                x_right = x[half + m]
                s_left, s_right = _pair_sigmoids(e, _exp(-(wi * x_left)), one)
                tv_l, dz_l = _grad_terms(SILU, _fma(wi, x_left, bi), s_left, g[m], one, zero, slope)
                tv_r, dz_r = _grad_terms(SILU, _fma(wi, x_right, bi), s_right, g[half + m], one, zero, slope)
                tv[m] = tv_l + tv_r
                tb[m] = dz_l + dz_r
                tw[m] = _fma(dz_l, x_left, dz_r * x_right)
            for m in range(2 * paired, M):  # no pairs, or the middle point of an odd grid
                xm = x[m]
                zm = _fma(wi, xm, bi)
                slot = paired + m - 2 * paired
                tv[slot], dz = _grad_terms(SILU, zm, _sigmoid(zm, one), g[m], one, zero, slope)
                tb[slot] = dz
                tw[slot] = dz * xm
            used = M - paired
        else:
            if act == SILU:
                sv, sb, sw = _kept_sums_silu(x, g, ki, wi, bi)
            elif act == RELU:
                sv, sb, sw = _kept_sums_relu(x, g, ki, wi, bi)
            elif act == LEAKY_RELU:
                sv, sb, sw = _kept_sums_leaky_relu(x, g, ki, wi, bi)
            else:
                sv, sb, sw = _kept_sums_tanh(x, g, ki, wi, bi)
            grad[i] = v[i] * sw
            grad[N + i] = v[i] * sb
            grad[2 * N + i] = sv
            continue
        vi = v[i]
        grad[i] = vi * _lane_sum(tw, used)
        grad[N + i] = vi * _lane_sum(tb, used)
        grad[2 * N + i] = _lane_sum(tv, used)


@njit(**JIT)
def _all_pairable(w1, b1, x_max):
    """Whether every neuron can use the paired sigmoid form (see _forward_1d)."""
    for i in range(w1.shape[0]):
        if not _pairs_usable(w1[i], b1[i], x_max):
            return False
    return True


@njit(**JIT)
def _step_wide_silu(w1, b1, v1, c, x, y, half, grad, e, keep_left, keep_right):
    """Loss and gradient of a wide SiLU network (d = 1, samples in mirrored pairs, every
    neuron pairable: _all_pairable): forward, loss and backward fused per sample pair,
    vectorised over neurons. Only two rows of sigmoids are live at a time (keep_left,
    keep_right: N each), so nothing N x M goes through memory. Returns (loss, dLoss/dc);
    grad[:3N] is filled. e (N, the network's dtype) is scratch for exp(-b). The network
    output of a sample is summed over neurons by _silu_out_sums, the loss in float64.
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
        for i in range(N):
            s_left, s_right = _pair_sigmoids(e[i], _exp(-(w1[i] * x_left)), one)
            keep_left[i] = s_left
            keep_right[i] = s_right
        out_left, out_right = _silu_out_sums(v1, w1, b1, keep_left, keep_right, x_left, x_right)
        r_left = (c + out_left) - y[p]
        r_right = (c + out_right) - y[half + p]
        total += np.float64(r_left) * np.float64(r_left) + np.float64(r_right) * np.float64(r_right)
        g_left = scale * r_left
        g_right = scale * r_right
        gc += g_left + g_right
        for i in range(N):
            wi = w1[i]
            tv_l, dz_l = _grad_terms(SILU, _fma(wi, x_left, b1[i]), keep_left[i], g_left, one, zero, zero)
            tv_r, dz_r = _grad_terms(SILU, _fma(wi, x_right, b1[i]), keep_right[i], g_right, one, zero, zero)
            gv[i] += tv_l + tv_r
            gb[i] += dz_l + dz_r
            gw[i] += _fma(dz_l, x_left, dz_r * x_right)
    for m in range(2 * half, M):  # the unpaired middle point of an odd grid
        xm = x[m]
        for i in range(N):
            keep_left[i] = _sigmoid(_fma(w1[i], xm, b1[i]), one)
        rm = (c + _silu_out_sums(v1, w1, b1, keep_left, keep_left, xm, xm)[0]) - y[m]
        total += np.float64(rm) * np.float64(rm)
        gm = scale * rm
        gc += gm
        for i in range(N):
            tv, dz = _grad_terms(SILU, _fma(w1[i], xm, b1[i]), keep_left[i], gm, one, zero, zero)
            gv[i] += tv
            gb[i] += dz
            gw[i] = _fma(dz, xm, gw[i])
    for i in range(N):
        gw[i] *= v1[i]
        gb[i] *= v1[i]
    return total / M, gc


@njit(**JIT)
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
        m1p = _fma(keep1, gp - m1[p], m1[p])
        m2p = _fma(b2, m2[p], keep2 * gp * gp)
        m1[p] = m1p
        m2[p] = m2p
        theta[p] -= step_size * m1p / (np.sqrt(m2p) / bias2_sqrt + eps_t)


@njit(cache=True, error_model="numpy")
def _train_one(
    act, theta, N, d, xT, y, half, store, steps, lr0, lr_decay, lr_decay_every, beta1, beta2, eps, curve_steps, curve,
    step_counter, snaps=None,
):
    """Train one network in place. Returns True if it diverged (non-finite loss).

    half, store: see _forward_1d (store only matters for SiLU with d = 1; other cases
    always keep what their backward pass needs). step_counter[0] is set to the number of
    steps done, so another thread can report progress within a network."""
    M = xT.shape[1]
    x_max = theta.dtype.type(0.0)
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
    e = np.empty(N if wide else 1, dtype=theta.dtype)
    keep_left = np.empty(N if wide else 1, dtype=theta.dtype)
    keep_right = np.empty(N if wide else 1, dtype=theta.dtype)
    scratch = np.empty((3, M), dtype=theta.dtype)  # per-sample terms to sum
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
            if snaps is not None:  # parameters after t steps (snapshots option)
                snaps[ci, :] = theta
            ci += 1
        if not np.isfinite(loss):
            for j in range(ci, K):
                curve[j] = loss
                if snaps is not None:
                    snaps[j, :] = theta
            step_counter[0] = steps
            return True
        if fused:
            grad[3 * N] = gc
        elif d == 1:
            _backward_1d(act, w, b, v, xT[0], g, gc, keep, half, x_max, store, grad, scratch)
        else:
            _backward(act, w, b, v, xT, g, gc, z, keep, grad, scratch)
        _adam_update(theta, grad, m1, m2, lr, beta1, beta2, eps, t + 1)
    if store:
        _forward(act, w, b, v, theta[-1], xT, f, z, keep)
    else:  # keep has one row: _forward would need N
        _forward_1d(act, w, b, v, theta[-1], xT[0], f, keep, half, x_max, store)
    loss, _ = _loss_and_output_grad(f, y, g)
    step_counter[0] = steps
    for j in range(ci, K):
        curve[j] = loss
        if snaps is not None:
            snaps[j, :] = theta
    return not np.isfinite(loss)


@njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def train_batch(
    act, theta, N, d, xT, y, half, store, steps, lr0, lr_decay, lr_decay_every, beta1, beta2, eps, curve_steps, curve,
    diverged, steps_done, snaps=None,
):
    """Train theta[s] (S, P) in place for every s, in parallel over networks.

    steps_done[s] counts the steps network s has taken (== steps when it is finished), so
    another Python thread can report progress while this runs without the GIL.
    snaps: None, or (S, K, P) filled with the parameters at each curve step (no effect on training).
    """
    for s in prange(theta.shape[0]):
        if snaps is None:
            diverged[s] = _train_one(
                act, theta[s], N, d, xT, y, half, store, steps, lr0, lr_decay, lr_decay_every, beta1, beta2, eps,
                curve_steps, curve[s], steps_done[s : s + 1],
            )
        else:
            diverged[s] = _train_one(
                act, theta[s], N, d, xT, y, half, store, steps, lr0, lr_decay, lr_decay_every, beta1, beta2, eps,
                curve_steps, curve[s], steps_done[s : s + 1], snaps[s],
            )


@njit(cache=True, parallel=True, error_model="numpy")
def exp_throughput_kernel(x, out, repeats):
    """Vectorised exp over x, repeated; used by the benchmark as the speed floor."""
    n = x.shape[0]
    for r in range(repeats):
        for j in prange(n):
            out[j] += _exp(x[j])
