"""`lottery-scaling survey-supermask`: Zhou et al.'s supermasks on the untrained networks against random masks."""

from __future__ import annotations

import sys

from ....commands._argtypes import int_at_least, int_in_range
from ....commands._limits import add_options as add_limit_options
from ..settings import SupermaskSettings
from ._common import keep_fraction, label_text

HELP = ("Zhou et al.'s 'large final, same sign' supermasks applied to the untrained networks (kept weights at init "
        "or as signed constants) against random masks of the same size (CSV)")
_D = SupermaskSettings()


def configure(p) -> None:
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--networks", help="trained-networks file of the lottery study (d = 1 task)")
    source.add_argument("--runs", help="runs file of race-train (the race classifier; init and end snapshots)")
    p.add_argument("--keeps", nargs="+", type=keep_fraction, default=list(_D.keeps),
                   help="fractions of the prunable weights kept (default %(default)s)")
    p.add_argument("--scope", choices=("global", "layer"), default=_D.scope,
                   help="one ranking over every prunable weight, or one per layer (default %(default)s)")
    p.add_argument("--include-biases", action="store_true", help="lottery networks: rank the biases b with the first layer")
    p.add_argument("--random-draws", type=int_in_range(1, 1001, "1001"), default=_D.random_draws,
                   help="random masks per network and keep (default %(default)s)")
    p.add_argument("--mask-seed", type=int_at_least(0), default=_D.mask_seed, help="seed of the random masks (default %(default)s)")
    p.add_argument("--label", type=label_text, default=None, help="experiment label of the rows (default: from the file's settings)")
    p.add_argument("--out", required=True, help="CSV, one row per network, keep, mask (and draw) and weights mode")
    add_limit_options(p, "analysis")


def run(args) -> int:
    import numpy as np

    from ....tables import write_csv
    from .. import zhou
    from ._common import default_label, load_networks

    settings = SupermaskSettings(keeps=tuple(args.keeps), scope=args.scope, include_biases=args.include_biases,
                                 random_draws=args.random_draws, mask_seed=args.mask_seed)
    settings.validate()
    if args.networks:
        result = load_networks(args.networks)
        _check_limits(args, result, settings)
        label = args.label or default_label(result.settings)
        rows = zhou.lottery_rows(result, settings, label)
        metric, fmt = "loss", "{:.3g}"
    else:
        from ...race.trajectories import read_runs

        runs = read_runs(args.runs)
        s = runs.settings
        label = args.label or f"race_{runs.task.name}_n{runs.task.n}_d{s['width']}_sigma{s['sigma']:g}"
        rows = zhou.race_rows(runs, settings, label)
        metric, fmt = "accuracy", "{:.3f}"
    write_csv(rows, args.out, zhou.SUPERMASK_COLUMNS)
    parts = []
    for keep in settings.keeps:
        sel = [r for r in rows if r["keep"] == keep and r["weights"] == "init"]
        sup = np.median([r[metric] for r in sel if r["mask"] == "supermask"])
        rnd = np.median([r[metric] for r in sel if r["mask"] == "random"])
        parts.append(f"keep {keep:g}: {fmt.format(sup)} vs {fmt.format(rnd)}")
    print(f"survey-supermask {label}: median test {metric}, supermask vs random (weights at init): "
          + "; ".join(parts) + f"; wrote {args.out}", file=sys.stderr)
    return 0


def _check_limits(args, result, settings) -> None:
    """Refuse, before any mask, a job past --max-work or --max-memory (docs/cli.md, "Limits")."""
    from ....commands._limits import check
    from ....limits import survey_supermask_estimate

    s = result.settings.resolved()
    work, memory, detail = survey_supermask_estimate(int(result.seed.size), s.width, s.n_test, len(settings.keeps),
                                                     settings.random_draws, int(result.w.shape[2]))
    check(args, "analysis", work, detail, memory, detail)
