# Lottery study, stage 2, histogram: per (experiment, width) the log10 test-MSE histogram's robust modes, the
# lottery-ticket share and the median with a bootstrap interval; one table per experiment.


localrules:
    histogram_table,


rule histogram_width:
    conda:
        CONDA_ENV
    input:
        lambda wc: LOTTERY.merged_file(wc.experiment, int(wc.width)),
    output:
        summary=LOTTERY.histogram_file("{experiment}", "{width}", "summary"),
        modes=LOTTERY.histogram_file("{experiment}", "{width}", "modes"),
        kde=LOTTERY.histogram_file("{experiment}", "{width}", "kde"),
    log:
        f"{R}/logs/histogram/{{experiment}}/N{{width}}.log",
    params:
        options=LOTTERY.histogram_options(),
    resources:
        runtime=10,
        mem_mb=2000,
    shell:
        "lottery-scaling histogram {input:q} --out-summary {output.summary:q} --out-modes {output.modes:q} "
        "--out-kde {output.kde:q} {params.options} > {log:q} 2>&1"


rule histogram_table:
    conda:
        CONDA_ENV
    input:
        summaries=lambda wc: [LOTTERY.histogram_file(wc.experiment, w, "summary") for w in EXPERIMENTS[wc.experiment].widths],
        modes=lambda wc: [LOTTERY.histogram_file(wc.experiment, w, "modes") for w in EXPERIMENTS[wc.experiment].widths],
    output:
        summary=LOTTERY.histogram_table("{experiment}", "summary"),
        modes=LOTTERY.histogram_table("{experiment}", "modes"),
    log:
        f"{R}/logs/histogram/{{experiment}}/tables.log",
    resources:
        runtime=5,
        mem_mb=1000,
    shell:
        "(lottery-scaling concat-tables {input.summaries:q} --out {output.summary:q} && "
        "lottery-scaling concat-tables {input.modes:q} --out {output.modes:q}) > {log:q} 2>&1"

