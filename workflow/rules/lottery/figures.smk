# Lottery study, figures (PNG and PDF) of the analysis stages. Plot-only settings (config section `figures`)
# are params of these rules only, so changing them reruns only the figures.
# The figures' settings (LOTTERY.figures, checked by the plan) and every target: the plan.
_STYLE = LOTTERY.figure_style_option()


rule plot_scaling:
    conda:
        CONDA_ENV
    input:
        lambda wc: [LOTTERY.fit_table(n, k) for n, e in LOTTERY.experiments_of_slug(wc.task) for k in ("medians", "exponents")],
    output:
        png=report(LOTTERY.figure("scaling_{task}", "png"), caption="../../report/lottery/scaling.rst", category="Scaling law"),
        pdf=LOTTERY.figure("scaling_{task}", "pdf"),
    log:
        f"{R}/logs/figures/scaling_{{task}}.log",
    params:
        style=_STYLE,
        experiments=lambda wc: LOTTERY.scaling_experiment_options(wc.task),
        task=lambda wc: LOTTERY.task_option(wc.task),
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-scaling {params.experiments} --task {params.task} --style {params.style} "
        "--out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule plot_scaling_slopes:
    conda:
        CONDA_ENV
    input:
        lambda wc: [LOTTERY.fit_table(n, "slopes") for n, e in LOTTERY.experiments_of_slug(wc.task)],
    output:
        png=report(LOTTERY.figure("slopes_{task}", "png"), caption="../../report/lottery/slopes.rst", category="Scaling law"),
        pdf=LOTTERY.figure("slopes_{task}", "pdf"),
    log:
        f"{R}/logs/figures/slopes_{{task}}.log",
    params:
        style=_STYLE,
        experiments=lambda wc: LOTTERY.scaling_experiment_options(wc.task),
        task=lambda wc: LOTTERY.task_option(wc.task),
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-scaling --slopes {params.experiments} --task {params.task} --style {params.style} "
        "--out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule plot_histograms:
    conda:
        CONDA_ENV
    input:
        unpack(lambda wc: LOTTERY.histogram_figure_inputs(wc.experiment, EXPERIMENTS[wc.experiment].widths)),
    output:
        png=report(LOTTERY.figure("{experiment}_histograms", "png"), caption="../../report/lottery/histograms.rst", category="Loss histograms"),
        pdf=LOTTERY.figure("{experiment}_histograms", "pdf"),
    log:
        f"{R}/logs/figures/{{experiment}}_histograms.log",
    params:
        style=_STYLE,
        histogram_dir=lambda wc: LOTTERY.histogram_dir(wc.experiment),
        title=lambda wc: LOTTERY.quoted(f"{LOTTERY.title(wc.experiment)}: test-MSE histograms per width"),
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-histograms {input.h5:q} --histogram-dir {params.histogram_dir:q} "
        "--title {params.title} --style {params.style} --out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule plot_histograms_modes:
    conda:
        CONDA_ENV
    input:
        unpack(lambda wc: LOTTERY.histogram_figure_inputs(wc.experiment, [int(wc.width)])),
    output:
        png=report(LOTTERY.figure("{experiment}_N{width}_modes", "png"), caption="../../report/lottery/modes.rst", category="Loss histograms"),
        pdf=LOTTERY.figure("{experiment}_N{width}_modes", "pdf"),
    log:
        f"{R}/logs/figures/{{experiment}}_N{{width}}_modes.log",
    params:
        style=_STYLE,
        histogram_dir=lambda wc: LOTTERY.histogram_dir(wc.experiment),
        title=lambda wc: LOTTERY.quoted(f"{LOTTERY.title(wc.experiment)}, N = {wc.width}: robust modes and lottery tickets"),
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-histograms {input.h5:q} --single --histogram-dir {params.histogram_dir:q} "
        "--title {params.title} --style {params.style} --out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule plot_synergy:
    conda:
        CONDA_ENV
    input:
        summary=LOTTERY.synergy_table("{experiment}", "summary"),
        samples=LOTTERY.synergy_table("{experiment}", "samples"),
    output:
        png=report(LOTTERY.figure("{experiment}_synergy", "png"), caption="../../report/lottery/synergy.rst", category="Synergy"),
        pdf=LOTTERY.figure("{experiment}_synergy", "pdf"),
    log:
        f"{R}/logs/figures/{{experiment}}_synergy.log",
    params:
        style=_STYLE,
        title=lambda wc: LOTTERY.quoted(f"{LOTTERY.title(wc.experiment)}: width N vs two ensembled N/2 networks"),
        activation=lambda wc: EXPERIMENTS[wc.experiment].activation,
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-synergy --summary {input.summary:q} --samples {input.samples:q} "
        "--activation {params.activation:q} --title {params.title} --style {params.style} "
        "--out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule plot_appendix_histograms:
    conda:
        CONDA_ENV
    input:
        unpack(lambda wc: LOTTERY.appendix_histogram_inputs(wc.group)),
    output:
        png=report(LOTTERY.figure("appendix_histograms_{group}", "png"), caption="../../report/lottery/appendix_histograms.rst",
                   category="Appendix", subcategory="Loss histograms"),
        pdf=LOTTERY.figure("appendix_histograms_{group}", "pdf"),
    log:
        f"{R}/logs/figures/appendix_histograms_{{group}}.log",
    wildcard_constraints:
        group="unary|multi",
    params:
        style=_STYLE,
        rows=lambda wc: LOTTERY.appendix_row_options(wc.group),
        title=lambda wc: LOTTERY.quoted(LOTTERY.appendix_title(wc.group, "test-MSE histograms per width (paper Fig %d)" % (5 if wc.group == "unary" else 6))),
    resources:
        runtime=10,
        mem_mb=4000,
    shell:
        "lottery-scaling plot-appendix-histograms {input.h5:q} {params.rows} --title {params.title} "
        "--style {params.style} --out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule plot_appendix_scaling:
    conda:
        CONDA_ENV
    input:
        lambda wc: [LOTTERY.fit_table(n, k) for n in LOTTERY.appendix_rows(wc.group) for k in ("medians", "exponents")],
    output:
        png=report(LOTTERY.figure("appendix_scaling_{group}", "png"), caption="../../report/lottery/appendix_scaling.rst",
                   category="Appendix", subcategory="Scaling law"),
        pdf=LOTTERY.figure("appendix_scaling_{group}", "pdf"),
    log:
        f"{R}/logs/figures/appendix_scaling_{{group}}.log",
    wildcard_constraints:
        group="unary|multi",
    params:
        style=_STYLE,
        panels=lambda wc: LOTTERY.appendix_panel_options(wc.group),
        title=lambda wc: LOTTERY.quoted(LOTTERY.appendix_title(wc.group, "median test MSE vs width (paper Fig %d)" % (7 if wc.group == "unary" else 8))),
        range=LOTTERY.appendix.late_range,
        anchor=LOTTERY.appendix.wide_min_width,
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-appendix-scaling {params.panels} --range {params.range} --anchor-width {params.anchor:q} "
        "--title {params.title} --style {params.style} --out {output.png:q} {output.pdf:q} > {log:q} 2>&1"
