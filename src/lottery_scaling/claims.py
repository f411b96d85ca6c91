"""Claims tables, shared by every study: one row per claim and experiment, with a verdict from the data.

Claims table columns (one row per claim and experiment; every part file and the final
`claims.csv` have exactly these, in this order):

- claim: short identifier of the claim, e.g. "silu_n_minus_1"
- experiment: config experiment the number comes from ("" when no experiment matches)
- statistic: what `value` measures, in words (with the width range or widths)
- value: the measured number (NaN when not tested)
- ci_low, ci_high: its interval (95% percentile bootstrap over seeds unless the statistic says
  otherwise; NaN when the statistic has none)
- threshold: the rule used to judge it, in words, with the numbers from the config
- verdict: "supported", "not supported" or "not tested"
- detail: the reason for "not tested", or supporting numbers

Thresholds come from the `claims` section of the config; a claim whose data is not produced by
the current config (e.g. width 50 not trained) is "not tested" with the reason.
"""

from __future__ import annotations

import math

COLUMNS = ("claim", "experiment", "statistic", "value", "ci_low", "ci_high", "threshold", "verdict", "detail")
VERDICTS = ("supported", "not supported", "not tested")
NAN = float("nan")


def row(claim, experiment="", statistic="", value=NAN, ci_low=NAN, ci_high=NAN, threshold="", verdict="not tested", detail=""):
    """One claims-table row (a dict with exactly COLUMNS)."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    return dict(zip(COLUMNS, (claim, experiment, statistic, float(value), float(ci_low), float(ci_high), threshold, verdict, detail)))
