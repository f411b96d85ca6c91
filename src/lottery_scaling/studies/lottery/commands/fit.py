"""`lottery-scaling fit`: power law of median test loss versus width, with bootstrap intervals."""

from __future__ import annotations

import argparse

from ....commands._argtypes import int_at_least
from ....commands._limits import add_options as add_limit_options

HELP = "fit median test MSE ~ N^-alpha over width ranges; local slopes; bootstrap intervals over seeds"

MEDIAN_COLUMNS = ("width", "n_seeds", "n_diverged", "n_used", "median_loss", "median_ci_low", "median_ci_high")
SLOPE_COLUMNS = ("width_low", "width_high", "local_slope", "slope_ci_low", "slope_ci_high")
EXPONENT_COLUMNS = (
    "range", "range_low", "range_high", "widths_used", "n_widths", "alpha", "alpha_ci_low", "alpha_ci_high", "prefactor",
)


def _range(text: str):
    try:
        name, lo, hi = text.split(":")
        lo, hi = float(lo), float(hi)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be NAME:LO:HI (e.g. n1:10:50), got {text!r}") from None
    if not name or not 0 < lo <= hi:
        raise argparse.ArgumentTypeError(f"must be NAME:LO:HI with 0 < LO <= HI, got {text!r}")
    return name, (lo, hi)


def configure(p) -> None:
    from ..fit import FitSettings

    d = FitSettings()
    p.add_argument("inputs", nargs="+", help="merged trained-networks HDF5 files of one experiment (one per width)")
    p.add_argument("--range", dest="ranges", action="append", type=_range, default=[], metavar="NAME:LO:HI",
                   help="width range (inclusive) to fit a power law on; repeatable")
    p.add_argument("--out-medians", required=True, help=f"CSV: {', '.join(MEDIAN_COLUMNS)}")
    p.add_argument("--out-slopes", required=True, help=f"CSV: {', '.join(SLOPE_COLUMNS)}")
    p.add_argument("--out-exponents", required=True, help=f"CSV: {', '.join(EXPONENT_COLUMNS)}")
    p.add_argument("--bootstrap", type=int_at_least(0), default=d.bootstrap, help="resamples of the seeds (default %(default)s)")
    p.add_argument("--confidence", type=float, default=d.confidence, help="interval coverage (default %(default)s)")
    p.add_argument("--seed", type=int_at_least(0), default=d.seed, help="random seed of the resampling (default %(default)s)")
    add_limit_options(p, "analysis")


def run(args) -> int:
    from .. import fit, losses
    from ....errors import UserError
    from ....tables import write_csv

    names = [n for n, _ in args.ranges]
    if len(set(names)) != len(names):
        raise UserError(f"--range names must be unique, got {', '.join(names)}")
    settings = fit.FitSettings(bootstrap=args.bootstrap, confidence=args.confidence, seed=args.seed)
    by_width = losses.load_many(args.inputs)
    _check_limits(args, by_width, settings)
    result = fit.analyse(by_width, dict(args.ranges), settings)
    write_csv(result.medians, args.out_medians, MEDIAN_COLUMNS)
    write_csv(result.slopes, args.out_slopes, SLOPE_COLUMNS)
    write_csv(result.exponents, args.out_exponents, EXPONENT_COLUMNS)
    for r in result.exponents:
        print(f"range {r['range']} [{r['range_low']:g}, {r['range_high']:g}], widths {r['widths_used'] or 'none'}: "
              f"alpha {r['alpha']:.3g} [{r['alpha_ci_low']:.3g}, {r['alpha_ci_high']:.3g}]")
    return 0


def _check_limits(args, by_width, settings) -> None:
    """Refuse, before resampling, a bootstrap past --max-work or --max-memory (docs/cli.md, "Limits")."""
    from ....commands._limits import check
    from ....limits import fit_estimate

    work, memory, detail = fit_estimate([wl.n_used for wl in by_width.values()], settings.bootstrap)
    check(args, "analysis", work, detail, memory, detail)
