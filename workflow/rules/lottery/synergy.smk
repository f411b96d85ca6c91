# Lottery study, stage 4, synergy: each trained width N whose half N/2 is trained, against the ensembling
# prediction (1/L_a + 1/L_b)^-1 of random width-N/2 pairs (paper Fig 4).


rule synergy:
    conda:
        CONDA_ENV
    input:
        lambda wc: LOTTERY.merged_files(wc.experiment),
    output:
        summary=LOTTERY.synergy_table("{experiment}", "summary"),
        samples=LOTTERY.synergy_table("{experiment}", "samples"),
    log:
        f"{R}/logs/synergy/{{experiment}}.log",
    params:
        options=LOTTERY.synergy_options(),
    resources:
        runtime=10,
        mem_mb=2000,
    shell:
        "lottery-scaling synergy {input:q} --out-summary {output.summary:q} --out-samples {output.samples:q} "
        "{params.options} > {log:q} 2>&1"

