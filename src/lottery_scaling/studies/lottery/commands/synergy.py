"""`lottery-scaling synergy`: width-N losses versus the ensemble prediction from two width-N/2 networks."""

from __future__ import annotations

from ....commands._argtypes import int_at_least
from ....commands._limits import add_options as add_limit_options

HELP = "compare each width N with the ensembling prediction (1/L_a + 1/L_b)^-1 of random width-N/2 pairs"

SUMMARY_COLUMNS = (
    "width", "half_width", "n_wide", "n_half", "n_pairs", "median_wide", "median_ensemble", "median_ratio",
    "ratio_ci_low", "ratio_ci_high", "ks", "wasserstein_decades",
)
SAMPLE_COLUMNS = ("width", "kind", "loss")


def configure(p) -> None:
    from ..synergy import SynergySettings

    d = SynergySettings()
    p.add_argument("inputs", nargs="+", help="merged trained-networks HDF5 files of one experiment (any widths)")
    p.add_argument("--out-summary", required=True, help=f"CSV, one row per N whose half is given: {', '.join(SUMMARY_COLUMNS)}")
    p.add_argument("--out-samples", required=True, help="CSV (width, kind = wide|ensemble, loss): the two distributions compared")
    p.add_argument("--pairs", type=int_at_least(1), default=d.pairs, help="random width-N/2 pairs (default %(default)s)")
    p.add_argument("--bootstrap", type=int_at_least(0), default=d.bootstrap, help="resamples for the median ratio's interval (default %(default)s)")
    p.add_argument("--confidence", type=float, default=d.confidence, help="interval coverage (default %(default)s)")
    p.add_argument("--seed", type=int_at_least(0), default=d.seed, help="random seed of pairs and resampling (default %(default)s)")
    add_limit_options(p, "analysis")


def run(args) -> int:
    from .. import losses, synergy
    from ....tables import write_csv

    settings = synergy.SynergySettings(pairs=args.pairs, bootstrap=args.bootstrap, confidence=args.confidence, seed=args.seed)
    settings.validate()
    by_width = losses.load_many(args.inputs)
    _check_limits(args, by_width, settings)
    results = synergy.analyse(by_width, settings)
    write_csv([c.row() for c in results], args.out_summary, SUMMARY_COLUMNS)
    samples = []
    for c in results:
        samples += [{"width": c.width, "kind": "wide", "loss": x} for x in c.wide]
        samples += [{"width": c.width, "kind": "ensemble", "loss": x} for x in c.ensemble]
    write_csv(samples, args.out_samples, SAMPLE_COLUMNS)
    if not results:
        print(f"no width whose half is also trained (widths {sorted(by_width)}); wrote empty tables")
    for c in results:
        print(f"N={c.width} vs {c.half_width}+{c.half_width}: median ratio {c.median_ratio:.3g} "
              f"[{c.ratio_ci_low:.3g}, {c.ratio_ci_high:.3g}], KS {c.ks:.3f}, Wasserstein {c.wasserstein_decades:.3f} decades")
    return 0


def _check_limits(args, by_width, settings) -> None:
    """Refuse, before drawing, pairs and resamples past --max-work or --max-memory (docs/cli.md, "Limits")."""
    from ..synergy import comparable_widths
    from ....commands._limits import check
    from ....limits import synergy_estimate

    seeds = [(by_width[n // 2].n_used, by_width[n].n_used) for n in comparable_widths(by_width)]
    work, memory, detail = synergy_estimate(seeds, settings.pairs, settings.bootstrap)
    check(args, "analysis", work, detail, memory, detail)
