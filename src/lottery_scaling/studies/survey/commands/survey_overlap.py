"""`lottery-scaling survey-overlap`: the survey's test: IMP masks against supermasks on the same initial networks."""

from __future__ import annotations

import sys

from ....commands._argtypes import int_at_least
from ....commands._limits import add_options as add_limit_options
from ..settings import OverlapSettings
from ._common import label_text

HELP = ("Jaccard overlap of the weights and neurons kept by two or more methods (survey-imp, survey-edgepopup masks "
        "files; Zhou's supermask with --zhou) against random masks of the same sizes, and whether each keeps the "
        "trained network's best mirror pair (CSV tables)")
_D = OverlapSettings()


def configure(p) -> None:
    p.add_argument("--networks", required=True, help="the trained-networks file the masks were made on (best pair, Zhou)")
    p.add_argument("--masks", nargs="+", required=True, help="masks files of survey-imp and survey-edgepopup")
    p.add_argument("--zhou", action="store_true", help="add Zhou et al.'s supermask of the trained networks as a method")
    p.add_argument("--null-draws", type=int_at_least(1), default=_D.null_draws,
                   help="random mask pairs per network and keep (default %(default)s)")
    p.add_argument("--mask-seed", type=int_at_least(0), default=_D.mask_seed, help="seed of the random masks (default %(default)s)")
    p.add_argument("--max-seeds", type=int_at_least(1), default=None, help="only the first this many common seeds")
    p.add_argument("--label", type=label_text, default=None, help="experiment label of the rows (default: from the settings)")
    p.add_argument("--out-overlap", required=True, help="CSV, one row per network, keep and pair of methods")
    p.add_argument("--out-pairs", required=True, help="CSV, one row per network, keep and method: keeps the best pair?")
    add_limit_options(p, "analysis")


def run(args) -> int:
    import numpy as np

    from ....errors import UserError
    from ....tables import write_csv
    from ..masks import check_same_networks, read_masks
    from ..overlap import OVERLAP_COLUMNS, PAIR_COLUMNS, compare
    from ._common import default_label, load_networks

    networks = load_networks(args.networks)
    sets = {}
    for path in args.masks:
        m = read_masks(path)
        check_same_networks(args.networks, networks.settings, path, m.settings)
        name, n = m.method, 2
        while name in sets:
            name, n = f"{m.method}_{n}", n + 1
        sets[name] = m
    if args.zhou and "zhou" in sets:
        raise UserError("--zhou adds a method named zhou, which a masks file already uses")
    _check_limits(args, networks, sets)
    label = args.label or default_label(networks.settings)
    overlap, pairs = compare(networks, sets, label, args.zhou, args.null_draws, args.mask_seed, args.max_seeds)
    if not overlap:
        raise UserError("no network to compare: every common seed diverged in one of the methods")
    write_csv(overlap, args.out_overlap, OVERLAP_COLUMNS)
    write_csv(pairs, args.out_pairs, PAIR_COLUMNS)
    parts = []
    for key in sorted({(r["keep"], r["method_a"], r["method_b"]) for r in overlap}):
        sel = [r for r in overlap if (r["keep"], r["method_a"], r["method_b"]) == key]
        parts.append(f"keep {key[0]:g} {key[1]}/{key[2]}: Jaccard weights {np.median([r['jaccard_weights'] for r in sel]):.3f} "
                     f"(random {np.median([r['null_weights_mean'] for r in sel]):.3f})")
    print(f"survey-overlap {label} N={networks.settings.width}: " + "; ".join(parts)
          + f"; wrote {args.out_overlap}, {args.out_pairs}", file=sys.stderr)
    return 0


def _check_limits(args, networks, sets) -> None:
    """Refuse, before any null draw, a comparison past --max-work or --max-memory (docs/cli.md, "Limits")."""
    from ....commands._limits import check
    from ....limits import survey_overlap_estimate

    s = networks.settings.resolved()
    count = int(networks.seed.size) if args.max_seeds is None else min(int(networks.seed.size), args.max_seeds)
    keeps = min(len(m.keep) for m in sets.values())
    work, memory, detail = survey_overlap_estimate(count, s.width, s.n_train, keeps, len(sets) + bool(args.zhou),
                                                   args.null_draws, int(networks.w.shape[2]))
    check(args, "analysis", work, detail, memory, detail)
