"""`lottery-scaling plot-survey KIND`: figures of the survey study."""

from __future__ import annotations

import argparse

from ....commands._argtypes import int_at_least

HELP = "figures of the survey study: supermask, scaling, movement, overlap or manifold"
# kind -> (inputs it needs, inputs it may take)
KINDS = {"supermask": (("supermask",), ()), "scaling": ((), ("edgepopup", "linearised")),
         "movement": (("linearised",), ()), "overlap": (("overlap",), ("pairs",)), "manifold": (("networks",), ())}


def _figure_path(text: str) -> str:
    if not text.endswith((".png", ".pdf", ".svg")):
        raise argparse.ArgumentTypeError(f"must end in .png, .pdf or .svg, got {text!r}")
    return text


def configure(p) -> None:
    p.add_argument("kind", choices=sorted(KINDS), help="which figure")
    p.add_argument("--supermask", nargs="+", help="supermask: survey-supermask tables")
    p.add_argument("--edgepopup", nargs="+", help="scaling: survey-edgepopup tables")
    p.add_argument("--linearised", nargs="+", help="scaling, movement: survey-linearised tables")
    p.add_argument("--overlap", nargs="+", help="overlap: survey-overlap tables (--out-overlap)")
    p.add_argument("--pairs", nargs="+", help="overlap: survey-overlap best-pair tables (--out-pairs)")
    p.add_argument("--networks", nargs="+", help="manifold: trained-networks files of wide networks (one row of panels each)")
    p.add_argument("--out", nargs="+", required=True, type=_figure_path, help="figure files (.png/.pdf/.svg)")
    p.add_argument("--dpi", type=int_at_least(20), default=150, help="raster resolution (default %(default)s)")


def _tables(paths, required):
    import pandas as pd

    from ....tables import read_csv

    return pd.concat([read_csv(p, required=required) for p in paths], ignore_index=True)


def run(args) -> int:
    from ....errors import UserError
    from .. import figures
    from .survey_claims import TABLES

    need, may = KINDS[args.kind]
    for name in need:
        if not getattr(args, name):
            raise UserError(f"plot-survey {args.kind} needs --{name}")
    for name in ("supermask", "edgepopup", "linearised", "overlap", "pairs", "networks"):
        if getattr(args, name) and name not in need + may:
            raise UserError(f"--{name} does not belong to the {args.kind} figure")
    if args.kind == "scaling" and not (args.edgepopup or args.linearised):
        raise UserError("plot-survey scaling needs --edgepopup or --linearised tables")
    extra = {"supermask": ("width",), "linearised": ("lr",), "edgepopup": ()}
    t = {name: _tables(getattr(args, name), TABLES[name] + extra.get(name, ())) if getattr(args, name) else None
         for name in ("supermask", "edgepopup", "linearised", "overlap", "pairs")}
    if args.kind == "supermask":
        figures.plot_supermask(t["supermask"], args.out, args.dpi)
    elif args.kind == "scaling":
        figures.plot_scaling(t["edgepopup"], t["linearised"], args.out, args.dpi)
    elif args.kind == "movement":
        figures.plot_movement(t["linearised"], args.out, args.dpi)
    elif args.kind == "overlap":
        figures.plot_overlap(t["overlap"], t["pairs"], args.out, args.dpi)
    else:
        figures.plot_manifold(manifold_panels(args.networks), args.out, args.dpi)
    return 0


def manifold_panels(paths) -> list[dict]:
    """Init and trained panels of the median-test-loss network of each file."""
    import numpy as np

    from ....errors import UserError
    from ...bridge.data import initial_of, training_data
    from ...lottery.pairs.pairing import input_rms
    from ..manifold import _points, collapsed, curve_statistic, mst_edges
    from ._common import load_networks

    panels = []
    for path in paths:
        r = load_networks(path)
        ok = np.flatnonzero(~r.diverged)
        if ok.size == 0:
            raise UserError(f"{path}: every network diverged: nothing to draw")
        k = int(ok[np.argsort(r.test_loss[ok], kind="stable")[(ok.size - 1) // 2]])
        s = r.settings
        scale = input_rms(training_data(s)[0])
        w0, b0, _, _ = initial_of(r)
        for name, w, b in (("at init", w0[k, :, 0], b0[k]), ("trained", r.w[k, :, 0], r.b[k])):
            gone = collapsed(w, b, 1e-3)
            pts = np.unique(_points(w[~gone], b[~gone], scale), axis=0)
            edges, _ = mst_edges(pts)
            stat = curve_statistic(w, b, scale, seed=int(r.seed[k]))
            panels.append({"title": f"N = {s.width}, lr {s.lr:g}, seed {int(r.seed[k])} (median test MSE of {ok.size}) {name}"
                           + (f" (test MSE {r.test_loss[k]:.2g})" if name == "trained" else ""),
                           "w": w, "b": b, "w_scale": scale, "ratio": stat.ratio, "collapsed": int(gone.sum()),
                           "edges": edges, "points": pts})
    return panels
