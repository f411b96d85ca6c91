"""The first paper's claims (docs/lottery.md, Claims) judged from the lottery study's analysis tables.

Rows have the shared claims-table columns (lottery_scaling.claims.COLUMNS). Thresholds come
from the `claims` section of the config; a claim whose data is not produced by the current
config (e.g. width 50 not trained) is "not tested" with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...claims import COLUMNS, NAN, VERDICTS, row  # noqa: F401

# Default thresholds (config section `claims` replaces these claim by claim). `range` names
# refer to the config's fit.ranges.
DEFAULT_THRESHOLDS = {
    "silu_n_minus_1": {"task": "x2", "activation": "silu", "range": "n1", "target": 1.0, "tolerance": 0.3, "min_widths": 3},
    "leaky_relu_early_n_minus_4": {"task": "x2", "activation": "leaky_relu", "range": "early", "target": 4.0, "tolerance": 1.0, "min_widths": 2},
    "leaky_relu_later_smaller": {"task": "x2", "activation": "leaky_relu", "early_range": "early", "late_range": "late", "min_drop": 1.0, "min_widths": 2},
    "narrow_multimodal": {"task": "x2", "activation": "silu", "width": 2, "min_modes": 2},
    "wide_single_peaked": {"task": "x2", "activation": "silu", "min_width": 10},
    "synergy_strong": {"task": "x2", "activation": "silu", "widths": [2], "min_ratio": 10.0},
    "synergy_close": {"task": "x2", "activation": "silu", "widths": [20, 40], "max_factor": 2.0},
}


@dataclass
class ExperimentTables:
    """The analysis tables of one experiment (pandas DataFrames)."""

    name: str
    task: str
    activation: str
    histogram: object  # histogram/summary.csv
    synergy: object  # synergy/summary.csv
    exponents: object  # fit/exponents.csv


def _matching(experiments, spec):
    return [e for e in experiments if e.task == spec["task"] and e.activation == spec["activation"]]


def _no_experiment(claim, spec, statistic, threshold):
    return [row(claim, "", statistic, threshold=threshold,
                detail=f"no experiment with task {spec['task']} and activation {spec['activation']} in the config")]


def _exponent(e: ExperimentTables, range_name: str):
    sel = e.exponents[e.exponents["range"] == range_name]
    return None if sel.empty else sel.iloc[0]


def _range_words(r) -> str:
    return f"N in [{r['range_low']:g}, {r['range_high']:g}]"


def _missing_range(range_name, e):
    return f"width range '{range_name}' is not in fit.ranges (fit of {e.name} has {', '.join(e.exponents['range'])})"


def exponent_near(claim, spec, experiments):
    """alpha of the fit over spec['range'] lies within target +- tolerance (the whole interval)."""
    target, tol, rng_name = spec["target"], spec["tolerance"], spec["range"]
    threshold = f"whole bootstrap interval of alpha within {target:g} +- {tol:g}; >= {spec['min_widths']} widths"
    statistic = f"alpha in median test MSE ~ N^-alpha (fit range '{rng_name}')"
    matches = _matching(experiments, spec)
    if not matches:
        return _no_experiment(claim, spec, statistic, threshold)
    out = []
    for e in matches:
        r = _exponent(e, rng_name)
        if r is None:
            out.append(row(claim, e.name, statistic, threshold=threshold, detail=_missing_range(rng_name, e)))
            continue
        statistic = f"alpha in median test MSE ~ N^-alpha, {_range_words(r)}"
        if r["n_widths"] < spec["min_widths"] or not math.isfinite(r["alpha"]):
            out.append(row(claim, e.name, statistic, threshold=threshold,
                           detail=f"only {int(r['n_widths'])} trained width(s) in the range ({r['widths_used'] if isinstance(r['widths_used'], str) else 'none'})"))
            continue
        ok = target - tol <= r["alpha_ci_low"] and r["alpha_ci_high"] <= target + tol
        out.append(row(claim, e.name, statistic, r["alpha"], r["alpha_ci_low"], r["alpha_ci_high"], threshold,
                       "supported" if ok else "not supported", f"widths {r['widths_used']}"))
    return out


def exponent_drops(claim, spec, experiments):
    """alpha over the early range exceeds alpha over the late range by at least min_drop, conservatively."""
    early, late, drop = spec["early_range"], spec["late_range"], spec["min_drop"]
    threshold = f"lower end of the difference interval >= {drop:g}; >= {spec['min_widths']} widths per range"
    statistic = f"alpha('{early}') - alpha('{late}')"
    matches = _matching(experiments, spec)
    if not matches:
        return _no_experiment(claim, spec, statistic, threshold)
    out = []
    for e in matches:
        re_, rl = _exponent(e, early), _exponent(e, late)
        if re_ is None or rl is None:
            out.append(row(claim, e.name, statistic, threshold=threshold, detail=_missing_range(early if re_ is None else late, e)))
            continue
        statistic = f"alpha({_range_words(re_)}) - alpha({_range_words(rl)}); interval from the two bootstrap intervals (conservative)"
        few = [r for r in (re_, rl) if r["n_widths"] < spec["min_widths"] or not math.isfinite(r["alpha"])]
        if few:
            out.append(row(claim, e.name, statistic, threshold=threshold,
                           detail="; ".join(f"only {int(r['n_widths'])} trained width(s) in {_range_words(r)}" for r in few)))
            continue
        value = re_["alpha"] - rl["alpha"]
        lo, hi = re_["alpha_ci_low"] - rl["alpha_ci_high"], re_["alpha_ci_high"] - rl["alpha_ci_low"]
        out.append(row(claim, e.name, statistic, value, lo, hi, threshold, "supported" if lo >= drop else "not supported",
                       f"early alpha {re_['alpha']:.3g} [{re_['alpha_ci_low']:.3g}, {re_['alpha_ci_high']:.3g}] on widths {re_['widths_used']}; "
                       f"late alpha {rl['alpha']:.3g} [{rl['alpha_ci_low']:.3g}, {rl['alpha_ci_high']:.3g}] on widths {rl['widths_used']}"))
    return out


def _modes_detail(h) -> str:
    return (f"{int(h['n_modes'])} robust mode(s) of {int(h['n_candidates'])} candidate(s), {int(h['n_used'])} seeds "
            f"({int(h['n_diverged'])} diverged); lottery mode at MSE {h['lottery_loss']:.3g} with {100 * h['lottery_share']:.0f}% of seeds")


def narrow_multimodal(claim, spec, experiments):
    width, k = spec["width"], spec["min_modes"]
    threshold = f"number of robust modes >= {k}"
    statistic = f"robust modes of the log10 test-MSE histogram at N = {width}"
    matches = _matching(experiments, spec)
    if not matches:
        return _no_experiment(claim, spec, statistic, threshold)
    out = []
    for e in matches:
        sel = e.histogram[e.histogram["width"] == width]
        if sel.empty:
            out.append(row(claim, e.name, statistic, threshold=threshold, detail=f"width {width} not trained"))
            continue
        h = sel.iloc[0]
        if h["n_used"] < 2:
            out.append(row(claim, e.name, statistic, threshold=threshold,
                           detail=f"width {width}: {int(h['n_used'])} non-diverged networks, too few for a histogram"))
            continue
        out.append(row(claim, e.name, statistic, h["n_modes"], threshold=threshold,
                       verdict="supported" if h["n_modes"] >= k else "not supported", detail=_modes_detail(h)))
    return out


def wide_single_peaked(claim, spec, experiments):
    lo = spec["min_width"]
    threshold = "exactly 1 robust mode at every trained N >= " f"{lo}"
    statistic = f"largest number of robust modes over trained N >= {lo}"
    matches = _matching(experiments, spec)
    if not matches:
        return _no_experiment(claim, spec, statistic, threshold)
    out = []
    for e in matches:
        sel = e.histogram[(e.histogram["width"] >= lo) & (e.histogram["n_used"] >= 2)]
        if sel.empty:
            out.append(row(claim, e.name, statistic, threshold=threshold,
                           detail=f"no trained width >= {lo} with 2 or more non-diverged networks"))
            continue
        value = sel["n_modes"].max()
        detail = "; ".join(f"N={int(w)}: {int(m)}" for w, m in zip(sel["width"], sel["n_modes"]))
        out.append(row(claim, e.name, statistic, value, threshold=threshold,
                       verdict="supported" if (sel["n_modes"] == 1).all() else "not supported", detail="modes " + detail))
    return out


def _synergy_rows(claim_prefix, spec, experiments, judge, threshold):
    out = []
    matches = _matching(experiments, spec)
    for width in spec["widths"]:
        claim = f"{claim_prefix}_N{width}"
        statistic = (f"median ratio, (N/2+N/2 ensemble prediction) / (N network), N = {width}; > 1: the wide network beats ensembling")
        if not matches:
            out += _no_experiment(claim, spec, statistic, threshold)
        for e in matches:
            sel = e.synergy[e.synergy["width"] == width]
            if sel.empty:
                trained = set(e.histogram["width"])
                if width not in trained:
                    why = f"width {width} not trained"
                elif width % 2 or width // 2 not in trained:
                    why = f"half width {width / 2:g} not trained"
                else:
                    why = f"too few non-diverged seeds at width {width} or {width // 2}"
                out.append(row(claim, e.name, statistic, threshold=threshold, detail=why))
                continue
            s = sel.iloc[0]
            out.append(row(claim, e.name, statistic, s["median_ratio"], s["ratio_ci_low"], s["ratio_ci_high"], threshold,
                           "supported" if judge(s) else "not supported",
                           f"KS {s['ks']:.3f}, Wasserstein {s['wasserstein_decades']:.3f} decades (log10 MSE); "
                           f"median MSE N={width}: {s['median_wide']:.3g}, ensemble: {s['median_ensemble']:.3g}"))
    return out


def synergy_strong(claim, spec, experiments):
    m = spec["min_ratio"]
    return _synergy_rows(claim, spec, experiments, lambda s: s["ratio_ci_low"] >= m, f"lower end of the bootstrap interval >= {m:g}")


def synergy_close(claim, spec, experiments):
    f = spec["max_factor"]
    return _synergy_rows(claim, spec, experiments,
                         lambda s: 1 / f <= s["ratio_ci_low"] and s["ratio_ci_high"] <= f,
                         f"whole bootstrap interval within [1/{f:g}, {f:g}]")


JUDGES = {
    "silu_n_minus_1": exponent_near,
    "leaky_relu_early_n_minus_4": exponent_near,
    "leaky_relu_later_smaller": exponent_drops,
    "narrow_multimodal": narrow_multimodal,
    "wide_single_peaked": wide_single_peaked,
    "synergy_strong": synergy_strong,
    "synergy_close": synergy_close,
}


def evaluate(thresholds: dict, experiments: list[ExperimentTables]) -> list[dict]:
    """Rows of the claims table for every claim: `thresholds` (config section `claims`)
    overrides each claim's DEFAULT_THRESHOLDS; a claim it does not mention keeps its defaults."""
    check_thresholds(thresholds)
    rows = []
    for claim, defaults in DEFAULT_THRESHOLDS.items():
        rows += JUDGES[claim](claim, {**defaults, **thresholds.get(claim, {})}, experiments)
    # an experiment in which every network diverged cannot test anything: say that, not "too few widths"
    diverged = {e.name: reason for e in experiments if (reason := all_diverged(e))}
    for r in rows:
        if r["verdict"] == "not tested" and r["experiment"] in diverged:
            r["detail"] = diverged[r["experiment"]]
    return rows


def all_diverged(e: ExperimentTables) -> str:
    """'every network diverged (...)' when no trained width of the experiment has a usable network, else ''."""
    h = e.histogram
    if len(h) == 0 or (h["n_used"] > 0).any():
        return ""
    return (f"every network diverged ({int(h['n_diverged'].sum())} of {int(h['n_seeds'].sum())} networks "
            f"at widths {' '.join(str(int(w)) for w in h['width'])})")


def check_thresholds(thresholds: dict) -> None:
    """Raise UserError naming the first unknown claim, unknown key or value of the wrong kind."""
    from ...errors import UserError

    if not isinstance(thresholds, dict):
        raise UserError(f"claims: must be a mapping from claim to settings, got {thresholds!r}")
    for claim, spec in thresholds.items():
        if claim not in JUDGES:
            raise UserError(f"claims.{claim}: unknown claim; known: {', '.join(JUDGES)}")
        if not isinstance(spec, dict):
            raise UserError(f"claims.{claim}: must be a mapping of settings, got {spec!r}")
        unknown = sorted(set(spec) - set(DEFAULT_THRESHOLDS[claim]))
        if unknown:
            raise UserError(f"claims.{claim}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(DEFAULT_THRESHOLDS[claim])}")
        for key, value in spec.items():
            _check_type(f"claims.{claim}.{key}", value, DEFAULT_THRESHOLDS[claim][key])


def _check_type(name: str, value, default) -> None:
    """A threshold must have its default's kind: number, integer, text, list of integers."""
    from ...errors import UserError
    from .model import ACTIVATIONS
    from .tasks import TASKS

    def number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

    if isinstance(default, list):
        ok, kind = isinstance(value, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in value), "a list of integers"
    elif isinstance(default, bool):
        ok, kind = isinstance(value, bool), "true or false"
    elif isinstance(default, int):
        ok, kind = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif isinstance(default, float):
        ok, kind = number(value), "a number"
    else:
        ok, kind = isinstance(value, str), "a text"
    if not ok:
        raise UserError(f"{name}: must be {kind}, got {value!r}")
    if name.endswith(".task") and value not in TASKS:
        raise UserError(f"{name}: unknown task {value!r}; allowed: {', '.join(TASKS)}")
    if name.endswith(".activation") and value not in ACTIVATIONS:
        raise UserError(f"{name}: unknown activation {value!r}; allowed: {', '.join(ACTIVATIONS)}")
