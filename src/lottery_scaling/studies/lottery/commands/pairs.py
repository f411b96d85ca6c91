"""`lottery-scaling pairs`: pair the neurons of every network of one width into lottery tickets."""

from __future__ import annotations

import sys

from ....commands._argtypes import positive_float
from ..pairs.settings import PairSettings

_D = PairSettings()

HELP = "pair symmetric neurons into lottery tickets (d = 1); per-ticket R^2 and independent-ticket counts"

TICKET_COLUMNS = [
    "seed", "ticket", "neuron_pos", "neuron_neg", "w_pos", "b_pos", "v_pos", "w_neg", "b_neg", "v_neg",
    "distance", "asymmetry", "r2", "slope", "intercept",
]
NETWORK_COLUMNS = [
    "seed", "width", "train_loss", "test_loss", "n_pairs", "n_unmatched", "n_unmatched_on_axis", "median_asymmetry", "max_asymmetry",
    "best_r2", "median_r2", "participation_ratio", "n_components_99", "mirror_nn_ratio", "mirror_nn_median",
    "plain_nn_median", "n_active", "w_scale", "mirror_nn_ratio_init",
]


def configure(p) -> None:
    p.add_argument("input", help="merged trained-networks file of one experiment and width (d = 1 task)")
    p.add_argument("--out-tickets", required=True, help="CSV, one row per ticket (mirror pair)")
    p.add_argument("--out-networks", required=True, help="CSV, one row per network")
    p.add_argument("--w-scale", type=positive_float, default=None,
                   help="weight scale s of the mirror distance sqrt(s^2 (w_i+w_j)^2 + (b_i-b_j)^2) "
                        "(default: RMS of the training inputs, i.e. the RMS pre-activation difference)")
    p.add_argument("--symmetric-threshold", type=positive_float, default=_D.symmetric_threshold,
                   help="an unmatched neuron with s|w| / sqrt(s^2 w^2 + b^2) below this is on the axis w = 0, i.e. "
                        "its own mirror (column n_unmatched_on_axis; default %(default)s)")
    p.add_argument("--dead-tol", type=positive_float, default=_D.dead_tol,
                   help="a neuron whose output contribution has RMS < DEAD_TOL * std(target) is inactive and left out "
                        "of the symmetric-neuron statistic (default %(default)s)")
    p.add_argument("--variance", type=float, default=_D.variance,
                   help="share of the error variance for the component count (default %(default)s)")


def run(args) -> int:
    import numpy as np
    import pandas as pd

    from ....errors import UserError
    from ..init import initial_parameters
    from ..pairs.pairing import mirror_nn_ratio, on_axis
    from ..pairs.tickets import active_neurons, analyse_network
    from ....tables import write_csv
    from ..pairs.data import load_d1, w_scale_for

    if not 0 < args.variance <= 1:
        raise UserError(f"--variance must be in (0, 1], got {args.variance}")
    res, ok, x, y, _, _ = load_d1(args.input)
    s = w_scale_for(x, args.w_scale)
    act = res.settings.activation
    # The null of the symmetric-neuron statistic: the same networks before training. Their
    # U(-1, 1) weights and biases are already mirror-symmetric in distribution.
    w_init, b_init, _, _ = initial_parameters(1, res.settings.width, res.seed, res.settings.init_seed)
    tickets, networks = [], []
    for i in np.flatnonzero(ok):
        w, b, v = res.w[i, :, 0], res.b[i], res.v[i]
        nt = analyse_network(w, b, v, x, y, act, s, args.variance)
        pr, fit = nt.pairing, nt.fit
        for k in range(pr.n_pairs):
            p, q = pr.pos[k], pr.neg[k]
            tickets.append([int(res.seed[i]), k, int(p), int(q), w[p], b[p], v[p], w[q], b[q], v[q],
                            pr.distance[k], pr.asymmetry[k], fit.r2[k], fit.slope[k], fit.intercept[k]])
        active = active_neurons(w, b, v, x, act, float(np.std(y)), args.dead_tol)
        ratio, med_m, med_p = mirror_nn_ratio(w[active], b[active], s)
        has = pr.n_pairs > 0
        networks.append([
            int(res.seed[i]), res.settings.width, res.train_loss[i], res.test_loss[i], pr.n_pairs, pr.unmatched.size,
            int(on_axis(w[pr.unmatched], b[pr.unmatched], s, args.symmetric_threshold).sum()),
            float(np.median(pr.asymmetry)) if has else np.nan, float(np.max(pr.asymmetry)) if has else np.nan,
            float(np.max(fit.r2)) if has else np.nan, float(np.median(fit.r2)) if has else np.nan,
            nt.participation_ratio, nt.n_components_99, ratio, med_m, med_p, int(active.sum()), s,
            mirror_nn_ratio(w_init[i, :, 0], b_init[i], s)[0],
        ])
    write_csv(pd.DataFrame(tickets, columns=TICKET_COLUMNS), args.out_tickets, TICKET_COLUMNS, float_format=None)
    nets = pd.DataFrame(networks, columns=NETWORK_COLUMNS)
    write_csv(nets, args.out_networks, nets.columns, float_format=None)
    print(
        f"pairs: {len(nets)} networks of width {res.settings.width} ({int((~ok).sum())} diverged skipped), "
        f"{len(tickets)} tickets; median participation ratio {nets['participation_ratio'].median():.3g}, "
        f"median n99 {nets['n_components_99'].median():.3g}; wrote {args.out_tickets}, {args.out_networks}",
        file=sys.stderr,
    )
    return 0
