"""Why does the float32 trainer end at a lower test MSE than float64 on narrow networks?

benchmarks/float32_rounding_floor.py found that on the default configuration (x2 on [-2, 2],
SiLU, M = 200, 50000 full-batch Adam steps) the float32 trainer's median test MSE is about 2%
below float64's at widths 2-10, more than float64's own 1-ulp sensitivity. This script trains
the same networks (the package's data from `tasks.make_dataset`, the package's initial
parameters from `init.scaled_initial_parameters`, the same Adam with torch's bias corrections
and the same StepLR schedule) with a plain-numpy reference trainer, vectorised over seeds, in
which each stage of a step can be rounded to float32 separately:

  a_f64         float64 everywhere (the reference; checked against the package's float64 trainer)
  b_f32         float32 everywhere: data, parameters, forward, residual, per-sample gradient
                terms, sums over samples, Adam (numpy float32 arithmetic and numpy's float32 exp)
  c_f32_sum64   as b, but the sums over the M samples accumulated in float64 (then cast to float32)
  d_f64_noise   float64, the per-sample gradient terms multiplied by (1 + 2^-24 U(-1, 1)):
                random relative noise of float32 rounding size where the sum cancels
  e_f64_res32   float64, but the network output f and the target y rounded to float32 and the
                residual f - y taken in float32 (the only float32 stage)
  f_f64_par32   float64 forward and backward, parameters and Adam state in float32
  g1_f64_theta32  float64, Adam's moments and update in float64, but theta rounded to float32
                after each update (float32 storage of the parameters only)
  g2_f64_adam32 float64 parameters, Adam's moments and update arithmetic in float32
  h_f64_pnoise  float64, each parameter multiplied by (1 + 2^-24 U(-1, 1)) after each update:
                random noise of float32 rounding size on the parameters
  i_f32_par64   the converse of f: float32 data, forward, residual, terms and sums, but the
                parameters, Adam's moments and update in float64

(--param-noise-exponents K ... adds h_f64_pnoise arms with noise 2^-K, a dose response)
and the package's own trainers: pkg_f64, pkg_f64_ulp (first layer's initial w, b times
1 + 2^-52: float64's own rounding sensitivity) and pkg_f32. It first checks that a_f64
follows the package's float64 trainer step by step (and b_f32 the float32 one) for a few
hundred steps, then prints the final test MSE per seed for every arm and the median over seeds
of the per-seed ratio to pkg_f64.

    PYTHONPATH=src NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
        python benchmarks/float32_mechanism.py --width 2 --seeds 16 --param-noise-exponents 20 30 36 44

Cost (one core): about 10-20 s per numpy arm at N = 2, 16 seeds, 50000 steps (twice at N = 4),
plus the numba compilation on a first run.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from lottery_scaling.studies.lottery import init, model, tasks
from lottery_scaling.studies.lottery.trainer import TrainSettings, train

F64, F32 = np.float64, np.float32


@dataclass(frozen=True)
class Precision:
    """The float type of each stage of a training step."""

    data: type = F64  # x, y as stored
    param: type = F64  # parameters
    moments: type | None = None  # Adam's moments and update arithmetic (None: as param)
    forward: type = F64  # z = w x + b, sigmoid, f
    residual: type = F64  # f and y are rounded to this before r = f - y is taken
    terms: type = F64  # per-sample g = 2 r / M and gradient terms
    sums: type = F64  # accumulation of the sums over samples
    noise: float = 0.0  # relative uniform noise on the per-sample terms (d_f64_noise)
    param_noise: float = 0.0  # relative uniform noise on the parameters after each step (h_f64_pnoise)


VARIANTS = {
    "a_f64": Precision(),
    "b_f32": Precision(data=F32, param=F32, forward=F32, residual=F32, terms=F32, sums=F32),
    "c_f32_sum64": Precision(data=F32, param=F32, forward=F32, residual=F32, terms=F32, sums=F64),
    "d_f64_noise": Precision(noise=2.0**-24),
    "e_f64_res32": Precision(residual=F32),
    "f_f64_par32": Precision(param=F32),
    "g1_f64_theta32": Precision(param=F32, moments=F64),
    "g2_f64_adam32": Precision(moments=F32),
    "h_f64_pnoise": Precision(param_noise=2.0**-24),
    "i_f32_par64": Precision(data=F32, forward=F32, residual=F32, terms=F32, sums=F32),
}


def loss_and_grad(theta, x, y, N, p: Precision, rng):
    """Training MSE (float64) and its gradient (param dtype) for theta (S, 3N+1) = [w, b, v, c]."""
    F, T, A = p.forward, p.terms, p.sums
    th = theta.astype(F)
    w, b, v, c = th[:, :N, None], th[:, N:2 * N, None], th[:, 2 * N:3 * N, None], th[:, 3 * N]
    xf = x.astype(F)
    z = w * xf + b  # (S, N, M)
    s = 1 / (1 + np.exp(-z))
    h = z * s
    f = np.repeat(c[:, None], x.size, axis=1)
    for i in range(N):  # neuron by neuron from c, as the kernels
        f = f + v[:, i] * h[:, i]
    r = f.astype(p.residual) - y.astype(p.residual)
    loss = np.mean(r.astype(F64) ** 2, axis=1)
    M = x.size
    g = T(2.0 / M) * r.astype(T)  # dLoss/df per sample
    zt, st = z.astype(T), s.astype(T)
    tv = g[:, None, :] * (zt * st)  # dLoss/dv_i per sample
    dz = g[:, None, :] * (st * (1 + zt * (1 - st)))  # dLoss/dz_i / v_i per sample
    if p.noise:
        tv = tv * (1 + p.noise * rng.uniform(-1, 1, tv.shape))
        dz = dz * (1 + p.noise * rng.uniform(-1, 1, dz.shape))
    tw = dz * x.astype(T)
    vt = v[:, :, 0].astype(T)
    grad = np.concatenate([
        vt * tw.astype(A).sum(axis=2).astype(T),
        vt * dz.astype(A).sum(axis=2).astype(T),
        tv.astype(A).sum(axis=2).astype(T),
        g.astype(A).sum(axis=1).astype(T)[:, None],
    ], axis=1)
    return loss, grad


def train_numpy(theta0, x, y, N, p: Precision, steps, lr=1e-2, decay=0.2, every=10000, beta1=0.9, beta2=0.999,
                eps=1e-8, seed=0):
    """Full-batch Adam (torch semantics) from theta0 (S, 3N+1) float64; returns final theta and the loss per step."""
    P = p.param
    Q = p.moments or P  # Adam's arithmetic
    W = np.result_type(P, Q)  # theta - step is taken in the wider of the two, then rounded to P
    rng = np.random.default_rng(seed)
    x, y = x.astype(p.data), y.astype(p.data)
    theta = theta0.astype(P)
    m1, m2 = np.zeros(theta.shape, Q), np.zeros(theta.shape, Q)
    losses = np.empty((steps + 1, theta.shape[0]))
    keep1, b2, keep2, eps_t = Q(1 - beta1), Q(beta2), Q(1 - beta2), Q(eps)
    for t in range(steps):
        if t > 0 and t % every == 0:
            lr *= decay
        losses[t], g = loss_and_grad(theta, x, y, N, p, rng)
        g = g.astype(Q)
        k = t + 1
        step_size, bias2_sqrt = Q(lr / (1 - beta1**k)), Q(np.sqrt(1 - beta2**k))
        m1 += keep1 * (g - m1)
        m2 = b2 * m2 + keep2 * g * g
        step = step_size * m1 / (np.sqrt(m2) / bias2_sqrt + eps_t)
        theta = (theta.astype(W) - step.astype(W)).astype(P)
        if p.param_noise:
            theta = theta * (1 + p.param_noise * rng.uniform(-1, 1, theta.shape))
    losses[steps] = loss_and_grad(theta, x, y, N, p, rng)[0]
    return theta.astype(F64), losses


def initial_theta(N, seeds):
    w, b, v, c = init.scaled_initial_parameters(1, N, seeds)
    return np.concatenate([w[:, :, 0], b, v, c[:, None]], axis=1)


def test_mse(theta, N, x, y):
    w, b, v, c = theta[:, :N, None], theta[:, N:2 * N], theta[:, 2 * N:3 * N], theta[:, 3 * N]
    return model.mse(w, b, v, c, x, y, "silu")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--steps", type=int, default=50000)
    ap.add_argument("--n-train", type=int, default=200)
    ap.add_argument("--check-steps", type=int, default=300)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS))
    ap.add_argument("--param-noise-exponents", nargs="*", type=int, default=[],
                    help="extra arms: float64 with parameter noise 2^-K (dose response of h_f64_pnoise)")
    args = ap.parse_args(argv)
    for k in args.param_noise_exponents:
        VARIANTS[f"h_pnoise_2^-{k}"] = Precision(param_noise=2.0**-k)
        args.variants.append(f"h_pnoise_2^-{k}")
    N, seeds = args.width, np.arange(args.seeds)
    base = TrainSettings("x2", "silu", N, steps=args.steps, n_train=args.n_train)
    x_tr, y_tr, x_te, y_te = tasks.make_dataset(base.data_spec())
    x, theta0 = x_tr[:, 0], initial_theta(N, seeds)

    # 1. step-by-step agreement with the package over the first check-steps steps (4 seeds)
    K = args.check_steps
    for name, dtype in (("a_f64", "float64"), ("b_f32", "float32")):
        s = TrainSettings("x2", "silu", N, steps=K, n_train=args.n_train, dtype=dtype, curve_points=K + 1)
        pkg = train(s, seeds[:4], threads=1).loss_curve.astype(F64)  # (4, K+1): loss before each step
        _, ours = train_numpy(theta0[:4], x, y_tr, N, VARIANTS[name], K)
        rel = np.abs(ours.T / pkg - 1)
        print(f"check {name} vs package {dtype}, {K} steps: max rel. loss difference at steps "
              + ", ".join(f"{t}: {rel[:, t].max():.1e}" for t in (0, 1, 10, 100, K)), flush=True)

    # 2. full schedule
    results = {}
    for name, extra in (("pkg_f64", {}), ("pkg_f64_ulp", dict(init_scale=1 + 2.0**-52)), ("pkg_f32", dict(dtype="float32"))):
        t0 = time.perf_counter()
        r = train(TrainSettings("x2", "silu", N, steps=args.steps, n_train=args.n_train, **extra), seeds, threads=1)
        results[name] = np.where(r.diverged, np.nan, r.test_loss)
        print(f"{name}: {time.perf_counter() - t0:.1f} s", flush=True)
    for name in args.variants:
        t0 = time.perf_counter()
        theta, losses = train_numpy(theta0, x, y_tr, N, VARIANTS[name], args.steps)
        results[name] = test_mse(theta, N, x_te, y_te)
        print(f"{name}: {time.perf_counter() - t0:.1f} s", flush=True)

    names = list(results)
    ref = results["pkg_f64"]
    print(f"\nSiLU N={N}, x2, M={args.n_train}, {args.steps} steps: final test MSE per seed")
    print("seed " + " ".join(f"{n:>12s}" for n in names))
    for k, sd in enumerate(seeds):
        print(f"{sd:4d} " + " ".join(f"{results[n][k]:12.5e}" for n in names))
    print("median per-seed ratio to pkg_f64:")
    print("     " + " ".join(f"{np.nanmedian(results[n] / ref):12.4f}" for n in names))
    print("seeds with ratio < 1 (of those moved by > 1e-6):")
    print("     " + " ".join(f"{int(np.sum(results[n] / ref < 1 - 1e-6)):>5d}/{int(np.sum(np.abs(results[n] / ref - 1) > 1e-6)):<6d}"
                             for n in names))
    print("ratio of medians to pkg_f64:")
    print("     " + " ".join(f"{np.nanmedian(results[n]) / np.nanmedian(ref):12.4f}" for n in names))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
