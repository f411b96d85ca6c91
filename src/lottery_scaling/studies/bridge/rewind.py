"""Frankle & Carbin's test of Liu & Tegmark's tickets: rewind the best pair and train it alone.

For every trained width-N network (d = 1 task) with best ticket (i, j) (the highest-R^2 mirror
pair, studies/lottery/pairs), a width-2 network is trained with the same schedule and data from

- `ticket`: neurons i, j and the output bias c reset to their initial values (w, b, v, c at step 0;
  Frankle & Carbin's rewinding to initialisation);
- `reinit`: the same two neuron slots re-initialised at random from the width-N network's own
  initial distribution (w, b ~ U(-1, 1) x init_scale, v, c ~ U(-1/sqrt(N), 1/sqrt(N)));
- `random_pair`: two neurons of the network drawn at random, rewound with c;

and magnitude pruning by neuron: `prune_k{k}` keeps the k neurons of largest final contribution
(RMS of v_i act(w_i x + b_i) over the training inputs), rewinds them with c and trains width k.

The reference is a population of trained width-2 networks with the same settings (random
initialisations), written beside the arms as rows `trained_width2`. Whether a width-2 network
"wins the lottery" is decided afterwards (`ticket_basin`, `label_lottery`), so a change of the mode
search never retrains: its log10 test MSE lies in the basin of the lottery-ticket mode
(log10 loss <= basin_high). That mode is the lowest-loss robust mode of the log10 test-MSE
histogram (studies/lottery/histogram.py; about 20% of the networks at the default schedule) of
the width-2 networks trained at ONE reference init scale (the bridge config's
`ticket_reference_scale`, by default its largest, 1 = PyTorch's init). The ticket solution and its
loss do not depend on the init scale, but the histogram does: at small init (0.1, 0.01) few
width-2 networks reach it (about 3%, a cluster too small to be a robust mode) and the lowest robust
mode merges it with the 1e-4 and 1e-3 clusters up to 1e-1.2, which would count nearly every
trained network as a ticket. One basin for every scale keeps "wins the lottery" one thing.
"""

from __future__ import annotations

import numpy as np

from ...errors import UserError

ARMS = ("ticket", "reinit", "random_pair")
_REINIT_TAG = 0x72776E64  # stream tag of the controls' random draws


def prune_sizes(width: int, keep) -> list[int]:
    """Widths k of the pruning arms: entries of `keep` (integers or 'half' = N // 2) that are < N, unique."""
    out = []
    for k in keep:
        k = width // 2 if k == "half" else int(k)
        if 1 <= k < width and k not in out:
            out.append(k)
    return sorted(out)


def lottery_mode(losses, settings=None):
    """(basin_high, share, n_modes) of the lottery-ticket mode of width-2 test losses; basin_high is
    None when the histogram has a single robust mode (no lottery)."""
    from ..lottery.histogram import ModeSettings, analyse
    from ..lottery.losses import from_arrays

    wl = from_arrays(2, losses)
    h = analyse(wl, settings or ModeSettings())
    lot = h.lottery
    if lot is None:
        return None, float("nan"), len(h.modes)
    return float(lot.basin_high), float(lot.share), len(h.modes)


BASIN_COLUMNS = ["reference_init_scale", "networks", "n_modes", "basin_high", "share"]


def ticket_basin(width2, settings=None) -> dict:
    """The basin row (BASIN_COLUMNS) of the lottery-ticket mode of trained width-2 networks `width2`
    (a TrainResult); basin_high is NaN when their histogram has one robust mode (no lottery)."""
    ok = ~width2.diverged
    if not ok.any():
        raise UserError("every width-2 reference network diverged: no histogram to find the lottery-ticket mode in")
    high, share, n_modes = lottery_mode(width2.test_loss[ok], settings)
    return {"reference_init_scale": float(width2.settings.init_scale), "networks": int(ok.sum()), "n_modes": n_modes,
            "basin_high": float("nan") if high is None else high, "share": share}


def label_lottery(rows, basin_high: float):
    """Column `lottery` of rewind rows (a DataFrame): True/False for converged width-2 rows (log10 test MSE
    <= basin_high), empty for wider arms, diverged networks, or when there is no basin (NaN)."""
    import pandas as pd

    width2 = (rows["width"] == 2) & ~rows["diverged"].astype(str).str.lower().eq("true")
    out = pd.Series("", index=rows.index, dtype=object)
    if np.isfinite(basin_high):
        inside = np.log10(rows["test_loss"].clip(lower=1e-300)) <= basin_high
        out[width2] = inside[width2].map(bool)
    return out


def rewind_experiment(result, width2, keep=(2, 4, "half"), threads=None,
                      limit: int | None = None) -> list[dict]:
    """Rows (one per source network and arm, plus one per reference width-2 network) of the rewinding test.

    result: trained width-N networks; width2: trained width-2 networks with the same settings.
    """
    from dataclasses import replace

    from ..lottery.networks import settings_differences
    from ..lottery.pairs.pairing import input_rms
    from ..lottery.trainer import train_from
    from .alignment import best_ticket, contributions
    from .data import initial_of, training_data

    s = result.settings
    if width2.settings.width != 2:
        raise UserError(f"the reference networks must have width 2, got {width2.settings.width}")
    differ = settings_differences(width2.settings, s, ignore=("width", "snapshots", "curve_points"))
    if differ:
        raise UserError(f"the width-2 reference was trained with other settings ({differ})")
    N = s.width
    x, y = training_data(s)
    scale = input_rms(x)
    w0, b0, v0, c0 = initial_of(result)
    # networks with a best ticket (a mirror pair); the others have nothing to rewind
    found = {k: best_ticket(result.w[k], result.b[k], result.v[k], x, y, s.activation, scale)
             for k in range(result.seed.size) if not result.diverged[k]}
    idx = [k for k, t in found.items() if t is not None]
    if limit is not None:
        idx = idx[:limit]

    picks = {arm: [] for arm in ARMS}
    ks = prune_sizes(N, keep)
    prunes = {k: [] for k in ks}
    tickets = []
    draws = []
    for k in idx:
        seed = int(result.seed[k])
        rng = np.random.Generator(np.random.Philox(np.random.SeedSequence([_REINIT_TAG, s.init_seed, N, seed])))
        t = found[k]
        pair = (t[0], t[1])
        tickets.append(t)
        picks["ticket"].append(pair)
        picks["random_pair"].append(tuple(rng.choice(N, 2, replace=False)))
        bound_out = 1.0 / np.sqrt(N)
        draws.append((rng.uniform(-1, 1, 2) * s.init_scale, rng.uniform(-1, 1, 2) * s.init_scale,
                      rng.uniform(-bound_out, bound_out, 2), rng.uniform(-bound_out, bound_out)))
        order = np.argsort(-contributions(result.w[k], result.b[k], result.v[k], x, s.activation), kind="stable")
        for kk in ks:
            prunes[kk].append(np.sort(order[:kk]))
    seeds = result.seed[idx]
    rows = []

    def run(arm, width, neurons, w_init, b_init, v_init, c_init):
        settings = replace(s, width=width, snapshots=False)
        r = train_from(settings, seeds, w_init.reshape(len(idx), width, 1), b_init, v_init, c_init, threads=threads)
        for n, k in enumerate(idx):
            loss = float(r.test_loss[n])
            rows.append({
                "init_scale": s.init_scale, "source_width": N, "seed": int(result.seed[k]), "arm": arm, "width": width,
                "neurons": " ".join(str(int(i)) for i in neurons[n]), "test_loss": loss,
                "train_loss": float(r.train_loss[n]), "diverged": bool(r.diverged[n]),
                "ticket_r2": tickets[n][2] if tickets[n] else float("nan"),
                "kept_best_pair": "" if not arm.startswith("prune") else
                bool(tickets[n] and {tickets[n][0], tickets[n][1]} <= set(int(i) for i in neurons[n])),
            })

    if idx:
        for arm in ("ticket", "random_pair"):
            sel = np.array(picks[arm])
            kk = np.array(idx)[:, None]
            run(arm, 2, sel, w0[kk, sel, 0], b0[kk, sel], v0[kk, sel], c0[idx])
        wr = np.array([d[0] for d in draws]); br = np.array([d[1] for d in draws])
        vr = np.array([d[2] for d in draws]); cr = np.array([d[3] for d in draws])
        run("reinit", 2, np.array(picks["ticket"]), wr, br, vr, cr)
        for kk_ in ks:
            sel = np.array(prunes[kk_])
            kk = np.array(idx)[:, None]
            run(f"prune_k{kk_}", kk_, sel, w0[kk, sel, 0], b0[kk, sel], v0[kk, sel], c0[idx])
    for k in range(width2.seed.size):
        loss = float(width2.test_loss[k])
        ok = not width2.diverged[k]
        rows.append({
            "init_scale": s.init_scale, "source_width": N, "seed": int(width2.seed[k]), "arm": "trained_width2",
            "width": 2, "neurons": "0 1", "test_loss": loss, "train_loss": float(width2.train_loss[k]),
            "diverged": not ok, "ticket_r2": float("nan"), "kept_best_pair": "",
        })
    return rows
