"""`lottery-scaling survey-imp`: IMP with rewinding on the lottery networks: masks file and table."""

from __future__ import annotations

import sys

from ....commands._argtypes import h5_output, int_at_least
from ....commands._limits import add_options as add_limit_options
from ..settings import ImpSettings
from ._common import label_text, open_fraction

HELP = ("IMP with rewinding (global magnitude of w and v, biases never, rounds, rewound to init and retrained) on "
        "trained lottery networks: a masks file (for survey-overlap) and a CSV table")
_D = ImpSettings()
COLUMNS = ("label", "width", "seed", "sparsity", "keep", "sparsity_reached", "ticket_train_loss", "ticket_test_loss",
           "trained_test_loss", "kept_neurons", "diverged")


def configure(p) -> None:
    p.add_argument("--networks", required=True, help="trained-networks file (d = 1 task): round 1's final weights")
    p.add_argument("--sparsities", nargs="+", type=open_fraction, default=list(_D.sparsities),
                   help="target sparsities (default %(default)s)")
    p.add_argument("--rounds", type=int_at_least(1), default=_D.rounds, help="pruning rounds (default %(default)s)")
    p.add_argument("--max-seeds", type=int_at_least(1), default=None, help="only the first this many networks")
    p.add_argument("--threads", type=int_at_least(1), default=None, help="numba threads (default: all cores)")
    p.add_argument("--label", type=label_text, default=None, help="experiment label of the rows (default: from the settings)")
    p.add_argument("--out", required=True, type=h5_output, help="masks file (.h5)")
    p.add_argument("--out-table", required=True, help="CSV, one row per network and sparsity")
    add_limit_options(p, "train")


def run(args) -> int:
    from ._common import set_threads

    set_threads(args.threads)
    import numpy as np

    from ....errors import UserError
    from ....tables import write_csv
    from ..imp import imp
    from ..masks import Masks, write_masks
    from ..overlap import kept_neurons
    from ._common import check_train_limits, default_label, load_networks, seeds_subset

    if len(set(args.sparsities)) != len(args.sparsities):
        raise UserError(f"--sparsities holds a value twice: {args.sparsities}")
    settings = ImpSettings(sparsities=tuple(args.sparsities), rounds=args.rounds)
    settings.validate()
    result = seeds_subset(load_networks(args.networks), args.max_seeds)
    if result.settings.dtype != "float64":
        raise UserError(f"{args.networks}: IMP retrains in float64 only; these networks were trained in "
                        f"{result.settings.dtype}")
    ok = ~result.diverged
    if not ok.any():
        raise UserError(f"{args.networks}: every network diverged in training: nothing to prune")
    from dataclasses import replace

    result = replace(result, seed=result.seed[ok], w=result.w[ok], b=result.b[ok], v=result.v[ok], c=result.c[ok],
                     train_loss=result.train_loss[ok], test_loss=result.test_loss[ok], diverged=result.diverged[ok],
                     loss_curve=result.loss_curve[ok], snapshots=None)
    check_train_limits(args, "imp", result.settings, int(result.seed.size), keeps=len(settings.sparsities),
                       rounds=settings.rounds)
    label = args.label or default_label(result.settings)
    out = imp(result, settings.sparsities, settings.rounds, threads=args.threads)
    S, K = out.mask_v.shape[:2]
    N = result.settings.width
    masks = Masks("imp", out.settings, {"sparsities": list(settings.sparsities), "rounds": settings.rounds}, out.seed,
                  np.round(1.0 - out.sparsity, 12), out.mask_w, np.ones((S, K, N), dtype=bool), out.mask_v, out.ticket_train_loss,
                  out.ticket_test_loss, np.full((S, K), np.nan), out.diverged)
    neurons = kept_neurons(out.mask_w, out.mask_v).sum(axis=-1)
    rows = [{"label": label, "width": N, "seed": int(out.seed[k]), "sparsity": float(out.sparsity[j]),
             "keep": float(1.0 - out.sparsity[j]), "sparsity_reached": float(out.sparsity_reached[k, j]),
             "ticket_train_loss": float(out.ticket_train_loss[k, j]), "ticket_test_loss": float(out.ticket_test_loss[k, j]),
             "trained_test_loss": float(result.test_loss[k]), "kept_neurons": int(neurons[k, j]),
             "diverged": bool(out.diverged[k, j])} for k in range(S) for j in range(K)]
    write_masks(args.out, masks)
    write_csv(rows, args.out_table, COLUMNS)
    parts = [f"sparsity {p:g}: {np.median(out.ticket_test_loss[:, j]):.3g}" for j, p in enumerate(out.sparsity)]
    print(f"survey-imp {label} N={N}, {S} networks: median test MSE of the retrained tickets " + "; ".join(parts)
          + f" (unpruned {np.median(result.test_loss):.3g}); wrote {args.out}, {args.out_table}", file=sys.stderr)
    return 0
