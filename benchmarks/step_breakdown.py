"""Where one training step of the numba trainer spends its time (d = 1, SiLU, float64).

Times the four parts of a step separately, each called in a compiled loop on the same
arrays the trainer uses (symmetric grid in mirrored-pair order): the forward pass
(`_forward_1d`), the loss and output gradient, the backward pass (`_backward_1d`) and the
Adam update. Prints median ns per step and each part's share, per width.

    python benchmarks/step_breakdown.py [--widths 2 10 50] [--repeats 11] [--n-train 1000]

With --ablations it also times stripped copies of the SiLU mirrored-pair forward loop
(the dominant part) side by side: as in the kernel, with one division per pair instead of
two, without the divisions, without the exp. Those copies compute wrong values on
purpose; they only bound what removing each operation could gain.

Use it to decide what to optimise next; trainer_throughput.py is the end-to-end number.
One thread; medians of interleaved repeats of the thread's CPU time (time.thread_time), which
is steadier than wall time on a shared machine.
"""

from __future__ import annotations

import argparse
import time

import lottery_scaling  # noqa: F401  (sets numba's CPU features before numba is imported)
import numpy as np
from numba import njit

from lottery_scaling.studies.lottery import _kernels as K
from lottery_scaling.studies.lottery import tasks
from lottery_scaling.studies.lottery.trainer import _mirrored_order


@njit(error_model="numpy")
def _loop_forward(R, act, w, b, v, c, x, f, keep, half, x_max):
    for _ in range(R):
        K._forward_1d(act, w, b, v, c, x, f, keep, half, x_max, True)


@njit(error_model="numpy")
def _loop_loss(R, f, y, g):
    total = 0.0
    for _ in range(R):
        loss, _gc = K._loss_and_output_grad(f, y, g)
        total += loss
    return total


@njit(error_model="numpy")
def _loop_backward(R, act, w, b, v, x, g, gc, keep, half, x_max, grad):
    for _ in range(R):
        K._backward_1d(act, w, b, v, x, g, gc, keep, half, x_max, True, grad)


@njit(error_model="numpy")
def _loop_adam(R, theta, grad, m1, m2):
    for r in range(R):
        K._adam_update(theta, grad, m1, m2, 1e-12, 0.9, 0.999, 1e-8, r + 1)


# ---- ablations of the SiLU mirrored-pair forward loop (see _kernels._forward_1d) ----

@njit(fastmath=K.FASTMATH, error_model="numpy")
def _pairs_as_kernel(w, b, v, c, x, f, keep, half):
    for i in range(w.shape[0]):
        wi, bi, vi, ki = w[i, 0], b[i], v[i], keep[i]
        e = K._exp(-bi)
        for m in range(half):
            u = K._exp(-(wi * x[m]))
            s_left = 1.0 / (1.0 + e * u)
            s_right = u / (u + e)
            ki[m] = s_left
            ki[half + m] = s_right
            f[m] = (c if i == 0 else f[m]) + vi * ((wi * x[m] + bi) * s_left)
            f[half + m] = (c if i == 0 else f[half + m]) + vi * ((wi * x[half + m] + bi) * s_right)


@njit(fastmath=K.FASTMATH, error_model="numpy")
def _pairs_one_division(w, b, v, c, x, f, keep, half):
    for i in range(w.shape[0]):
        wi, bi, vi, ki = w[i, 0], b[i], v[i], keep[i]
        e = K._exp(-bi)
        for m in range(half):
            u = K._exp(-(wi * x[m]))
            left = 1.0 + e * u
            right = u + e
            r = 1.0 / (left * right)
            s_left = right * r
            s_right = (u * left) * r
            ki[m] = s_left
            ki[half + m] = s_right
            f[m] = (c if i == 0 else f[m]) + vi * ((wi * x[m] + bi) * s_left)
            f[half + m] = (c if i == 0 else f[half + m]) + vi * ((wi * x[half + m] + bi) * s_right)


@njit(fastmath=K.FASTMATH, error_model="numpy")
def _pairs_no_division(w, b, v, c, x, f, keep, half):
    for i in range(w.shape[0]):
        wi, bi, vi, ki = w[i, 0], b[i], v[i], keep[i]
        e = K._exp(-bi)
        for m in range(half):
            u = K._exp(-(wi * x[m]))
            s_left = 1.0 + e * u
            s_right = u * (u + e)
            ki[m] = s_left
            ki[half + m] = s_right
            f[m] = (c if i == 0 else f[m]) + vi * ((wi * x[m] + bi) * s_left)
            f[half + m] = (c if i == 0 else f[half + m]) + vi * ((wi * x[half + m] + bi) * s_right)


@njit(fastmath=K.FASTMATH, error_model="numpy")
def _pairs_no_exp(w, b, v, c, x, f, keep, half):
    for i in range(w.shape[0]):
        wi, bi, vi, ki = w[i, 0], b[i], v[i], keep[i]
        e = K._exp(-bi)
        for m in range(half):
            u = 1.0 + 0.01 * (wi * x[m])
            s_left = 1.0 / (1.0 + e * u)
            s_right = u / (u + e)
            ki[m] = s_left
            ki[half + m] = s_right
            f[m] = (c if i == 0 else f[m]) + vi * ((wi * x[m] + bi) * s_left)
            f[half + m] = (c if i == 0 else f[half + m]) + vi * ((wi * x[half + m] + bi) * s_right)


def ablations(width: int, n_train: int, repeats: int) -> dict[str, float]:
    """ns per (neuron, sample) of each stripped copy of the pair loop."""
    x0 = tasks._grid(-2.0, 2.0, 2 * (n_train // 2))[: n_train // 2]
    x = np.concatenate([x0, -x0])
    half, M = x0.size, x.size
    rng = np.random.default_rng(0)
    w, b, v = rng.uniform(-1, 1, (width, 1)), rng.uniform(-1, 1, width), rng.uniform(-1, 1, width)
    f, keep = np.zeros(M), np.zeros((width, M))
    R = max(100, 100_000 // width)
    loops = {"as kernel": _pairs_as_kernel, "one division per pair": _pairs_one_division,
             "no division": _pairs_no_division, "no exp": _pairs_no_exp}
    for loop in loops.values():
        loop(w, b, v, 0.1, x, f, keep, half)
    times = {name: [] for name in loops}
    for _ in range(repeats):
        for name, loop in loops.items():
            start = time.thread_time()
            for _ in range(R):
                loop(w, b, v, 0.1, x, f, keep, half)
            times[name].append((time.thread_time() - start) / (R * width * M) * 1e9)
    base = np.asarray(times["as kernel"])
    return {name: (float(np.median(t)), float(np.median(base / np.asarray(t)))) for name, t in times.items()}


def breakdown(width: int, n_train: int, repeats: int) -> dict[str, float]:
    x_train, y_train, _, _ = tasks.make_dataset(tasks.DataSpec(task="x2", n_train=n_train, n_test=11))
    order, half = _mirrored_order(x_train)
    x = np.ascontiguousarray(x_train[order, 0])
    y = np.ascontiguousarray(y_train[order])
    x_max = float(np.max(np.abs(x)))
    rng = np.random.default_rng(0)
    N, M = width, x.size
    theta = rng.uniform(-1, 1, size=3 * N + 1)
    w, b, v = theta[:N].reshape(N, 1), theta[N : 2 * N], theta[2 * N : 3 * N]
    f, g = np.empty(M), np.empty(M)
    keep = np.empty((N, M))
    grad, m1, m2 = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    R = max(100, 100_000 // N)
    parts = {
        "forward": lambda: _loop_forward(R, K.SILU, w, b, v, 0.1, x, f, keep, half, x_max),
        "loss": lambda: _loop_loss(R, f, y, g),
        "backward": lambda: _loop_backward(R, K.SILU, w, b, v, x, g, 0.1, keep, half, x_max, grad),
        "adam": lambda: _loop_adam(R, theta.copy(), grad, m1, m2),
    }
    for run in parts.values():  # compile and warm up
        run()
    times = {name: [] for name in parts}
    for _ in range(repeats):
        for name, run in parts.items():
            start = time.thread_time()
            run()
            times[name].append((time.thread_time() - start) / R * 1e9)
    return {name: float(np.median(t)) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[2, 10, 50])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--ablations", action="store_true", help="also time stripped copies of the SiLU pair loop")
    args = parser.parse_args()
    print("| N | forward | loss | backward | adam | total ns/step | ns per neuron-sample |")
    print("|---|---|---|---|---|---|---|")
    for width in args.widths:
        ns = breakdown(width, args.n_train, args.repeats)
        total = sum(ns.values())
        cells = " | ".join(f"{ns[k]:.0f} ({100 * ns[k] / total:.0f}%)" for k in ("forward", "loss", "backward", "adam"))
        print(f"| {width} | {cells} | {total:.0f} | {total / (width * args.n_train):.3f} |")
    if args.ablations:
        print("\nSiLU mirrored-pair forward loop, stripped copies (speed-up = as kernel / variant):")
        print("| N | " + " | ".join(["as kernel", "one division per pair", "no division", "no exp"]) + " |")
        print("|---|---|---|---|---|")
        for width in args.widths:
            res = ablations(width, args.n_train, args.repeats)
            print(f"| {width} | " + " | ".join(f"{ns:.3f} ns ({ratio:.2f}x)" for ns, ratio in res.values()) + " |")


if __name__ == "__main__":
    main()
