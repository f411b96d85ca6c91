# Lottery study, stage 5, fit: median test MSE ~ N^-alpha over the configured width ranges, with bootstrap
# intervals over seeds; local slopes between neighbouring widths (paper Fig 1c, 7, 8). The width
# ranges (FIT, FIT_RANGES) are read in common.smk: claims and figures name them too.
for _name, _e in EXPERIMENTS.items():
    check_estimate(f"fit (experiment {_name})", "analysis", _limits.fit_estimate(
        [_e["seeds"][1] - _e["seeds"][0]] * len(_e["widths"]), FIT["bootstrap"]))

rule fit:
    conda:
        CONDA_ENV
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
        "lottery-scaling fit {input:q} {params.ranges} --out-medians {output.medians:q} --out-slopes {output.slopes:q} "
        "--out-exponents {output.exponents:q} {params.options} > {log:q} 2>&1"


for _name in EXPERIMENTS:
    FINAL_OUTPUTS += [fit_table(_name, k) for k in ("medians", "slopes", "exponents")]
