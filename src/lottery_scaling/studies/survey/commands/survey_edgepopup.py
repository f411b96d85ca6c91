"""`lottery-scaling survey-edgepopup`: strong tickets (edge-popup) of the lottery networks: masks file and table."""

from __future__ import annotations

import argparse
import json
import sys

from ....commands._argtypes import h5_output, int_at_least
from ....commands._limits import add_options as add_limit_options
from ..settings import EdgePopupSweepSettings
from ._common import keep_fraction, label_text

HELP = ("edge-popup strong tickets (weights frozen at init, scores trained, top-k kept) of the lottery networks "
        "at several keep fractions: a masks file (for survey-overlap) and a CSV table")
_D = EdgePopupSweepSettings()


def _train_settings(text: str):
    from ....errors import UserError
    from ...lottery.networks import settings_from_dict

    try:
        values = json.loads(text)
        if not isinstance(values, dict):
            raise TypeError("not a JSON object")
        settings = settings_from_dict(values)
        settings.validate()
    except (json.JSONDecodeError, RecursionError, TypeError, ValueError, UserError) as exc:
        raise argparse.ArgumentTypeError(f"must be a JSON object of lottery training settings (task, activation, "
                                         f"width, ...): {exc}") from None
    return settings


def configure(p) -> None:
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--networks", help="trained-networks file: its settings and seeds (and trained losses) are used")
    source.add_argument("--train-settings", type=_train_settings,
                        help="JSON of lottery training settings (task, activation, width, steps, lr, ...), with --seeds")
    p.add_argument("--seeds", default=None, help="with --train-settings: START:STOP, N or N,M,...")
    p.add_argument("--keeps", nargs="+", type=keep_fraction, default=list(_D.keeps), help="keep fractions (default %(default)s)")
    p.add_argument("--scope", choices=("layer", "global"), default=_D.scope, help="top-k per layer or over all (default %(default)s)")
    p.add_argument("--optimizer", choices=("adam", "sgd"), default=_D.optimizer, help="optimiser of the scores (default %(default)s)")
    p.add_argument("--score-seed", type=int_at_least(0), default=_D.score_seed, help="seed of the initial scores (default %(default)s)")
    p.add_argument("--max-seeds", type=int_at_least(1), default=None, help="only the first this many networks")
    p.add_argument("--threads", type=int_at_least(1), default=None, help="numba threads (default: all cores)")
    p.add_argument("--label", type=label_text, default=None, help="experiment label of the rows (default: from the settings)")
    p.add_argument("--out", required=True, type=h5_output, help="masks file (.h5)")
    p.add_argument("--out-table", required=True, help="CSV, one row per network and keep")
    add_limit_options(p, "train")


def run(args) -> int:
    from ._common import set_threads

    set_threads(args.threads)
    import numpy as np

    from ....errors import UserError
    from ....tables import write_csv
    from ...lottery.tasks import input_dim
    from ...lottery.trainer import parse_seeds
    from ..masks import write_masks
    from ..strong import EDGEPOPUP_COLUMNS, run_edgepopup
    from ._common import check_train_limits, default_label, load_networks, seeds_subset

    sweep = EdgePopupSweepSettings(keeps=tuple(args.keeps), scope=args.scope, optimizer=args.optimizer,
                                   score_seed=args.score_seed)
    sweep.validate()
    if args.networks:
        if args.seeds is not None:
            raise UserError("--seeds goes with --train-settings; --networks brings its own seeds")
        result = seeds_subset(load_networks(args.networks), args.max_seeds)
        settings, seeds, trained = result.settings, result.seed, result.test_loss
        trained = np.where(result.diverged, np.nan, trained)
    else:
        if args.seeds is None:
            raise UserError("--train-settings needs --seeds")
        settings, trained = args.train_settings, None
        if input_dim(settings.task) != 1:
            raise UserError(f"the survey study needs a one-input task, got {settings.task}")
        if settings.dtype != "float64":
            raise UserError(f"edge-popup runs in float64 only, got dtype {settings.dtype!r}")
        seeds = parse_seeds(args.seeds)[: args.max_seeds]
    check_train_limits(args, "edgepopup", settings, len(seeds), keeps=len(sweep.keeps))
    label = args.label or default_label(settings)
    masks, rows = run_edgepopup(settings, seeds, sweep, label, threads=args.threads, trained_test_loss=trained)
    write_masks(args.out, masks)
    write_csv(rows, args.out_table, EDGEPOPUP_COLUMNS)
    parts = [f"keep {k:g}: {np.median(masks.test_loss[:, j]):.3g} (random mask {np.median(masks.start_test_loss[:, j]):.3g})"
             for j, k in enumerate(masks.keep)]
    print(f"survey-edgepopup {label} N={settings.width}, {len(seeds)} networks: median test MSE " + "; ".join(parts)
          + f"; wrote {args.out}, {args.out_table}", file=sys.stderr)
    return 0
