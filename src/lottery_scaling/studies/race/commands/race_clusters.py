"""`lottery-scaling race-clusters`: clusters of neurons at init, before the drop and at the end
(paper Fig 3), and merging each final cluster into one neuron (App. G table)."""

from __future__ import annotations

import sys

from ....commands._argtypes import number_in
from ..settings import ClusterSettings

HELP = "cluster counts of race networks at init / before the drop / end, and loss and accuracy after merging (CSV)"


_threshold = number_in(-1, 1, lo_closed=False, what="a cosine")


def configure(p) -> None:
    p.add_argument("--runs", nargs="+", required=True, help="runs files of race-train (any settings)")
    p.add_argument("--thresholds", nargs="+", type=_threshold, default=list(ClusterSettings().thresholds),
                   help="cos-sim thresholds (default %(default)s)")
    p.add_argument("--out-counts", required=True, help="CSV: clusters per setting, run, time and threshold")
    p.add_argument("--out-merge", required=True, help="CSV: loss and accuracy before and after merging (end of training)")


def run(args) -> int:
    from lottery_scaling.tables import write_csv

    from .. import clusters
    from ..trajectories import read_runs

    counts, merged = [], []
    for path in args.runs:
        runs = read_runs(path)
        counts += clusters.count_rows(runs, args.thresholds)
        merged += clusters.merge_rows(runs, args.thresholds)
    write_csv(counts, args.out_counts, clusters.COUNT_COLUMNS)
    write_csv(merged, args.out_merge, clusters.MERGE_COLUMNS)
    print(f"{len(counts)} cluster counts, {len(merged)} merges from {len(args.runs)} file(s)", file=sys.stderr)
    return 0
