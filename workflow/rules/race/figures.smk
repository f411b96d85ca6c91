# Race study, figures of each experiment (paper Figs 1, 3a, 3b, 4, 5, 8), PNG and PDF.


localrules:
    race_figure,


rule race_figure:
    conda:
        CONDA_ENV
    input:
        unpack(_race_figure_inputs),
    output:
        png=report(race_figure("{experiment}", "{kind}", "png"), caption="../../report/race/figure.rst",
                   category="Race", subcategory="{experiment}"),
        pdf=race_figure("{experiment}", "{kind}", "pdf"),
    log:
        f"{R}/logs/race/{{experiment}}/figure_{{kind}}.log",
    params:
        options=_race_figure_options,
        threshold=RACE_CLUSTERS["thresholds"][0],
        dpi=RACE_FIGURES["dpi"],
        analysis=RACE_ANALYSIS_VERSION,
    wildcard_constraints:
        experiment=_RACE_EXP_RE,
        kind="|".join(RACE_FIGURE_KINDS),
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-race {wildcards.kind:q} {params.options} --threshold {params.threshold:q} "
        "--subject {wildcards.experiment:q} --dpi {params.dpi:q} --out-png {output.png:q} --out-pdf {output.pdf:q} > {log:q} 2>&1"


for _name in RACE_EXPERIMENTS:
    FINAL_OUTPUTS.extend(race_figure(_name, k, x) for k in RACE_FIGURE_KINDS for x in ("png", "pdf"))
