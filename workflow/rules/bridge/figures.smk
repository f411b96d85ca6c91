# Bridge study, figures (PNG and PDF) with report captions (category "Between the two papers").


localrules:
    plot_bridge_alignment,
    plot_bridge_rewind,
    plot_bridge_emergence,


rule plot_bridge_alignment:
    conda:
        CONDA_ENV
    input:
        BRIDGE.table("alignment/neurons"),
    output:
        png=report(BRIDGE.figure("alignment", "png"), caption="../../report/bridge/alignment.rst", category="Between the two papers"),
        pdf=BRIDGE.figure("alignment", "pdf"),
    log:
        f"{R}/logs/bridge/figure_alignment.log",
    params:
        dpi=BRIDGE.dpi,
    shell:
        "lottery-scaling plot-bridge alignment {input:q} --dpi {params.dpi:q} --out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule plot_bridge_rewind:
    conda:
        CONDA_ENV
    input:
        tables=BRIDGE.all_rewind_tables(),
        basin=BRIDGE.basin,
    output:
        png=report(BRIDGE.figure("rewind", "png"), caption="../../report/bridge/rewind.rst", category="Between the two papers"),
        pdf=BRIDGE.figure("rewind", "pdf"),
    log:
        f"{R}/logs/bridge/figure_rewind.log",
    params:
        dpi=BRIDGE.dpi,
    shell:
        "lottery-scaling plot-bridge rewind {input.tables:q} --basin {input.basin:q} --dpi {params.dpi:q} --out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule plot_bridge_emergence:
    conda:
        CONDA_ENV
    input:
        BRIDGE.table("emergence"),
    output:
        png=report(BRIDGE.figure("emergence", "png"), caption="../../report/bridge/emergence.rst", category="Between the two papers"),
        pdf=BRIDGE.figure("emergence", "pdf"),
    log:
        f"{R}/logs/bridge/figure_emergence.log",
    params:
        dpi=BRIDGE.dpi,
    shell:
        "lottery-scaling plot-bridge emergence {input:q} --dpi {params.dpi:q} --out {output.png:q} {output.pdf:q} > {log:q} 2>&1"
