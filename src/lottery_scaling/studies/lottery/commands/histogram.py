"""`lottery-scaling histogram`: robust modes, lottery tickets and median of one width's losses."""

from __future__ import annotations

from ....commands._argtypes import fraction, int_at_least, positive_float
from ....commands._limits import add_options as add_limit_options

HELP = "log10 test-MSE histogram of one width: robust modes, lottery-ticket share, median with bootstrap interval"

SUMMARY_COLUMNS = (
    "width", "n_seeds", "n_diverged", "n_used", "median_loss", "median_ci_low", "median_ci_high", "n_modes",
    "n_candidates", "lottery_loss", "lottery_share", "lottery_reproducibility", "bandwidth_decades",
)
MODE_COLUMNS = (
    "width", "candidate", "kept", "lottery", "log10_loss", "loss", "share", "reproducibility", "prominence",
    "basin_low", "basin_high",
)
KDE_COLUMNS = ("width", "log10_loss", "density")


def _bandwidth(text: str):
    import argparse

    if text in ("silverman", "scott"):
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be silverman, scott or a number of decades > 0, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be silverman, scott or a number of decades > 0, got {text!r}")
    return value


def configure(p) -> None:
    from ..histogram import ModeSettings

    d = ModeSettings()
    p.add_argument("input", help="merged trained-networks HDF5 file of one width")
    p.add_argument("--out-summary", required=True, help=f"one-row CSV: {', '.join(SUMMARY_COLUMNS)}")
    p.add_argument("--out-modes", required=True, help=f"CSV, one row per candidate mode: {', '.join(MODE_COLUMNS)}")
    p.add_argument("--out-kde", required=True, help="CSV of the density of log10 test MSE: width, log10_loss, density (per decade)")
    p.add_argument("--bandwidth", type=_bandwidth, default=d.bandwidth, help="KDE bandwidth rule or decades (default %(default)s)")
    p.add_argument("--bandwidth-scale", type=positive_float, default=d.bandwidth_scale, help="factor on the bandwidth (default %(default)s)")
    p.add_argument("--min-prominence", type=fraction, default=d.min_prominence, help="mode prominence, fraction of the highest density (default %(default)s)")
    p.add_argument("--bootstrap", type=int_at_least(0), default=d.bootstrap, help="resamples checking each mode (default %(default)s)")
    p.add_argument("--min-reproducibility", type=fraction, default=d.min_reproducibility, help="fraction of resamples that must reproduce a mode (default %(default)s)")
    p.add_argument("--median-bootstrap", type=int_at_least(0), default=d.median_bootstrap, help="resamples for the median's interval (default %(default)s)")
    p.add_argument("--confidence", type=fraction, default=d.confidence, help="interval coverage (default %(default)s)")
    p.add_argument("--seed", type=int_at_least(0), default=d.seed, help="random seed of the resampling (default %(default)s)")
    add_limit_options(p, "analysis")


def _estimate(wl, settings):
    from ....limits import histogram_estimate

    work, memory, detail = histogram_estimate(wl.n_used, settings.bootstrap, settings.median_bootstrap)
    return work, detail, memory, detail


def run(args) -> int:
    from .. import histogram, losses
    from ....commands._limits import check
    from ....tables import write_csv

    settings = histogram.ModeSettings(
        bandwidth=args.bandwidth, bandwidth_scale=args.bandwidth_scale, min_prominence=args.min_prominence,
        bootstrap=args.bootstrap, min_reproducibility=args.min_reproducibility,
        median_bootstrap=args.median_bootstrap, confidence=args.confidence, seed=args.seed,
    )
    settings.validate()
    wl = losses.load(args.input)
    check(args, "analysis", *_estimate(wl, settings))
    a = histogram.analyse(wl, settings)
    write_csv([a.summary_row()], args.out_summary, SUMMARY_COLUMNS)
    write_csv(a.mode_rows(), args.out_modes, MODE_COLUMNS)
    write_csv([{"width": a.width, "log10_loss": g, "density": d} for g, d in zip(a.grid, a.density)], args.out_kde, KDE_COLUMNS)
    modes = ", ".join(f"{m.loss:.3g} ({100 * m.share:.0f}%)" for m in a.modes)
    print(f"N={a.width}: {a.n_used} seeds used, {a.n_diverged} diverged; median test MSE {a.median:.3g} "
          f"[{a.median_low:.3g}, {a.median_high:.3g}]; {len(a.modes)} robust mode(s) of {len(a.candidates)} candidate(s): {modes}")
    return 0
