"""`lottery-scaling bridge-alignment`: init alignment of every neuron against its final contribution."""

from __future__ import annotations

import sys

from ....commands._limits import add_options as add_limit_options

HELP = "alignment at init vs final contribution of every neuron, and the best ticket's alignment ranks (d = 1 tasks)"
NEURON_COLUMNS = ["init_scale", "width", "seed", "neuron", "alignment", "angle_deg", "percentile", "contribution", "in_ticket"]
NETWORK_COLUMNS = ["init_scale", "width", "seed", "spearman", "ticket_i", "ticket_j", "ticket_r2", "ticket_percentile",
                   "p_value", "test_loss"]


def configure(p) -> None:
    p.add_argument("networks", nargs="+", help="trained-networks files (any widths and init scales of one d = 1 task)")
    p.add_argument("--out-neurons", required=True, help="CSV, one row per neuron")
    p.add_argument("--out-networks", required=True, help="CSV, one row per network")
    add_limit_options(p, "analysis", memory=False)


def run(args) -> int:
    import numpy as np

    from ..alignment import alignment_tables
    from ..data import load
    from ....tables import write_csv

    results = [load(p) for p in args.networks]
    from ....commands._limits import check
    from ....limits import ticket_search_work

    work = sum(ticket_search_work(r.seed.size, r.settings.width, r.settings.n_train) for r in results)
    check(args, "analysis", work, "ticket searches of networks " + ", ".join(
        f"{r.seed.size} x width {r.settings.width}" for r in results))
    neurons, nets = alignment_tables(results)
    write_csv(neurons, args.out_neurons, NEURON_COLUMNS)
    write_csv(nets, args.out_networks, NETWORK_COLUMNS)
    q = np.array([n["ticket_percentile"] for n in nets], dtype=float)
    print(f"bridge-alignment: {len(nets)} networks; mean ticket init-alignment percentile {np.nanmean(q):.3f} (null 0.5); "
          f"wrote {args.out_neurons}, {args.out_networks}", file=sys.stderr)
    return 0
