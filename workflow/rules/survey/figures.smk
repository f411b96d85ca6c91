# Survey study, figures (PNG and PDF) with report captions (category "Survey").


localrules:
    plot_survey,


rule plot_survey:
    conda:
        CONDA_ENV
    input:
        unpack(lambda wc: SURVEY.figure_inputs(LOTTERY, wc.kind)),
    output:
        png=report(SURVEY.figure("{kind}", "png"), caption="../../report/survey/figure.rst", category="Survey"),
        pdf=SURVEY.figure("{kind}", "pdf"),
    log:
        SURVEY.log("figure_{kind}"),
    params:
        files=lambda wc: SURVEY.table_options(SURVEY.figure_inputs(LOTTERY, wc.kind)),
        dpi=SURVEY.dpi,
        figures=SURVEY.figure_version,
    wildcard_constraints:
        kind="scaling|movement|supermask|overlap|manifold",
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-survey {wildcards.kind:q} {params.files} --dpi {params.dpi:q} "
        "--out {output.png:q} {output.pdf:q} > {log:q} 2>&1"
