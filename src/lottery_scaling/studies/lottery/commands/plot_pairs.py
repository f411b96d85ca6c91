"""`lottery-scaling plot-pairs KIND`: figures of the pair-and-disentangle stage.

Kinds: neurons (paper Fig 2a), tickets (Fig 12), width2 (Figs 9, 10, 11 and 2c), distill (Fig 13).
"""

from __future__ import annotations

from ....commands._argtypes import int_at_least
from ..pairs.settings import PairFigureSettings

HELP = "draw a figure of the pair-and-disentangle stage (neurons, tickets, width2, distill)"
KINDS = ("neurons", "tickets", "width2", "distill")


def configure(p) -> None:
    p.add_argument("kind", choices=KINDS, help="which figure")
    p.add_argument("--h5", nargs="+", default=[], help="merged trained-networks file(s) (neurons, tickets: one per width; width2)")
    p.add_argument("--tickets", nargs="+", default=[], help="tickets CSV(s) of `lottery-scaling pairs`, same order as --h5")
    p.add_argument("--networks", help="width2: networks CSV of `lottery-scaling width2`")
    p.add_argument("--clusters", help="width2: clusters CSV of `lottery-scaling width2`")
    p.add_argument("--distilled", help="distill: CSV of `lottery-scaling distill`")
    p.add_argument("--width2", help="distill: networks CSV of `lottery-scaling width2` (trained width-2 losses)")
    p.add_argument("--out", nargs="+", required=True, metavar="FILE", help="the main figure: PNG, and optionally its PDF")
    p.add_argument("--out-activations-x", nargs=2, metavar=("PNG", "PDF"), help="width2: Fig 10 outputs")
    p.add_argument("--out-activations-z", nargs=2, metavar=("PNG", "PDF"), help="width2: Fig 11 outputs")
    p.add_argument("--out-lottery-ticket", nargs=2, metavar=("PNG", "PDF"), help="width2: Fig 2c outputs")
    p.add_argument("--subject", default=None,
                   help="what the figure shows, put in its title (default: TASK / ACTIVATION of --h5; the pipeline passes the experiment)")
    p.add_argument("--dpi", type=int_at_least(20), default=PairFigureSettings().dpi, help="PNG resolution (default %(default)s)")


def _need(args, *names):
    from ....errors import UserError

    for n in names:
        if not getattr(args, n):
            raise UserError(f"plot-pairs {args.kind} needs --{n.replace('_', '-')}")


def run(args) -> int:
    from ..pairs import figures as pf
    from ....errors import UserError
    from ..tasks import target
    from ....tables import read_csv
    from ..pairs.data import load_d1

    if len(args.out) > 2 or not args.out[0].endswith(".png") or (len(args.out) == 2 and not args.out[1].endswith(".pdf")):
        raise UserError(f"--out: expected PNG [PDF], got {' '.join(args.out)}")
    png, pdf = args.out[0], (args.out[1] if len(args.out) == 2 else None)

    tcols = ["seed", "ticket", "neuron_pos", "neuron_neg", "distance", "asymmetry"]
    if args.kind in ("neurons", "tickets"):
        _need(args, "h5", "tickets")
        if len(args.h5) != len(args.tickets):
            raise UserError("--h5 and --tickets need the same number of files")
        rows = []
        for h5, tpath in zip(args.h5, args.tickets):
            res, ok, x, y, _, _ = load_d1(h5)
            if not ok.any():
                raise UserError(f"{h5}: every network diverged; nothing to draw")
            i = pf.median_loss_index(res.test_loss, ok)
            tickets = read_csv(tpath, tcols)
            w, b, v = res.w[i, :, 0], res.b[i], res.v[i]
            pairing = pf.pairing_from_tickets(tickets, int(res.seed[i]), w.size)
            rows.append(dict(width=res.settings.width, seed=int(res.seed[i]), test_loss=float(res.test_loss[i]), w=w, b=b,
                             v=v, pairing=pairing, x=x, y=y, act=res.settings.activation, task=res.settings.task))
        subject = args.subject or f"{rows[0]['task']} / {rows[0]['act']}"
        if args.kind == "neurons":
            r = rows[-1]
            title = (f"{subject}, N = {r['width']}: first-layer (w, b) of the median-loss network (seed {r['seed']}), "
                     f"{r['pairing'].n_pairs} mirror pairs")
            pf.fig_neurons(r["w"], r["b"], r["pairing"], title, png, pdf, args.dpi)
        else:
            pf.fig_tickets(rows, png, pdf, args.dpi, subject=subject)
    elif args.kind == "width2":
        _need(args, "h5", "networks", "clusters", "out_activations_x", "out_activations_z", "out_lottery_ticket")
        res, _, x, _, _, _ = load_d1(args.h5[0])
        nets = read_csv(args.networks, ["seed", "test_loss", "cluster", "pc1", "pc2", "symmetric", "w1", "w2", "b1", "b2", "v1", "v2", "c"])
        clusters = read_csv(args.clusters, ["cluster", "size", "share", "symmetric", "representative_seed"])
        act, task = res.settings.activation, res.settings.task
        subject = args.subject or f"{task} / {act}"
        pf.fig_pca(nets, png, pdf, args.dpi, subject=subject)
        pf.fig_activations(nets, clusters, x, act, *args.out_activations_x, *args.out_activations_z, dpi=args.dpi, subject=subject)
        pf.fig_lottery_ticket(nets, clusters, x, lambda xx: target(task, xx.reshape(-1, 1)), act, *args.out_lottery_ticket, dpi=args.dpi,
                              subject=subject)
    else:
        _need(args, "distilled")
        distilled = read_csv(args.distilled, ["seed", "source_width", "test_loss"])
        width2 = read_csv(args.width2, ["test_loss"]) if args.width2 else None
        pf.fig_distill(distilled, width2, png, pdf, args.dpi, subject=args.subject or "")
    return 0
