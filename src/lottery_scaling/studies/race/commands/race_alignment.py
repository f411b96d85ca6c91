"""`lottery-scaling race-alignment`: norm vs alignment of one race setting (paper Figs 1, 4).

Per run and time (init, early, before_drop): Spearman(angle, log final |w_i||v_i|), the
exponential fit log(final norm) = a + k angle with its R^2, the median angle, the share of
aligned outgoing weights and the median |w||v|; and per checkpoint the median angle curve
with losses and accuracies.
"""

from __future__ import annotations

import sys

HELP = "norm vs alignment of one race setting: Spearman, exponential fit, median angle curve (CSV)"


def configure(p) -> None:
    p.add_argument("--runs", required=True, help="runs file of race-train")
    p.add_argument("--out-summary", required=True, help="CSV: one row per run and time (init, early, before_drop)")
    p.add_argument("--out-curve", required=True, help="CSV: one row per run and checkpoint (median angle, losses)")


def run(args) -> int:
    from lottery_scaling.tables import write_csv

    from .. import alignment
    from ._common import read_runs

    runs = read_runs(args.runs)
    rows = alignment.alignment_rows(runs)
    write_csv(rows, args.out_summary, alignment.ALIGNMENT_COLUMNS)
    write_csv(alignment.curve_rows(runs), args.out_curve, alignment.CURVE_COLUMNS)
    for r in rows:
        print(f"seed {r['seed']} {r['time']:>11} step {r['step']:>6}: median angle {r['median_angle']:.3g} deg, "
              f"Spearman {r['spearman']:.3g}", file=sys.stderr)
    return 0
