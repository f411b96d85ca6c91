"""Appendix A of the first paper: its three observations judged per target (docs/lottery.md, Appendix A).

Claims (one row per judged experiment; experiments whose activation is in `activations`):

- appendix_narrow_multimodal: some narrow width (N <= narrow_max_width) has >= min_modes robust
  modes in its log10 test-MSE histogram (the histogram stage's robust modes).
- appendix_wide_single_peaked: every trained width N >= wide_min_width has exactly one robust mode.
- appendix_scaling_class: the scaling class of the median test MSE, from exponents with
  bootstrap intervals over seeds (fit stage): E on the fit range `early_range` (default
  [10, 20]), L on `late_range` (default [20, 50]), and the local slopes between neighbouring
  widths (all trained widths). With target t (1), tolerance tol (0.3) and flat f (0.2):

  * "follows N^-1": L's interval overlaps [t - tol, t + tol] and its lower end is > f;
  * "still decays but flattens": L's interval lies in (f, t - tol);
  * "plateaued or rising": L's interval lies below t - tol and L itself is < f;
  * "N^-1 range, faster before, flatter after" (the products' statement): some local slope's
    interval overlaps [t - tol, t + tol], an earlier one lies wholly above t + tol and a later
    one wholly below t - tol; checked first for d > 1 targets, as the paper states it for them;
  * "none of the classes" otherwise (e.g. L's interval straddles f, or lies above t + tol).

  The verdict compares the class found with the paper's statement for that target (Appendix
  A, Fig 7 and 8): supported if they agree. For tanh the paper says "N^-1 in its early stage",
  so its class is taken on the early range (E in place of L). A user-defined target has no
  statement in the paper: its row gives the class found, with verdict "not tested".

Each row's `detail` gives the paper's qualitative statement beside the numbers.

`summary_rows` gives one row per judged experiment for the table of the docs (TABLE_COLUMNS): the
median test MSE at `table_widths` (2, 10, 50), the exponent on fit range `table_range` (n1 =
[10, 50]) with its interval, and the class found beside the paper's.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from ...claims import row
from ...errors import UserError

CLAIM_IDS = ("appendix_narrow_multimodal", "appendix_wide_single_peaked", "appendix_scaling_class")

FOLLOWS = "follows N^-1"
FLATTENS = "still decays but flattens"
PLATEAU = "plateaued or rising"
PRODUCT = "N^-1 range, faster before, flatter after"
NONE = "none of the classes"
CLASSES = (FOLLOWS, FLATTENS, PLATEAU, PRODUCT)

_UNARY_PEAKS = "narrow networks: the loss histogram always shows multiple peaks (Fig 5)"
_UNARY_WIDE = "as width grows the loss histogram becomes single-peaked (Fig 5)"
# target -> (expected scaling class, scaling statement, narrow statement, wide statement, class on early range?)
PAPER = {
    "x2": (FOLLOWS, "obeys the N^-1 law quite well (Fig 7)", _UNARY_PEAKS, _UNARY_WIDE, False),
    "x3": (FOLLOWS, "obeys the N^-1 law quite well (Fig 7)", _UNARY_PEAKS, _UNARY_WIDE, False),
    "tanh": (FOLLOWS, "obeys the N^-1 law in its early stage (Fig 7); judged on the early range", _UNARY_PEAKS, _UNARY_WIDE, True),
    "x4": (FLATTENS, "still decaying but seems to plateau (Fig 7)", _UNARY_PEAKS, _UNARY_WIDE, False),
    "sin2": (FLATTENS, "still decaying but seems to plateau (Fig 7)", _UNARY_PEAKS, _UNARY_WIDE, False),
    "expx2": (FLATTENS, "still decaying but seems to plateau (Fig 7)", _UNARY_PEAKS, _UNARY_WIDE, False),
    **{t: (PLATEAU, "already plateaued or even slightly increases (Fig 7)", _UNARY_PEAKS, _UNARY_WIDE, False)
       for t in ("sin", "cos", "exp", "relu")},
    "prod2": (PRODUCT, "some range follows N^-1; faster before it, slower/plateau/rising after (Fig 8)",
              "multiple peaks early on, e.g. widths 2, 3, 4 (Fig 6)", "single-peaked at larger widths (Fig 6)", False),
    **{t: (PRODUCT, "some range follows N^-1; faster before it, slower/plateau/rising after (Fig 8)",
           "multiple peaks only at width 10, none at widths 1-4 (Fig 6)", "multiple peaks at width 10 (Fig 6)", False)
       for t in ("prod3", "prod4")},
    "prod5": (PRODUCT, "some range follows N^-1; faster before it, slower/plateau/rising after (Fig 8)",
              "no multiple peaks at any width shown (Fig 6)", "no multiple peaks at any width shown (Fig 6)", False),
}
_USER = "user-defined target: no statement in the paper"


@dataclass(frozen=True)
class AppendixSettings:
    """Thresholds of the appendix claims (config section `appendix`); the defaults live here only."""

    activations: tuple = ("silu",)  # experiments judged (the paper's appendix is SiLU only)
    narrow_max_width: int = 4  # widths N <= this count as narrow
    min_modes: int = 2  # robust modes that make a histogram multi-peaked
    wide_min_width: int = 10  # widths N >= this count as wide
    early_range: str = "early"  # fit.ranges name of the early exponent E (default [10, 20])
    late_range: str = "late"  # fit.ranges name of the late exponent L (default [20, 50])
    target: float = 1.0  # the N^-1 law's exponent
    tolerance: float = 0.3  # an interval overlapping target +- tolerance is consistent with it
    flat: float = 0.2  # an exponent below this counts as no decay (plateau)
    table_widths: tuple = (2, 10, 50)  # summary table: median test MSE at these widths
    table_range: str = "n1"  # summary table: the exponent on this fit.ranges entry (default [10, 50])

    @classmethod
    def from_dict(cls, values: dict | None) -> "AppendixSettings":
        values = dict(values or {})
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise UserError(f"appendix: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(names)}")
        for key in ("activations", "table_widths"):
            if key in values and isinstance(values[key], list):
                values[key] = tuple(values[key])
        s = cls(**values)
        s.validate()
        return s

    def validate(self) -> None:
        from .model import ACTIVATIONS

        bad = [a for a in self.activations if a not in ACTIVATIONS]
        if bad or not self.activations:
            raise UserError(f"appendix.activations: must be a non-empty list of {', '.join(ACTIVATIONS)}, got {list(self.activations)}")
        for name in ("narrow_max_width", "min_modes", "wide_min_width"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise UserError(f"appendix.{name}: must be an integer >= 1, got {value!r}")
        for name in ("target", "tolerance", "flat"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
                raise UserError(f"appendix.{name}: must be a number, got {value!r}")
        if (not isinstance(self.table_widths, tuple) or not self.table_widths
                or not all(isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in self.table_widths)):
            raise UserError(f"appendix.table_widths: must be a non-empty list of integers >= 1, got {self.table_widths!r}")
        if self.tolerance <= 0:
            raise UserError(f"appendix.tolerance: must be > 0, got {self.tolerance}")
        if not self.flat < self.target - self.tolerance:
            raise UserError(f"appendix.flat: must be below target - tolerance ({self.target - self.tolerance:g}), got {self.flat}")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["activations"] = list(d["activations"])
        d["table_widths"] = list(d["table_widths"])
        return d


@dataclass
class AppendixTables:
    """The analysis tables of one experiment (pandas DataFrames)."""

    name: str
    task: str
    activation: str
    histogram: object  # histogram/summary.csv
    exponents: object  # fit/exponents.csv
    slopes: object  # fit/slopes.csv
    medians: object = None  # fit/medians.csv (the summary table only)


def paper_statement(task: str):
    return PAPER.get(task)


def classify(alpha, lo, hi, s: AppendixSettings) -> str:
    """Class of an exponent alpha with interval [lo, hi] (see the module docstring)."""
    if not all(math.isfinite(v) for v in (alpha, lo, hi)):
        return NONE
    band_lo, band_hi = s.target - s.tolerance, s.target + s.tolerance
    if lo <= band_hi and hi >= band_lo and lo > s.flat:
        return FOLLOWS
    if lo > s.flat and hi < band_lo:
        return FLATTENS
    if hi < band_lo and alpha < s.flat:
        return PLATEAU
    return NONE


def product_pattern(slopes, s: AppendixSettings):
    """(found, words) for the products' statement on the local slopes (DataFrame of fit/slopes.csv)."""
    band_lo, band_hi = s.target - s.tolerance, s.target + s.tolerance
    rows = [r for _, r in slopes.sort_values("width_low").iterrows()
            if math.isfinite(r["slope_ci_low"]) and math.isfinite(r["slope_ci_high"])]
    for k, r in enumerate(rows):
        if not (r["slope_ci_low"] <= band_hi and r["slope_ci_high"] >= band_lo):
            continue
        before = [q for q in rows[:k] if q["slope_ci_low"] > band_hi]
        after = [q for q in rows[k + 1:] if q["slope_ci_high"] < band_lo]
        if before and after:
            return True, (f"N^-1 on N {r['width_low']:g}-{r['width_high']:g} (slope {r['local_slope']:.2f}), faster on "
                          f"N {before[-1]['width_low']:g}-{before[-1]['width_high']:g} ({before[-1]['local_slope']:.2f}), flatter on "
                          f"N {after[0]['width_low']:g}-{after[0]['width_high']:g} ({after[0]['local_slope']:.2f})")
    return False, "no local slope consistent with N^-1 between a faster and a flatter one"


def _slopes_words(slopes) -> str:
    return "; ".join(f"{r['width_low']:g}-{r['width_high']:g}: {r['local_slope']:.2f} [{r['slope_ci_low']:.2f}, {r['slope_ci_high']:.2f}]"
                     for _, r in slopes.sort_values("width_low").iterrows())


def _exponent(exponents, name):
    sel = exponents[exponents["range"] == name]
    return None if sel.empty else sel.iloc[0]


def _fmt(r) -> str:
    return f"{r['alpha']:.2f} [{r['alpha_ci_low']:.2f}, {r['alpha_ci_high']:.2f}] on N {r['widths_used']}"


def _scaling_class(e, d: int, s: AppendixSettings):
    """(class found, the exponent row it is judged on, its statistic, detail words) of one experiment,
    or (None, missing range names) when a fit range has fewer than 2 trained widths."""
    paper = paper_statement(e.task)
    early, late = _exponent(e.exponents, s.early_range), _exponent(e.exponents, s.late_range)
    missing = [n for n, r in ((s.early_range, early), (s.late_range, late)) if r is None or r["n_widths"] < 2 or not math.isfinite(r["alpha"])]
    if missing:
        return None, missing
    statistic = f"alpha of median test MSE ~ N^-alpha on N {late['range_low']:g}-{late['range_high']:g} (L)"
    c_early = classify(early["alpha"], early["alpha_ci_low"], early["alpha_ci_high"], s)
    c_late = classify(late["alpha"], late["alpha_ci_low"], late["alpha_ci_high"], s)
    found, pattern_words = c_late, ""
    if d > 1:
        has, pattern_words = product_pattern(e.slopes, s)
        if has:
            found = PRODUCT
    value_row = late
    if paper and paper[4]:  # the paper's statement is about the early range (tanh)
        found, value_row = c_early, early
        statistic = f"alpha of median test MSE ~ N^-alpha on N {early['range_low']:g}-{early['range_high']:g} (E; the paper speaks of the early stage)"
    words = (f"E = {_fmt(early)} ({c_early}); L = {_fmt(late)} ({c_late})"
             f"{'; ' + pattern_words if pattern_words else ''}; local slopes {_slopes_words(e.slopes)}")
    return found, (value_row, statistic, words)


def scaling_class_row(e, d: int, s: AppendixSettings) -> dict:
    """appendix_scaling_class for one experiment (e: AppendixTables)."""
    claim = "appendix_scaling_class"
    paper = paper_statement(e.task)
    threshold = (f"class from the exponent's bootstrap interval: overlaps {s.target:g} +- {s.tolerance:g} and above {s.flat:g}: "
                 f"follows; in ({s.flat:g}, {s.target - s.tolerance:g}): flattens; below {s.target - s.tolerance:g} with alpha < {s.flat:g}: "
                 "plateau; products: a local slope consistent with N^-1 between a faster and a flatter one; "
                 "supported if the class found is the paper's")
    statistic = f"alpha of median test MSE ~ N^-alpha on fit range '{s.late_range}' (L), with E on '{s.early_range}'"
    paper_words = f"paper: {paper[1]}" if paper else _USER
    found, info = _scaling_class(e, d, s)
    if found is None:
        return row(claim, e.name, statistic, threshold=threshold,
                   detail=f"fewer than 2 trained widths in fit range(s) {', '.join(repr(m) for m in info)}; {paper_words}")
    value_row, statistic, words = info
    detail = f"class found: {found}; {paper_words}{f' (expected: {paper[0]})' if paper else ''}. {words}"
    if paper is None:
        verdict = "not tested"
    else:
        verdict = "supported" if found == paper[0] else "not supported"
    return row(claim, e.name, statistic, value_row["alpha"], value_row["alpha_ci_low"], value_row["alpha_ci_high"],
               threshold, verdict, detail)


def table_columns(s: AppendixSettings) -> list[str]:
    return (["experiment", "task", "activation"] + [f"median_N{w}" for w in s.table_widths]
            + ["alpha_range", "alpha", "alpha_ci_low", "alpha_ci_high", "class_range", "class_alpha", "class_alpha_ci_low",
               "class_alpha_ci_high", "class_found", "class_paper", "paper_statement"])


def summary_rows(settings: AppendixSettings, experiments) -> list[dict]:
    """One row (table_columns) per judged experiment: medians at table_widths (NaN where not trained), the
    exponent on table_range with its interval, the exponent the class is judged on (late_range; early_range
    for tanh) and the scaling class found beside the paper's."""
    from .tasks import input_dim

    out = []
    for e in experiments:
        if e.activation not in settings.activations:
            continue
        paper = paper_statement(e.task)
        r = {"experiment": e.name, "task": e.task, "activation": e.activation}
        med = e.medians.set_index("width")["median_loss"] if e.medians is not None else {}
        for w in settings.table_widths:
            r[f"median_N{w}"] = float(med[w]) if w in med else math.nan
        x = _exponent(e.exponents, settings.table_range)
        ok = x is not None and x["n_widths"] >= 2
        r["alpha_range"] = f"{x['range_low']:g}-{x['range_high']:g}" if x is not None else settings.table_range
        for k in ("alpha", "alpha_ci_low", "alpha_ci_high"):
            r[k] = float(x[k]) if ok else math.nan
        found, info = _scaling_class(e, input_dim(e.task), settings)
        judged = info[0] if found else None  # the exponent the class is judged on (L; E for tanh)
        r["class_range"] = f"{judged['range_low']:g}-{judged['range_high']:g}" if judged is not None else ""
        for k in ("alpha", "alpha_ci_low", "alpha_ci_high"):
            r[f"class_{k}"] = float(judged[k]) if judged is not None else math.nan
        r["class_found"] = found or "fewer than 2 widths in a fit range"
        r["class_paper"] = paper[0] if paper else ""
        r["paper_statement"] = paper[1] if paper else _USER
        out.append(r)
    return out


def _modes_words(h) -> str:
    return ", ".join(f"N={int(w)}: {int(m)}" for w, m in zip(h["width"], h["n_modes"]))


def narrow_row(e, s: AppendixSettings) -> dict:
    claim = "appendix_narrow_multimodal"
    paper = paper_statement(e.task)
    paper_words = f"paper: {paper[2]}" if paper else _USER
    threshold = f">= {s.min_modes} robust modes at some N <= {s.narrow_max_width}"
    statistic = f"most robust modes of the log10 test-MSE histogram over N <= {s.narrow_max_width}"
    h = e.histogram[(e.histogram["width"] <= s.narrow_max_width) & (e.histogram["n_used"] >= 2)]
    if h.empty:
        return row(claim, e.name, statistic, threshold=threshold,
                   detail=f"no trained width <= {s.narrow_max_width} with 2 or more non-diverged networks; {paper_words}")
    value = h["n_modes"].max()
    return row(claim, e.name, statistic, value, threshold=threshold,
               verdict="supported" if value >= s.min_modes else "not supported",
               detail=f"modes {_modes_words(h)} (all widths: {_modes_words(e.histogram)}); {paper_words}")


def wide_row(e, s: AppendixSettings) -> dict:
    claim = "appendix_wide_single_peaked"
    paper = paper_statement(e.task)
    paper_words = f"paper: {paper[3]}" if paper else _USER
    threshold = f"exactly 1 robust mode at every trained N >= {s.wide_min_width}"
    statistic = f"most robust modes over trained N >= {s.wide_min_width}"
    h = e.histogram[(e.histogram["width"] >= s.wide_min_width) & (e.histogram["n_used"] >= 2)]
    if h.empty:
        return row(claim, e.name, statistic, threshold=threshold,
                   detail=f"no trained width >= {s.wide_min_width} with 2 or more non-diverged networks; {paper_words}")
    return row(claim, e.name, statistic, h["n_modes"].max(), threshold=threshold,
               verdict="supported" if (h["n_modes"] == 1).all() else "not supported",
               detail=f"modes {_modes_words(h)}; {paper_words}")


def evaluate(settings: AppendixSettings, experiments) -> list[dict]:
    """Rows of the three appendix claims for every experiment whose activation is judged."""
    from .tasks import input_dim

    judged = [e for e in experiments if e.activation in settings.activations]
    rows = []
    for claim in CLAIM_IDS:
        if not judged:
            rows.append(row(claim, "", detail=f"no experiment with activation {', '.join(settings.activations)} in the config"))
        for e in judged:
            if claim == "appendix_narrow_multimodal":
                rows.append(narrow_row(e, settings))
            elif claim == "appendix_wide_single_peaked":
                rows.append(wide_row(e, settings))
            else:
                rows.append(scaling_class_row(e, input_dim(e.task), settings))
    return rows
