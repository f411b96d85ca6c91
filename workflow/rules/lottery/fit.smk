# Lottery study, stage 5, fit: median test MSE ~ N^-alpha over the configured width ranges, with bootstrap
# intervals over seeds; local slopes between neighbouring widths (paper Fig 1c, 7, 8). The width
# ranges (LOTTERY.fit_ranges) are read by the plan: claims and figures name them too.

rule fit:
    conda:
        CONDA_ENV
    input:
        lambda wc: LOTTERY.merged_files(wc.experiment),
    output:
        medians=LOTTERY.fit_table("{experiment}", "medians"),
        slopes=LOTTERY.fit_table("{experiment}", "slopes"),
        exponents=LOTTERY.fit_table("{experiment}", "exponents"),
    log:
        f"{R}/logs/fit/{{experiment}}.log",
    params:
        options=LOTTERY.fit_options(),
        ranges=LOTTERY.fit_range_options(),
    resources:
        runtime=10,
        mem_mb=2000,
    shell:
        "lottery-scaling fit {input:q} {params.ranges} --out-medians {output.medians:q} --out-slopes {output.slopes:q} "
        "--out-exponents {output.exponents:q} {params.options} > {log:q} 2>&1"

