"""`lottery-scaling plot-synergy`: width-N losses vs the ensemble prediction of two width-N/2 networks."""

from __future__ import annotations

from . import _plotargs

HELP = "plot, per width N, the test-MSE histogram of width N against the N/2 + N/2 ensemble prediction"


def configure(p) -> None:
    p.add_argument("--summary", required=True, help="synergy summary CSV")
    p.add_argument("--samples", required=True, help="synergy samples CSV")
    p.add_argument("--activation", default="", help="activation (for the colour)")
    p.add_argument("--title", required=True, help="figure title")
    _plotargs.add(p)


def run(args) -> int:
    from .. import figures
    from ....tables import read_csv
    from .synergy import SAMPLE_COLUMNS, SUMMARY_COLUMNS

    summary = read_csv(args.summary, SUMMARY_COLUMNS)
    samples = read_csv(args.samples, SAMPLE_COLUMNS)
    comparisons = []
    for _, row in summary.iterrows():
        s = samples[samples["width"] == row["width"]]
        comparisons.append({"width": int(row["width"]), "half_width": int(row["half_width"]), "row": row,
                            "wide": s.loc[s["kind"] == "wide", "loss"].to_numpy(float),
                            "ensemble": s.loc[s["kind"] == "ensemble", "loss"].to_numpy(float)})
    style = _plotargs.style(args)
    figures.save(figures.synergy_panels(comparisons, style, args.title, args.activation), args.out, style.dpi)
    print(f"wrote {', '.join(args.out)}")
    return 0
