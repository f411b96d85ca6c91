# Race study, figures of each experiment (paper Figs 1, 3a, 3b, 4, 5, 8), PNG and PDF.


localrules:
    plot_race,


rule plot_race:
    conda:
        CONDA_ENV
    input:
        unpack(lambda wc: RACE.figure_inputs(wc.experiment, wc.kind)),
    output:
        png=report(RACE.figure("{experiment}", "{kind}", "png"), caption="../../report/race/figure.rst",
                   category="Race", subcategory="{experiment}"),
        pdf=RACE.figure("{experiment}", "{kind}", "pdf"),
    log:
        f"{R}/logs/race/{{experiment}}/figure_{{kind}}.log",
    params:
        options=lambda wc, input: RACE.figure_options(wc.experiment, wc.kind, input),
        threshold=RACE.clusters["thresholds"][0],
        dpi=RACE.figures["dpi"],
        analysis=RACE.analysis_version,
    wildcard_constraints:
        experiment=_RACE_EXP_RE,
        kind="|".join(RACE_FIGURE_KINDS),
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-race {wildcards.kind:q} {params.options} --threshold {params.threshold:q} "
        "--subject {wildcards.experiment:q} --dpi {params.dpi:q} --out-png {output.png:q} --out-pdf {output.pdf:q} > {log:q} 2>&1"
