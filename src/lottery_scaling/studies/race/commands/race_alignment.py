"""`lottery-scaling race-alignment`: norm vs alignment of race settings (paper Figs 1, 4, 6).

Per setting, run and time (init, early, before_drop): Spearman(angle, log final |w_i||v_i|),
the exponential fit log(final norm) = a + k angle with its R^2 over all neurons and over the
bulk (angle below --bulk-max-angle) beside a power-law fit of the same neurons, the median
angle and its 1% quantile, the share of aligned outgoing weights, the medians of |w||v| and
|w|, and the angle fallen per unit of |w| grown since init; and per checkpoint the median
angle curve with losses and accuracies. Several runs files (the settings of one experiment)
go into one table: the other settings (a larger sigma) are the claims' nulls.
"""

from __future__ import annotations

import argparse
import sys

from ..settings import AlignmentSettings

HELP = "norm vs alignment of race settings: Spearman, exponential and power-law fits, median angle curve (CSV)"


def _angle(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an angle in (0, 180] degrees, got {text!r}") from None
    if not 0 < v <= 180:
        raise argparse.ArgumentTypeError(f"must be an angle in (0, 180] degrees, got {text!r}")
    return v


def configure(p) -> None:
    p.add_argument("--runs", nargs="+", required=True, help="runs files of race-train (one or more settings)")
    p.add_argument("--bulk-max-angle", type=_angle, default=AlignmentSettings().bulk_max_angle,
                   help="the bulk fits use neurons with an angle below this (degrees; default %(default)s)")
    p.add_argument("--out-summary", required=True, help="CSV: one row per setting, run and time (init, early, before_drop)")
    p.add_argument("--out-curve", required=True, help="CSV: one row per setting, run and checkpoint (median angle, losses)")


def run(args) -> int:
    from lottery_scaling.tables import write_csv

    from .. import alignment
    from ..trajectories import read_runs

    rows, curve = [], []
    for path in args.runs:
        runs = read_runs(path)
        mine = alignment.alignment_rows(runs, args.bulk_max_angle)
        rows += mine
        curve += alignment.curve_rows(runs)
        for r in mine:
            print(f"n {r['n']} d {r['width']} sigma {r['sigma']:g} seed {r['seed']} {r['time']:>11} step {r['step']:>6}: "
                  f"median angle {r['median_angle']:.3g} deg, Spearman {r['spearman']:.3g}", file=sys.stderr)
    write_csv(rows, args.out_summary, alignment.ALIGNMENT_COLUMNS)
    write_csv(curve, args.out_curve, alignment.CURVE_COLUMNS)
    return 0
