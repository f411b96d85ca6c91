"""`lottery-scaling race-imp`: IMP with rewinding on runs of one race setting, and the weights
pruned per neuron against the neuron's alignment at the early checkpoint (paper Fig 5).

The training settings and the task are those stored in the runs file; IMP trains the direct
form. Per (run, sparsity): the ticket's loss and accuracy, the unpruned network's, and
Spearman(early angle, pruned count) over neurons with a finite early angle, and the same
within each final cluster (cos-sim --cluster-threshold; imp.within_cluster_spearman).
"""

from __future__ import annotations

import sys

from ....commands._argtypes import int_at_least, number_in, thread_count
from ....commands._limits import add_options as add_limit_options
from ..settings import ClaimSettings, ImpSettings

HELP = "iterative magnitude pruning with rewinding; pruned weights per neuron vs early alignment (CSV)"
_D = ImpSettings()
SUMMARY_COLUMNS = ("dataset", "n", "width", "sigma", "seed", "sparsity", "rounds", "sparsity_reached", "early_step",
                   "neurons", "spearman_early", "spearman_init", "within_clusters", "spearman_within",
                   "spearman_within_null_q95", "ticket_train_loss", "ticket_test_loss",
                   "ticket_test_acc", "ticket_status", "unpruned_train_loss", "unpruned_test_loss", "unpruned_test_acc")
NEURON_COLUMNS = ("seed", "sparsity", "neuron", "cluster", "init_angle", "early_angle", "final_norm", "pruned_w",
                  "pruned_v", "pruned")


def _sparsity(text):
    import argparse

    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1), got {text!r}") from None
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1), got {text!r}")
    return v


_cosine = number_in(-1, 1, lo_closed=False, what="a cosine")


def configure(p) -> None:
    p.add_argument("--runs", required=True, help="runs file of race-train (its settings and task are used)")
    p.add_argument("--imp-runs", type=int_at_least(1), default=_D.runs,
                   help="prune the first this many runs of the file (default %(default)s)")
    p.add_argument("--sparsities", nargs="+", type=_sparsity, default=list(_D.sparsities),
                   help="target sparsities (default %(default)s)")
    p.add_argument("--rounds", type=int_at_least(1), default=_D.rounds, help="pruning rounds (default %(default)s)")
    p.add_argument("--threads", type=thread_count, default=None, help="numba threads (default: all cores)")
    p.add_argument("--cluster-threshold", type=_cosine, default=ClaimSettings().cluster_threshold,
                   help="cos-sim threshold of the final clusters the within-cluster Spearman uses (default %(default)s)")
    add_limit_options(p, "race")
    p.add_argument("--out-summary", required=True, help="CSV: one row per run and sparsity")
    p.add_argument("--out-neurons", required=True, help="CSV: one row per run, sparsity and neuron")


def run(args) -> int:
    import numpy as np
    from scipy.stats import spearmanr

    from lottery_scaling.tables import write_csv

    from .. import imp
    from ..alignment import checkpoint_index, final_norm, setting_of
    from ..clusters import greedy_clusters
    from ..trainer import SNAPSHOTS, RaceSettings
    from ..trajectories import read_runs
    from ._common import interruptible, set_threads

    set_threads(args.threads)
    runs = read_runs(args.runs)
    settings = RaceSettings(**{k: v for k, v in runs.settings.items()})
    ok = [r for r in range(len(runs.seed)) if runs.status[r] != 2][: args.imp_runs]
    seeds = [int(runs.seed[r]) for r in ok]
    _check_limits(args, runs, settings, len(seeds))
    label = f"race-imp {runs.task.name} n={runs.task.n} d={settings.width}"
    print(f"[{label}] IMP of runs {seeds} to {args.sparsities} in {args.rounds} rounds", file=sys.stderr, flush=True)
    out = interruptible(lambda: imp.imp_many(runs.task, seeds, settings, args.sparsities, args.rounds, args.threads), label)
    summary, neurons = [], []
    for t in out["tickets"]:
        r = ok[seeds.index(t["seed"])]
        early = int(runs.snap["step"][r, SNAPSHOTS.index("early")])
        k_early = checkpoint_index(runs.ckpt_step[r], early)
        angle_e = runs.neuron["angle"][r, k_early] if k_early is not None else np.full(settings.width, np.nan)
        angle_0 = runs.neuron["angle"][r, 0]
        norm = final_norm(runs.neuron, runs.ckpt_step[r], r)
        pruned = t["pruned_per_neuron"]
        q_end = SNAPSHOTS.index("end")
        cluster_of = greedy_clusters(runs.snap["W"][r, q_end], runs.snap["b"][r, q_end], runs.snap["V"][r, q_end],
                                args.cluster_threshold)
        used, rho_within, rho_null = imp.within_cluster_spearman(angle_e, pruned, cluster_of, t["seed"])

        def rho(a):
            m = np.isfinite(a)
            return float(spearmanr(a[m], pruned[m])[0]) if m.sum() > 2 and np.ptp(pruned[m]) > 0 else np.nan

        u = out["unpruned"][t["seed"]]
        summary.append({**setting_of(runs), "seed": t["seed"], "sparsity": t["sparsity"], "rounds": args.rounds,
                        "sparsity_reached": t["history"][-1]["sparsity_after"], "early_step": early,
                        "neurons": int(np.isfinite(angle_e).sum()), "spearman_early": rho(angle_e),
                        "spearman_init": rho(angle_0), "within_clusters": used, "spearman_within": rho_within,
                        "spearman_within_null_q95": rho_null, "ticket_train_loss": t["ticket_train_loss"],
                        "ticket_test_loss": t["ticket_test_loss"], "ticket_test_acc": t["ticket_test_acc"],
                        "ticket_status": t["ticket_status"], "unpruned_train_loss": u["train_loss"],
                        "unpruned_test_loss": u["test_loss"], "unpruned_test_acc": u["test_acc"]})
        for i in range(settings.width):
            neurons.append({"seed": t["seed"], "sparsity": t["sparsity"], "neuron": i, "cluster": int(cluster_of[i]),
                            "init_angle": angle_0[i],
                            "early_angle": angle_e[i], "final_norm": norm[i], "pruned_w": int(t["pruned_w"][i]),
                            "pruned_v": int(t["pruned_v"][i]), "pruned": int(pruned[i])})
        print(f"[{label}] seed {t['seed']} sparsity {t['sparsity']:g}: ticket test acc {t['ticket_test_acc']:.4f} "
              f"(unpruned {u['test_acc']:.4f}), Spearman(early angle, pruned) {summary[-1]['spearman_early']:.3f}",
              file=sys.stderr, flush=True)
    write_csv(summary, args.out_summary, SUMMARY_COLUMNS)
    write_csv(neurons, args.out_neurons, NEURON_COLUMNS)
    return 0


def _check_limits(args, runs, settings, n_runs: int) -> None:
    """Refuse, before training, an IMP past --max-work or --max-memory (docs/cli.md, "Limits")."""
    import os
    from dataclasses import asdict

    from ....commands._limits import check
    from ....limits import race_imp_estimate

    task = runs.task
    work, memory, detail = race_imp_estimate(n_runs, len(args.sparsities), args.rounds, settings.width, task.inputs,
                                             task.n, int(task.x_test.shape[0]), asdict(settings),
                                             args.threads or os.cpu_count() or 1)
    check(args, "race", work, detail, memory, detail)
