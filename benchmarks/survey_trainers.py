#!/usr/bin/env python
"""Cost of the survey study's trainers against the lottery trainer, side by side in one run.

Workload: SiLU, target x^2, M = --n-train evenly spaced points on [-2, 2] (default 200), the
lottery schedule (lr 1e-2, x0.2 every 10000 steps), float64, --seeds networks per call on
--threads numba threads (default 2), equal steps for the three trainers at each width:

  lottery     lottery_scaling.studies.lottery.trainer.train (full network, Adam)
  edgepopup   lottery_scaling.studies.survey.edgepopup.train_edgepopup (keep 0.5, per layer,
              Adam on the scores; the lottery kernels on theta0 * mask + a quickselect)
  linearised  lottery_scaling.studies.survey.linearised.train_linearised (f0 + J dtheta, Adam)

Time = the kernel call only (each result's `seconds`, wall clock), after a warm-up call that
compiles or loads the numba cache; the process CPU time of each whole call is reported too (less
sensitive to other processes on a shared machine). Repeats are interleaved (lottery, edge-popup, linearised, lottery, ...),
so the ratios compare runs close in time; each is reported as the ratio of medians and as the
median of the per-repeat ratios. Cost ratio = seconds per network-step of the trainer divided by
the lottery trainer's (1.0 = as fast; the issue's target: within 2x).

    python benchmarks/survey_trainers.py                 # about a minute on 2 cores
    python benchmarks/survey_trainers.py --widths 10 100 --repeats 3

Prints a markdown table and writes results/survey_trainers-latest.json.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if (REPO / "src" / "lottery_scaling").is_dir():  # run from a checkout without installing
    sys.path.insert(0, str(REPO / "src"))

# lottery_scaling before numba: its CPU-feature setting must be in effect (see trainer_throughput.py)
import lottery_scaling  # noqa: E402,F401
from lottery_scaling.studies.lottery.trainer import TrainSettings, train  # noqa: E402
from lottery_scaling.studies.survey.edgepopup import EdgePopupSettings, train_edgepopup  # noqa: E402
from lottery_scaling.studies.survey.linearised import train_linearised  # noqa: E402

TRAINERS = ("lottery", "edgepopup", "linearised")


def _default_steps(width: int, seeds: int, n_train: int) -> int:
    # about 4e8 (neuron, sample, step) triples per call: 0.1-0.5 s on 2 cores
    return int(min(20000, max(200, 4e8 / (seeds * width * n_train))))


def _run(name, width, steps, seeds, n_train, threads):
    """(kernel wall seconds, process CPU seconds of the whole call)."""
    common = dict(steps=steps, n_train=n_train, n_test=101, curve_points=2)
    cpu = time.process_time()
    if name == "lottery":
        wall = train(TrainSettings("x2", "silu", width, **common), seeds, threads=threads).seconds
    elif name == "edgepopup":
        wall = train_edgepopup(EdgePopupSettings("x2", "silu", width, keep=0.5, **common), seeds, threads=threads).seconds
    else:
        wall = train_linearised(TrainSettings("x2", "silu", width, **common), seeds, threads=threads).seconds
    return wall, time.process_time() - cpu


def _git_commit():
    try:
        return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _loadavg():
    try:
        return Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--n-train", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=4, help="networks per call")
    parser.add_argument("--steps", type=int, default=None, help="steps per network (default: by width)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)

    seeds = np.arange(args.seeds)
    load_before = _loadavg()
    rows = []
    for width in args.widths:
        steps = args.steps or _default_steps(width, args.seeds, args.n_train)
        for name in TRAINERS:  # warm-up: compile or load the numba cache
            _run(name, width, min(steps, 20), seeds, args.n_train, args.threads)
        times = {name: [] for name in TRAINERS}
        cpu = {name: [] for name in TRAINERS}
        for r in range(args.repeats):
            for name in TRAINERS:
                wall, used = _run(name, width, steps, seeds, args.n_train, args.threads)
                times[name].append(wall)
                cpu[name].append(used)
            print(f"N={width} repeat {r + 1}/{args.repeats}: " +
                  ", ".join(f"{n} {times[n][-1]:.3f} s ({cpu[n][-1]:.3f} CPU s)" for n in TRAINERS), flush=True)
        med = {n: statistics.median(t) for n, t in times.items()}
        row = {"width": width, "steps": steps, "seeds": args.seeds, "n_train": args.n_train, "times": times,
               "cpu_seconds": cpu, "net_steps_per_s": {n: args.seeds * steps / med[n] for n in TRAINERS}}
        for n in TRAINERS[1:]:
            row[f"{n}_cost_ratio"] = med[n] / med["lottery"]
            row[f"{n}_cost_ratio_paired"] = statistics.median(a / b for a, b in zip(times[n], times["lottery"]))
            row[f"{n}_cpu_ratio"] = statistics.median(cpu[n]) / statistics.median(cpu["lottery"])
        rows.append(row)
    load_after = _loadavg()

    lines = [
        f"SiLU x^2, M = {args.n_train}, float64, {args.seeds} networks per call on {args.threads} threads, "
        f"medians of {args.repeats} interleaved repeats (load average before {load_before}, after {load_after}).",
        "",
        "| N | steps | lottery net-steps/s | edge-popup net-steps/s | linearised net-steps/s "
        "| edge-popup cost / lottery | linearised cost / lottery | CPU-time ratios (edge-popup, linearised) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        rate = row["net_steps_per_s"]
        lines.append(
            f"| {row['width']} | {row['steps']} | {rate['lottery']:.3g} | {rate['edgepopup']:.3g} | "
            f"{rate['linearised']:.3g} | {row['edgepopup_cost_ratio']:.2f} ({row['edgepopup_cost_ratio_paired']:.2f}) | "
            f"{row['linearised_cost_ratio']:.2f} ({row['linearised_cost_ratio_paired']:.2f}) | "
            f"{row['edgepopup_cpu_ratio']:.2f}, {row['linearised_cpu_ratio']:.2f} |")
    lines.append("")
    lines.append("Cost ratios: kernel wall time, ratio of medians (median of per-repeat ratios in brackets); "
                 "CPU-time ratios: process CPU time of the whole call, ratio of medians; < 1 is cheaper than the "
                 "lottery trainer.")
    text = "\n".join(lines)
    print()
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = {"time": stamp, "commit": _git_commit(), "args": {k: str(v) for k, v in vars(args).items()},
              "loadavg_before": load_before, "loadavg_after": load_after, "rows": rows, "markdown": text}
    (args.out / "survey_trainers-latest.json").write_text(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
