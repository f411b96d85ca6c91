"""How close can float32 medians be to float64's? The rounding floor of the float64 trainer itself.

The float32 goal (docs/lottery.md, float32) asks for test-MSE medians within 2% of float64's at every width of the default
configuration. Where networks are still moving along a flat valley at the end of training, any
change at the level of rounding moves the final loss; this script measures how much by training,
on the same seeds and schedule,

- `float64`: the reference;
- `float64_ulp`: float64 with the first layer's initial w, b multiplied by 1 + 2^-52 (init_scale,
  so each initial weight moves by at most one unit in the last place, about half of them do);
- `float32`: the float32 trainer;

and prints per (activation, width) the three medians with 95% bootstrap intervals over seeds and
the ratios float32/float64 and float64_ulp/float64. Where |float64_ulp/float64 - 1| is as large as
|float32/float64 - 1|, the float32 difference is the float64 trainer's own rounding sensitivity,
which no float32 (or reordered float64) trainer can remove.

    python benchmarks/float32_rounding_floor.py --out float32_floor.csv                 # the default config
    python benchmarks/float32_rounding_floor.py --activations silu --widths 2 3 --seeds 20 --out quick.csv

Cost: 3 x seeds x sum(widths) x n_train x steps neuron-sample-steps per activation (the default:
3 x 100 x 110 x 200 x 50000 = 3.3e11, about 4-5 min per activation on 2 cores).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time

import numpy as np

from lottery_scaling.bootstrap import median_interval
from lottery_scaling.studies.lottery.trainer import TrainSettings, train

ARMS = {"float64": dict(dtype="float64"), "float64_ulp": dict(dtype="float64", init_scale=1.0 + 2.0**-52),
        "float32": dict(dtype="float32")}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="x2")
    p.add_argument("--activations", nargs="+", default=["silu", "leaky_relu"])
    p.add_argument("--widths", nargs="+", type=int, default=[1, 2, 3, 4, 10, 20, 30, 40])
    p.add_argument("--seeds", type=int, default=100)
    p.add_argument("--n-train", type=int, default=200)
    p.add_argument("--steps", type=int, default=50000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--bootstrap", type=int, default=2000)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    seeds = np.arange(args.seeds)
    rows = []
    print("activation   N  float64 median [95% CI]            float64_ulp / float64     float32 / float64     "
          "seeds moved by 1 ulp")
    for act in args.activations:
        for width in args.widths:
            losses = {}
            for arm, extra in ARMS.items():
                t0 = time.perf_counter()
                s = TrainSettings(args.task, act, width, steps=args.steps, n_train=args.n_train, **extra)
                r = train(s, seeds, threads=args.threads)
                losses[arm] = np.where(r.diverged, np.nan, r.test_loss)
                med, lo, hi = median_interval(losses[arm][np.isfinite(losses[arm])], args.bootstrap, 0.95,
                                              np.random.default_rng(0))
                rows.append({"activation": act, "width": width, "arm": arm, "median": med, "ci_low": lo, "ci_high": hi,
                             "diverged": int(r.diverged.sum()), "seconds": round(time.perf_counter() - t0, 2)})
            meds = {r["arm"]: r for r in rows[-3:]}
            ref = meds["float64"]["median"]
            moved = int(np.sum(np.abs(losses["float64_ulp"] / losses["float64"] - 1) > 1e-6))
            print(f"{act:11s} {width:3d}  {ref:.4g} [{meds['float64']['ci_low']:.4g}, {meds['float64']['ci_high']:.4g}]"
                  f"    {meds['float64_ulp']['median'] / ref:10.4f}         {meds['float32']['median'] / ref:10.4f}"
                  f"          {moved}/{len(seeds)}", flush=True)
            for r in rows[-3:]:
                r["ratio_to_float64"] = r["median"] / ref
    with open(args.out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
