"""`lottery-scaling width2`: cluster width-2 networks into algorithms (modulo neuron swap and, for even targets, x -> -x)."""

from __future__ import annotations

import sys

from ....commands._argtypes import int_at_least, positive_float
from ..pairs.settings import PairSettings

_D = PairSettings()

HELP = "cluster the 7 parameters of width-2 networks into algorithms; symmetric-pair classification"


def configure(p) -> None:
    p.add_argument("input", help="merged trained-networks file of width 2 (d = 1 task)")
    p.add_argument("--out-networks", required=True, help="CSV, one row per network (canonical parameters, cluster, PCs)")
    p.add_argument("--out-clusters", required=True, help="CSV, one row per cluster")
    p.add_argument("--out-bic", required=True, help="CSV of the BIC for each number of clusters")
    p.add_argument("--max-clusters", type=int_at_least(1), default=_D.max_clusters, help="largest K tried (default %(default)s)")
    p.add_argument("--symmetric-threshold", type=positive_float, default=_D.symmetric_threshold,
                   help="asymmetry score (and relative |v1-v2|) below which a network is symmetric (default %(default)s)")
    p.add_argument("--w-scale", type=positive_float, default=None, help="weight scale of the mirror distance (default: RMS of the training inputs)")
    p.add_argument("--align-iterations", type=int_at_least(1), default=_D.align_iterations, help="rounds of alignment modulo symmetry (default %(default)s)")
    p.add_argument("--random-state", type=int_at_least(0), default=_D.random_state, help="seed of the Gaussian-mixture fits (default %(default)s)")


def run(args) -> int:
    import numpy as np
    import pandas as pd

    from ..pairs import width2 as alg
    from ....errors import UserError
    from ..pairs.pairing import width2_symmetric
    from ..tasks import target
    from ....tables import write_csv
    from ..pairs.data import load_d1, w_scale_for

    res, ok, x, _, _, _ = load_d1(args.input)
    if res.settings.width != 2:
        raise UserError(f"{args.input}: width {res.settings.width}; `width2` needs width-2 networks")
    if ok.sum() < 2:
        raise UserError(f"{args.input}: fewer than 2 non-diverged networks; nothing to cluster")
    s = w_scale_for(x, args.w_scale)
    task = res.settings.task
    even = alg.is_even_target(lambda xx: target(task, xx), x)
    p = alg.stack_params(res.w[ok], res.b[ok], res.v[ok], res.c[ok])
    loss = res.test_loss[ok]
    cl = alg.cluster_width2(p, loss, even, args.max_clusters, args.align_iterations, args.random_state)
    sym, asym, vasym = width2_symmetric(cl.canonical[:, :2], cl.canonical[:, 2:4], cl.canonical[:, 4:6], s,
                                        args.symmetric_threshold)
    nets = pd.DataFrame(cl.canonical, columns=list(alg.PARAM_NAMES))
    nets.insert(0, "seed", res.seed[ok].astype(int))
    nets.insert(1, "train_loss", res.train_loss[ok])
    nets.insert(2, "test_loss", loss)
    nets["symmetric"] = sym
    nets["asymmetry"] = asym
    nets["v_asymmetry"] = vasym
    nets["cluster"] = cl.labels
    nets["pc1"] = cl.pcs[:, 0]
    nets["pc2"] = cl.pcs[:, 1]
    rows = []
    for k in range(1, cl.n_clusters + 1):
        m = cl.labels == k
        q = cl.canonical[m]
        rep = alg.representative(cl.labels, loss, k)
        rows.append({
            "cluster": k, "size": int(m.sum()), "share": float(m.mean()),
            "loss_min": float(loss[m].min()), "loss_median": float(np.median(loss[m])), "loss_max": float(loss[m].max()),
            "symmetric_share": float(sym[m].mean()), "symmetric": bool(sym[m].mean() >= 0.5),
            "representative_seed": int(res.seed[ok][rep]),
            "mean_abs_w": float(np.mean(np.abs(q[:, :2]))), "mean_b": float(np.mean(q[:, 2:4])),
            "mean_v": float(np.mean(q[:, 4:6])), "mean_c": float(np.mean(q[:, 6])),
            **{f"mean_{n}": float(np.mean(q[:, j])) for j, n in enumerate(alg.PARAM_NAMES)},
            "mod_reflection": bool(even), "n_diverged_excluded": int((~ok).sum()),
        })
    clusters = pd.DataFrame(rows)
    bic = pd.DataFrame({"n_clusters": np.arange(1, cl.bic.size + 1), "bic": cl.bic,
                        "chosen": np.arange(1, cl.bic.size + 1) == cl.n_clusters})
    write_csv(nets, args.out_networks, nets.columns, float_format=None)
    write_csv(clusters, args.out_clusters, clusters.columns, float_format=None)
    write_csv(bic, args.out_bic, bic.columns, float_format=None)
    low = clusters.iloc[0]
    print(
        f"width2: {int(ok.sum())} networks -> {cl.n_clusters} clusters (BIC over K=1..{cl.bic.size}"
        f"{', modulo x -> -x' if even else ''}); lowest-loss cluster: {int(low['size'])} networks "
        f"(share {low['share']:.2f}), median test MSE {low['loss_median']:.3g}, symmetric share {low['symmetric_share']:.2f}",
        file=sys.stderr,
    )
    return 0
