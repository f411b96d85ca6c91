"""Claims rows of the survey study (ids `survey_*`, settings.CLAIM_IDS), each judged against a named null.

Intervals are percentile bootstraps over networks (seeds) unless a row says otherwise; thresholds
come from `settings.SurveyClaimSettings`. Per rule (experiment = the tables' label, with width,
keep or weights where the row is per one of them):

- survey_supermask_beats_random (null: random masks of the same size): at keep `supermask_keep`,
  per (label, weights init | signed_constant): lottery networks: median over networks of
  log10(median random-mask test MSE / supermask test MSE), supported when the interval lies above
  `min_log10_gain`; race classifier: median of (supermask accuracy - mean random-mask accuracy),
  above `min_accuracy_gain`.
- survey_strong_ticket_beats_random (null: random masks): per (label, width, keep): median of
  log10(test MSE of edge-popup's starting mask, random scores / after training the scores),
  above `min_log10_gain`.
- survey_strong_ticket_scaling (null: a loss flat in N): alpha of median edge-popup test MSE ~
  N^-alpha over the widths of a (label, keep), interval above `min_alpha`, >= `min_widths` widths;
  the detail gives the trained (and linearised) networks' alpha over the same widths.
- survey_strong_ticket_matches_training (Ramanujan et al.'s "pruning is all you need"; null: random
  masks, orders of magnitude worse): at the largest width with trained losses, median edge-popup
  test MSE / median trained test MSE (seeds resampled independently), upper end <= `max_loss_ratio`.
- survey_linearised_n_minus_1 (null: the untrained network, flat in N): alpha of the median
  linearised test MSE, whole interval within `linear_alpha` +- `alpha_tolerance`.
- survey_lazy_with_width (null: movement independent of N): beta of the median relative parameter
  movement |theta - theta0| / |theta0| of the trained networks ~ N^-beta, interval above
  `min_movement_decay` (lazy training predicts beta ~ 1/2; the default 1/4 is the midpoint between
  the null's 0 and that prediction).
- survey_imp_edgepopup_above_random (null: random masks of each method's per-layer sizes): per
  (label, width, keep, weights | neurons): median of (Jaccard(IMP, edge-popup) - the null's mean
  Jaccard), interval above `min_jaccard_excess` (default 0, the null's own value).
- survey_imp_edgepopup_same_subnetwork (the survey's test, "almost identical subnetworks"): median
  Jaccard, lower end >= `min_jaccard` (random masks at keep 1/2 give about 1/3).
- survey_keeps_best_pair (null: random masks of the method's sizes): per (label, width, keep,
  method): share of networks whose mask keeps both neurons of the best mirror pair, Wilson
  interval; supported when its lower end is above the random masks' mean probability.
- survey_attractor_manifold (nulls: init, shuffled pairing): per (label, width): median over
  networks of R_trained / R_init (manifold.py; R ~ 1 at init and for shuffled pairings), upper end
  below `max_ratio_to_init`.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from ...bootstrap import median_interval, percentile_interval, resampled_medians, wilson_interval
from ...claims import row
from .settings import SurveyClaimSettings


def _rng(settings, *key):
    return np.random.default_rng([settings.seed, *key])


def _median_row(claim, experiment, statistic, values, settings, threshold, passes, detail, key):
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return row(claim, experiment, statistic, threshold=threshold, detail="no finite values: " + detail)
    med, lo, hi = median_interval(values, settings.bootstrap, settings.confidence, _rng(settings, *key))
    verdict = "supported" if passes(lo, hi) else "not supported"
    return row(claim, experiment, statistic, med, lo, hi, threshold, verdict, f"{values.size} networks; {detail}")


def _nanmedian(values) -> float:
    """Median of the finite values, NaN (without a warning) when there are none."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else float("nan")


def _keep_text(keep) -> str:
    return f"keep{float(keep):g}"


def _true(series):
    return series.astype(str).str.lower().eq("true")


def supermask_beats_random(df, settings: SurveyClaimSettings) -> list[dict]:
    claim = "survey_supermask_beats_random"
    keep = settings.supermask_keep
    out = []
    for (label, model), g in df.groupby(["label", "model"], sort=True):
        at = g[np.abs(g["keep"].astype(float) - keep) <= 1e-9]
        for weights in ("init", "signed_constant"):
            exp = f"{label}_{weights}"
            race = model == "race"
            stat = (f"median over networks of {'accuracy(supermask) - mean accuracy(random masks)' if race else 'log10(median random-mask test MSE / supermask test MSE)'}"
                    f" at keep {keep:g}, kept weights {'at init' if weights == 'init' else 'as signed constants'}")
            gain = settings.min_accuracy_gain if race else settings.min_log10_gain
            thr = f"whole {settings.confidence:.0%} bootstrap interval above {gain:g} (null: random masks of the same size)"
            h = at[at["weights"] == weights]
            if h.empty:
                out.append(row(claim, exp, stat, threshold=thr, detail=f"no rows at keep {keep:g} (keeps in the table: "
                               f"{', '.join(f'{k:g}' for k in sorted(set(g['keep'])))})"))
                continue
            sup = h[h["mask"] == "supermask"].set_index("seed")
            rnd = h[h["mask"] == "random"].groupby("seed")
            if race:
                base = rnd["accuracy"].mean()
                values = (sup["accuracy"] - base).dropna()
                detail = (f"median accuracy supermask {sup['accuracy'].median():.3f}, random {base.median():.3f}, "
                          f"untrained dense {sup['dense_init_accuracy'].median():.3f}, trained {sup['trained_accuracy'].median():.3f}")
            else:
                base = rnd["loss"].median()
                with np.errstate(divide="ignore", invalid="ignore"):
                    values = np.log10(base / sup["loss"]).dropna()
                detail = (f"median test MSE supermask {sup['loss'].median():.3g}, random {base.median():.3g}, "
                          f"untrained dense {sup['dense_init_loss'].median():.3g}, trained {sup['trained_loss'].median():.3g}")
            detail += f"; {int(sup['kept'].median())} of {int(sup['prunable'].iloc[0])} weights kept (median)"
            out.append(_median_row(claim, exp, stat, values.to_numpy(), settings, thr, lambda lo, hi: lo > gain, detail,
                                   (1, zlib.crc32(exp.encode()))))
    return out


def strong_ticket_beats_random(df, settings: SurveyClaimSettings) -> list[dict]:
    claim = "survey_strong_ticket_beats_random"
    out = []
    ok = df[~_true(df["diverged"])]
    for (label, width, keep), g in ok.groupby(["label", "width", "keep"], sort=True):
        exp = f"{label}_N{int(width)}_{_keep_text(keep)}"
        stat = "median over networks of log10(test MSE of the starting random mask / edge-popup test MSE)"
        thr = f"whole {settings.confidence:.0%} bootstrap interval above {settings.min_log10_gain:g} (null: random masks)"
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.log10(g["start_test_loss"].astype(float) / g["test_loss"].astype(float))
        detail = (f"median test MSE edge-popup {g['test_loss'].median():.3g}, random mask {g['start_test_loss'].median():.3g}")
        out.append(_median_row(claim, exp, stat, values.to_numpy(), settings, thr,
                               lambda lo, hi: lo > settings.min_log10_gain, detail, (2, int(width))))
    return out


def power_law(widths, groups, settings, key):
    """(alpha, lo, hi, medians) of median ~ N^-alpha; groups: list of loss arrays, one per width.
    The interval resamples every width's networks (percentile bootstrap)."""
    from ..lottery.fit import _alpha_batch, power_law_fit

    widths = np.asarray(widths, dtype=np.float64)
    groups = [np.asarray(g, dtype=np.float64)[np.isfinite(g) & (np.asarray(g) > 0)] for g in groups]
    medians = np.array([np.median(g) if g.size else np.nan for g in groups])
    if np.any(~np.isfinite(medians)) or widths.size < 2:
        return float("nan"), float("nan"), float("nan"), medians
    alpha, _ = power_law_fit(widths, medians)
    rng = _rng(settings, *key)
    boot = np.stack([resampled_medians(g, settings.bootstrap, rng) for g in groups], axis=1)
    lo, hi = percentile_interval(_alpha_batch(widths, boot), settings.confidence)
    return alpha, lo, hi, medians


def _by_width(df, column):
    widths = sorted(int(w) for w in set(df["width"]))
    return widths, [df[df["width"] == w][column].to_numpy(dtype=np.float64) for w in widths]


def _alpha_text(name, widths, groups, settings, key, symbol="alpha"):
    if len(widths) < 2:
        return f"{name}: fewer than 2 widths"
    a, lo, hi, _ = power_law(widths, groups, settings, key)
    return f"{name} {symbol} {a:.3g} [{lo:.3g}, {hi:.3g}]"


def strong_ticket_scaling(ep, lin, settings: SurveyClaimSettings) -> list[dict]:
    claim = "survey_strong_ticket_scaling"
    out = []
    ok = ep[~_true(ep["diverged"])]
    for (label, keep), g in ok.groupby(["label", "keep"], sort=True):
        exp = f"{label}_{_keep_text(keep)}"
        widths, groups = _by_width(g, "test_loss")
        stat = f"alpha in median edge-popup test MSE ~ N^-alpha, widths {widths}"
        thr = (f"whole {settings.confidence:.0%} bootstrap interval of alpha above {settings.min_alpha:g} "
               f"(null: loss flat in N); >= {settings.min_widths} widths")
        if len(widths) < settings.min_widths:
            out.append(row(claim, exp, stat, threshold=thr, detail=f"only {len(widths)} width(s) in the edge-popup tables"))
            continue
        a, lo, hi, med = power_law(widths, groups, settings, (3, int(keep * 1e6)))
        extra = []
        tw, tg = _by_width(g, "trained_test_loss")
        if all(np.isfinite(x).any() for x in tg):
            extra.append(_alpha_text("trained", tw, tg, settings, (4,)))
        if lin is not None:
            h = lin[(lin["label"] == label) & lin["width"].isin(widths)]
            if not h.empty:
                extra.append(_alpha_text("linearised", *_by_width(h, "linearised_test_loss"), settings, (5,)))
        verdict = "supported" if np.isfinite(lo) and lo > settings.min_alpha else "not supported"
        out.append(row(claim, exp, stat, a, lo, hi, thr, verdict,
                       "median test MSE " + ", ".join(f"N={w}: {m:.3g}" for w, m in zip(widths, med))
                       + ("; over the same widths: " + "; ".join(extra) if extra else "")))
    return out


def strong_ticket_matches_training(ep, settings: SurveyClaimSettings) -> list[dict]:
    claim = "survey_strong_ticket_matches_training"
    out = []
    ok = ep[~_true(ep["diverged"])]
    for (label, keep), g in ok.groupby(["label", "keep"], sort=True):
        exp = f"{label}_{_keep_text(keep)}"
        thr = f"upper end of the {settings.confidence:.0%} bootstrap interval <= {settings.max_loss_ratio:g} (null: random masks)"
        have = g[np.isfinite(g["trained_test_loss"].astype(float))]
        if have.empty:
            out.append(row(claim, exp, "median edge-popup test MSE / median trained test MSE at the largest width",
                           threshold=thr, detail="no trained losses in the edge-popup tables (run survey-edgepopup with --networks)"))
            continue
        width = int(have["width"].max())
        h = have[have["width"] == width]
        stat = f"median edge-popup test MSE / median trained test MSE at N = {width}"
        e, t = h["test_loss"].to_numpy(float), h["trained_test_loss"].to_numpy(float)
        rng = _rng(settings, 6, width)
        ratio = np.median(e) / np.median(t)
        lo, hi = percentile_interval(resampled_medians(e, settings.bootstrap, rng)
                                     / resampled_medians(t, settings.bootstrap, rng), settings.confidence)
        verdict = "supported" if hi <= settings.max_loss_ratio else "not supported"
        out.append(row(claim, exp, stat, ratio, lo, hi, thr, verdict,
                       f"{len(h)} networks; median test MSE edge-popup {np.median(e):.3g}, trained {np.median(t):.3g}, "
                       f"random mask {np.median(h['start_test_loss']):.3g}"))
    return out


def linearised_n_minus_1(lin, settings: SurveyClaimSettings) -> list[dict]:
    claim = "survey_linearised_n_minus_1"
    out = []
    target, tol = settings.linear_alpha, settings.alpha_tolerance
    ok = lin[~_true(lin["linearised_diverged"])]
    for label, g in ok.groupby("label", sort=True):
        widths, groups = _by_width(g, "linearised_test_loss")
        stat = f"alpha in median linearised test MSE ~ N^-alpha, widths {widths}"
        thr = (f"whole {settings.confidence:.0%} bootstrap interval within {target:g} +- {tol:g} (null: the untrained "
               f"network, flat in N); >= {settings.min_widths} widths")
        if len(widths) < settings.min_widths:
            out.append(row(claim, label, stat, threshold=thr, detail=f"only {len(widths)} width(s) linearised"))
            continue
        a, lo, hi, med = power_law(widths, groups, settings, (7,))
        verdict = "supported" if target - tol <= lo and hi <= target + tol else "not supported"
        out.append(row(claim, label, stat, a, lo, hi, thr, verdict,
                       "median linearised test MSE " + ", ".join(f"N={w}: {m:.3g}" for w, m in zip(widths, med))
                       + "; " + _alpha_text("trained", *_by_width(g, "trained_test_loss"), settings, (8,))))
    return out


def lazy_with_width(lin, settings: SurveyClaimSettings) -> list[dict]:
    claim = "survey_lazy_with_width"
    out = []
    for label, g in lin.groupby("label", sort=True):
        widths, groups = _by_width(g, "trained_movement")
        stat = f"beta in median relative parameter movement |theta - theta0| / |theta0| ~ N^-beta (trained), widths {widths}"
        thr = (f"whole {settings.confidence:.0%} bootstrap interval above {settings.min_movement_decay:g} "
               f"(null: movement independent of N; lazy training predicts 1/2); >= {settings.min_widths} widths")
        if len(widths) < settings.min_widths:
            out.append(row(claim, label, stat, threshold=thr, detail=f"only {len(widths)} width(s)"))
            continue
        b, lo, hi, med = power_law(widths, groups, settings, (9,))
        verdict = "supported" if lo > settings.min_movement_decay else "not supported"
        out.append(row(claim, label, stat, b, lo, hi, thr, verdict,
                       "median movement " + ", ".join(f"N={w}: {m:.3g}" for w, m in zip(widths, med))
                       + "; " + _alpha_text("linearised", *_by_width(g, "linearised_movement"), settings, (10,), "beta")))
    return out


def _imp_edgepopup(ov):
    pair = ov["method_a"].astype(str) + "|" + ov["method_b"].astype(str)
    return ov[pair.isin(["imp|edgepopup", "edgepopup|imp"])]


def imp_edgepopup_rows(ov, settings: SurveyClaimSettings) -> list[dict]:
    out = []
    sub = _imp_edgepopup(ov)
    if sub.empty:
        for claim in ("survey_imp_edgepopup_above_random", "survey_imp_edgepopup_same_subnetwork"):
            out.append(row(claim, "", "Jaccard of IMP and edge-popup masks", detail="no IMP and edge-popup masks compared"))
        return out
    for (label, width, keep), g in sub.groupby(["label", "width", "keep"], sort=True):
        for level in ("weights", "neurons"):
            exp = f"{label}_N{int(width)}_{_keep_text(keep)}_{level}"
            j = g[f"jaccard_{level}"].to_numpy(float)
            null = g[f"null_{level}_mean"].to_numpy(float)
            detail = (f"median Jaccard {np.nanmedian(j):.3f}, random masks {np.nanmedian(null):.3f} "
                      f"(95% of draws {np.nanmedian(g[f'null_{level}_low']):.3f}-{np.nanmedian(g[f'null_{level}_high']):.3f})")
            out.append(_median_row(
                "survey_imp_edgepopup_above_random", exp, f"median over networks of Jaccard(IMP, edge-popup) of kept {level} "
                "minus the mean Jaccard of random masks of the same sizes", j - null, settings,
                f"whole {settings.confidence:.0%} bootstrap interval above {settings.min_jaccard_excess:g} (null: random masks)",
                lambda lo, hi: lo > settings.min_jaccard_excess, detail, (11, int(width), int(keep * 1e6))))
            out.append(_median_row(
                "survey_imp_edgepopup_same_subnetwork", exp, f"median over networks of Jaccard(IMP, edge-popup) of kept {level}",
                j, settings, f"lower end of the {settings.confidence:.0%} bootstrap interval >= {settings.min_jaccard:g} "
                "(almost the same subnetwork; random masks give the detail's value)",
                lambda lo, hi: lo >= settings.min_jaccard, detail, (12, int(width), int(keep * 1e6))))
    return out


def keeps_best_pair(pairs, settings: SurveyClaimSettings) -> list[dict]:
    claim = "survey_keeps_best_pair"
    out = []
    for (label, width, keep, method), g in pairs.groupby(["label", "width", "keep", "method"], sort=True):
        exp = f"{label}_N{int(width)}_{_keep_text(keep)}_{method}"
        stat = f"share of networks whose {method} mask keeps both neurons of the trained network's best mirror pair"
        thr = "lower end of the Wilson interval above the random masks' mean probability (null: random masks of the same sizes)"
        vals = g["keeps_pair"].astype(str).str.lower()
        has = vals.isin(["true", "false"])
        n, k = int(has.sum()), int((vals == "true").sum())
        if n == 0:
            out.append(row(claim, exp, stat, threshold=thr, detail="no network with a mirror pair"))
            continue
        lo, hi = wilson_interval(k, n)
        chance = float(np.nanmean(g.loc[has, "random_keeps_pair"].astype(float)))
        verdict = "supported" if lo > chance + 1e-9 else "not supported"  # 1e-9: Wilson's 0/n is 0 only to rounding
        out.append(row(claim, exp, stat, k / n, lo, hi, thr, verdict,
                       f"{k}/{n}; random masks keep the pair with probability {chance:.3f}; "
                       f"median kept neurons {g['kept_neurons'].median():.0f} of {int(width)}"))
    return out


def attractor_manifold(man, settings: SurveyClaimSettings) -> list[dict]:
    claim = "survey_attractor_manifold"
    out = []
    for (label, width), g in man.groupby(["label", "width"], sort=True):
        exp = f"{label}_N{int(width)}"
        stat = ("median over networks of R_trained / R_init, R = MST length of (s w, b) / its shuffled-pairing null's "
                "(~1 when w and b are unrelated, small on a curve)")
        thr = (f"upper end of the {settings.confidence:.0%} bootstrap interval below {settings.max_ratio_to_init:g} "
               "(nulls: init, shuffled pairing)")
        ratio = g["ratio_trained"].to_numpy(float) / g["ratio_init"].to_numpy(float)
        detail = (f"median R trained {_nanmedian(g['ratio_trained']):.3f}, at init {_nanmedian(g['ratio_init']):.3f}, "
                  f"shuffled {_nanmedian(g['ratio_shuffled']):.3f}; collapsed share {_nanmedian(g['collapsed_share']):.2f}; "
                  f"median active neurons {_nanmedian(g['active']):.0f}; median test MSE {_nanmedian(g['test_loss']):.3g}")
        out.append(_median_row(claim, exp, stat, ratio, settings, thr, lambda lo, hi: hi < settings.max_ratio_to_init,
                               detail, (13, int(width))))
    return out


def _absent(claim, what):
    return row(claim, "", "", detail=f"no {what} table given")


def claim_rows(supermask=None, edgepopup=None, linearised=None, overlap=None, pairs=None, manifold=None,
               settings: SurveyClaimSettings | None = None) -> list[dict]:
    """Every survey_* row from the tables given (pandas DataFrames; None = not produced: "not tested")."""
    settings = settings or SurveyClaimSettings()
    settings.validate()
    out = []
    out += supermask_beats_random(supermask, settings) if supermask is not None else [
        _absent("survey_supermask_beats_random", "supermask")]
    if edgepopup is not None:
        out += strong_ticket_beats_random(edgepopup, settings) + strong_ticket_scaling(edgepopup, linearised, settings) \
            + strong_ticket_matches_training(edgepopup, settings)
    else:
        out += [_absent(c, "edge-popup") for c in ("survey_strong_ticket_beats_random", "survey_strong_ticket_scaling",
                                                   "survey_strong_ticket_matches_training")]
    if linearised is not None:
        out += linearised_n_minus_1(linearised, settings) + lazy_with_width(linearised, settings)
    else:
        out += [_absent(c, "linearised") for c in ("survey_linearised_n_minus_1", "survey_lazy_with_width")]
    if overlap is not None:
        out += imp_edgepopup_rows(overlap, settings)
    else:
        out += [_absent(c, "overlap") for c in ("survey_imp_edgepopup_above_random", "survey_imp_edgepopup_same_subnetwork")]
    out += keeps_best_pair(pairs, settings) if pairs is not None else [_absent("survey_keeps_best_pair", "best-pair")]
    out += attractor_manifold(manifold, settings) if manifold is not None else [
        _absent("survey_attractor_manifold", "manifold")]
    for r in out:
        if not math.isfinite(r["value"]) and r["verdict"] != "not tested":
            r["verdict"] = "not tested"
    return out
