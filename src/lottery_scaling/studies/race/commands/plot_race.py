"""`lottery-scaling plot-race KIND`: figures of the race study.

Kinds: fig1 (final norm vs alignment at init / early / before the drop, largest cluster),
fig3a (clusters vs n per width, all and carrying the norm), fig3b (clusters over training per
sigma), fig4 (final norm vs alignment at init and early, all neurons, exponential and power-law
fits of the bulk), fig5 (IMP pruned weights per neuron vs early alignment), fig8 (loss,
accuracy and median angle curves), fig6 (angle speed vs norm speed, one line per runs file:
give the files of each sigma), unlock (Note 3: the groups carrying the norm unlocking),
inhibition (Conj. 3.12: leader, followers and the other groups around the leader's
unlocking), imp_clusters (Fig 5 split by the final clusters).
"""

from __future__ import annotations

from ....commands._argtypes import int_at_least
from ..settings import ClaimSettings, FigureSettings

HELP = "draw a figure of the race study (fig1, fig3a, fig3b, fig4, fig5, fig6, fig8, unlock, inhibition, imp_clusters)"
KINDS = ("fig1", "fig3a", "fig3b", "fig4", "fig5", "fig6", "fig8", "unlock", "inhibition", "imp_clusters")
ONE_RUNS_FILE = ("fig1", "fig4", "fig8", "unlock", "inhibition")
NEEDS = {**{k: ("runs",) for k in ONE_RUNS_FILE}, "fig6": ("runs",), "fig3a": ("counts", "main"),
         "fig3b": ("counts", "main"), "fig5": ("imp_neurons",), "imp_clusters": ("imp_neurons",)}


def configure(p) -> None:
    p.add_argument("kind", choices=KINDS, help="which figure")
    p.add_argument("--runs", nargs="+", help="fig1, fig4, fig8, unlock, inhibition: runs file of race-train (the main "
                                              "setting); fig6: one or more (one line each)")
    p.add_argument("--counts", help="fig3a, fig3b: counts CSV of race-clusters")
    p.add_argument("--imp-neurons", help="fig5, imp_clusters: neurons CSV of race-imp")
    p.add_argument("--main", nargs=3, metavar=("N", "WIDTH", "SIGMA"), help="fig3a, fig3b: the main setting")
    p.add_argument("--threshold", type=float, default=0.95, help="cluster cos-sim threshold (default %(default)s)")
    p.add_argument("--carry-share", type=float, default=ClaimSettings().carry_share,
                   help="fig3a: count the clusters carrying this share of sum |u||v| (0.9, 0.99 or 0.999; default %(default)s)")
    p.add_argument("--run-index", type=int_at_least(0), default=0, help="fig1, fig4: which run of the file (default %(default)s)")
    p.add_argument("--subject", default=None, help="put in the title (the pipeline passes the experiment)")
    p.add_argument("--dpi", type=int_at_least(20), default=FigureSettings().dpi, help="PNG resolution (default %(default)s)")
    p.add_argument("--out-png", required=True, help="PNG file")
    p.add_argument("--out-pdf", default=None, help="PDF file (optional)")


def run(args) -> int:
    from lottery_scaling.errors import UserError
    from lottery_scaling.plotting import save
    from lottery_scaling.tables import read_csv

    from .. import figures
    from ..trajectories import read_runs

    for need in NEEDS[args.kind]:
        if getattr(args, need) is None:
            raise UserError(f"plot-race {args.kind} needs --{need.replace('_', '-')}")
    from ..clusters import CARRY_SHARES

    if args.carry_share not in CARRY_SHARES:
        raise UserError(f"--carry-share: must be one of {', '.join(map(str, CARRY_SHARES))}, got {args.carry_share:g}")
    if not args.out_png.endswith(".png") or (args.out_pdf and not args.out_pdf.endswith(".pdf")):
        raise UserError("--out-png must end in .png and --out-pdf in .pdf")
    subject = f"[{args.subject}] " if args.subject else ""
    if args.main:
        try:
            n, width, sigma = int(args.main[0]), int(args.main[1]), float(args.main[2])
        except ValueError:
            raise UserError(f"--main: expected N WIDTH SIGMA (numbers), got {' '.join(args.main)}") from None
    if args.kind in ONE_RUNS_FILE and len(args.runs) != 1:
        raise UserError(f"plot-race {args.kind} takes one --runs file, got {len(args.runs)}")
    if args.kind in ONE_RUNS_FILE + ("fig6",):
        runs_list = [read_runs(path) for path in args.runs]
        for path, runs in zip(args.runs, runs_list):
            if args.run_index >= len(runs.seed):
                raise UserError(f"--run-index {args.run_index}: {path} holds {len(runs.seed)} runs")
        runs = runs_list[0]
        named = "" if args.subject == runs.task.name else subject  # "[digits] digits" says it twice
        what = f"{named}{runs.task.name} n = {runs.task.n}, d = {runs.settings['width']}, sigma = {runs.settings['sigma']:g}"
    if args.kind == "fig1":
        from ..clusters import greedy_clusters
        from ..trainer import SNAPSHOTS

        import numpy as np

        r, q = args.run_index, SNAPSHOTS.index("end")
        label = greedy_clusters(runs.snap["W"][r, q], runs.snap["b"][r, q], runs.snap["V"][r, q], args.threshold)
        biggest = np.bincount(label).argmax()
        members = label == biggest
        fig = figures.norm_vs_alignment(runs, r, members=members,
                                        title=f"{what}, run {runs.seed[r]}: largest cluster ({members.sum()} neurons, "
                                              f"cos-sim {args.threshold:g})")
    elif args.kind == "fig4":
        fig = figures.norm_vs_alignment(runs, args.run_index, times=("init", "early"), fit=True,
                                        title=f"{what}, run {runs.seed[args.run_index]}: all neurons")
    elif args.kind == "fig8":
        fig = figures.training_curves(runs, title=what)
    elif args.kind == "fig6":
        from ..settings import ClaimSettings

        fig = figures.angle_vs_norm_speed(runs_list, args.run_index, ClaimSettings().min_angle_per_norm,
                                          title=f"{named}{runs.task.name} n = {runs.task.n}, d = {runs.settings['width']}, "
                                                f"run {runs.seed[args.run_index]}: angle vs norm updates")
    elif args.kind == "unlock":
        fig = figures.group_unlocking(runs, args.run_index, args.threshold,
                                      title=f"{what}, run {runs.seed[args.run_index]}: groups carrying the norm unlocking")
    elif args.kind == "inhibition":
        fig = figures.lateral_inhibition(runs, args.run_index, args.threshold,
                                         title=f"{what}, run {runs.seed[args.run_index]}: growth around the leader's unlocking")
    elif args.kind == "imp_clusters":
        neurons = read_csv(args.imp_neurons, ("seed", "sparsity", "cluster", "early_angle", "pruned"))
        fig = figures.pruned_within_clusters(neurons, title=f"{subject}IMP vs early alignment within the final clusters")
    elif args.kind == "fig3a":
        counts = read_csv(args.counts, ("n", "width", "sigma", "time", "threshold", "clusters",
                                        CARRY_SHARES[args.carry_share]))
        fig = figures.clusters_vs_n(counts, args.threshold, sigma, carry_share=args.carry_share,
                                    title=f"{subject}clusters at the end vs n (sigma {sigma:g})")
    elif args.kind == "fig3b":
        counts = read_csv(args.counts, ("n", "width", "sigma", "time", "step", "threshold", "clusters"))
        fig = figures.clusters_vs_time(counts, args.threshold, n, width,
                                       title=f"{subject}clusters over training (n {n}, d {width})")
    else:
        neurons = read_csv(args.imp_neurons, ("seed", "sparsity", "early_angle", "pruned", "final_norm"))
        fig = figures.pruned_vs_alignment(neurons, title=f"{subject}IMP with rewinding vs early alignment")
    save(fig, [args.out_png, args.out_pdf], dpi=args.dpi)
    return 0
