# Bridge study, figures (PNG and PDF) with report captions (category "Between the two papers").


localrules:
    bridge_figure_alignment,
    bridge_figure_rewind,
    bridge_figure_emergence,


rule bridge_figure_alignment:
    conda:
        CONDA_ENV
    input:
        f"{BRIDGE_DIR}/alignment/neurons.csv",
    output:
        png=report(bridge_figure("alignment", "png"), caption="../../report/bridge/alignment.rst", category="Between the two papers"),
        pdf=bridge_figure("alignment", "pdf"),
    log:
        f"{R}/logs/bridge/figure_alignment.log",
    params:
        dpi=BRIDGE_DPI,
    shell:
        "lottery-scaling plot-bridge alignment {input:q} --dpi {params.dpi:q} --out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule bridge_figure_rewind:
    conda:
        CONDA_ENV
    input:
        tables=bridge_all_rewind_tables(),
        basin=BRIDGE_BASIN,
    output:
        png=report(bridge_figure("rewind", "png"), caption="../../report/bridge/rewind.rst", category="Between the two papers"),
        pdf=bridge_figure("rewind", "pdf"),
    log:
        f"{R}/logs/bridge/figure_rewind.log",
    params:
        dpi=BRIDGE_DPI,
    shell:
        "lottery-scaling plot-bridge rewind {input.tables:q} --basin {input.basin:q} --dpi {params.dpi:q} --out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule bridge_figure_emergence:
    conda:
        CONDA_ENV
    input:
        f"{BRIDGE_DIR}/emergence.csv",
    output:
        png=report(bridge_figure("emergence", "png"), caption="../../report/bridge/emergence.rst", category="Between the two papers"),
        pdf=bridge_figure("emergence", "pdf"),
    log:
        f"{R}/logs/bridge/figure_emergence.log",
    params:
        dpi=BRIDGE_DPI,
    shell:
        "lottery-scaling plot-bridge emergence {input:q} --dpi {params.dpi:q} --out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


if BRIDGE_ON:
    FINAL_OUTPUTS.extend(bridge_figure(k, "png") for k in ("alignment", "rewind", "emergence"))
    FINAL_OUTPUTS.append(f"{BRIDGE_DIR}/claims.csv")
