"""Wide SiLU networks: keep the activations between the passes, or the fused wide step?

The trainer's SiLU kernel normally keeps each neuron's sigmoids (N x M values) from the
forward pass for the backward pass, with loops vectorised over samples. For wide networks
that array no longer fits in cache (76 MiB at N = 10000, M = 1000) and streams through
memory every step. The wide step (`_kernels._step_wide_silu`) instead fuses forward, loss
and backward per mirrored sample pair, vectorised over neurons, so only two rows of N
sigmoids are live. This script times one training step both ways at several widths, with
1 network on 1 thread and 2 networks on 2 threads (they share the memory bus), and prints
the ratio; `trainer.STORE_LIMIT_BYTES` (the switch between them) is chosen from it.

Timing: `TrainResult.seconds` (the kernel call) of a long and a short run, differenced,
so set-up and the final evaluation cancel; medians of interleaved repeats.

With float32 in --dtypes (the default) it also times the wide step in float32 and prints
its speed relative to float64 (float64 ms / float32 ms, paired by repeat; docs/performance.md, float32).

    python benchmarks/wide_networks.py                       # about 4 minutes
    python benchmarks/wide_networks.py --widths 1000 10000 --repeats 3
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics

import numpy as np

from lottery_scaling.studies.lottery import trainer
from lottery_scaling.studies.lottery.trainer import TrainSettings, train

MODES = {"keep": 2**62, "wide": 0}  # STORE_LIMIT_BYTES for each mode


def step_ms(width: int, networks: int, mode: str, steps: int, dtype: str = "float64") -> float:
    trainer.STORE_LIMIT_BYTES = MODES[mode]
    settings = TrainSettings("x2", "silu", width=width, lr_decay_every=10**9, n_test=11, dtype=dtype)
    seeds = np.arange(networks)
    short = train(dataclasses.replace(settings, steps=steps), seeds, threads=networks).seconds
    long = train(dataclasses.replace(settings, steps=3 * steps), seeds, threads=networks).seconds
    return (long - short) / (2 * steps) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[50, 200, 1000, 10000])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtypes", nargs="+", choices=["float64", "float32"], default=["float64", "float32"])
    args = parser.parse_args()
    f32 = "float32" in args.dtypes
    default_limit = trainer.STORE_LIMIT_BYTES
    for dtype in args.dtypes:
        step_ms(10, 1, "keep", 5, dtype)  # compile
        step_ms(10, 1, "wide", 5, dtype)
    print(f"current STORE_LIMIT_BYTES = {default_limit} ({default_limit / 2**20:.0f} MiB)")
    print("| N | activations per network (float64) | networks = threads | keep ms/step | wide ms/step | keep / wide |"
          + (" wide float32 ms/step | wide float32 speed / float64 |" if f32 else ""))
    print("|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if f32 else ""))
    for width in args.widths:
        steps = max(10, int(4e5 / width))  # about the same work at every width
        for threads in args.threads:
            times = {mode: [] for mode in list(MODES) + (["wide32"] if f32 else [])}
            for _ in range(args.repeats):
                for mode in MODES:
                    times[mode].append(step_ms(width, threads, mode, steps))
                if f32:
                    times["wide32"].append(step_ms(width, threads, "wide", steps, "float32"))
            keep, wide = statistics.median(times["keep"]), statistics.median(times["wide"])
            ratio = statistics.median(k / r for k, r in zip(times["keep"], times["wide"]))
            line = f"| {width} | {width * 1000 * 8 / 2**20:.1f} MiB | {threads} | {keep:.3f} | {wide:.3f} | {ratio:.2f} |"
            if f32:
                speed = statistics.median(a / b for a, b in zip(times["wide"], times["wide32"]))
                line += f" {statistics.median(times['wide32']):.3f} | {speed:.2f}x |"
            print(line, flush=True)
    trainer.STORE_LIMIT_BYTES = default_limit


if __name__ == "__main__":
    main()
