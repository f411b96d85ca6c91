# Stage 5, fit: median test MSE ~ N^-alpha over the configured width ranges, with bootstrap
# intervals over seeds; local slopes between neighbouring widths (paper Fig 1c, 7, 8).
from lottery_scaling.fit import DEFAULT_RANGES, FitSettings

FIT = section("fit", {**asdict(FitSettings()), "ranges": DEFAULT_RANGES})
FIT_RANGES = {name: (float(lo), float(hi)) for name, (lo, hi) in FIT["ranges"].items()}
for _rname, (_lo, _hi) in FIT_RANGES.items():
    if not 0 < _lo <= _hi:
        config_error(f"fit.ranges.{_rname}: needs 0 < LO <= HI, got [{_lo:g}, {_hi:g}]")


def fit_table(experiment, kind):
    """kind: medians (one row per width), slopes (neighbouring widths) or exponents (one row per range)."""
    return f"{R}/{experiment}/fit/{kind}.csv"


rule fit:
    input:
        lambda wc: [merged_file(wc.experiment, w) for w in EXPERIMENTS[wc.experiment]["widths"]],
    output:
        medians=fit_table("{experiment}", "medians"),
        slopes=fit_table("{experiment}", "slopes"),
        exponents=fit_table("{experiment}", "exponents"),
    log:
        f"{R}/logs/fit/{{experiment}}.log",
    params:
        options=cli_options({k: v for k, v in FIT.items() if k != "ranges"}),
        # sorted: the order of keys in a config file must not make the fit rerun
        ranges=" ".join(f"--range {name}:{lo:g}:{hi:g}" for name, (lo, hi) in sorted(FIT_RANGES.items())),
    resources:
        runtime=10,
        mem_mb=2000,
    shell:
        "lottery-scaling fit {input} {params.ranges} --out-medians {output.medians} --out-slopes {output.slopes} "
        "--out-exponents {output.exponents} {params.options} > {log} 2>&1"


for _name in EXPERIMENTS:
    FINAL_OUTPUTS += [fit_table(_name, k) for k in ("medians", "slopes", "exponents")]
