# Lottery study, figures (PNG and PDF) of the analysis stages. Plot-only settings (config section `figures`)
# are params of these rules only, so changing them reruns only the figures.
from lottery_scaling.studies.lottery.figures import FigureStyle
from lottery_scaling.studies.lottery.figures import ACTIVATION_LABELS

FIGURES = section("figures", {**asdict(FigureStyle()), "modes_width": 2})
try:
    FigureStyle.from_dict({k: v for k, v in (config.get("figures") or {}).items() if k != "modes_width"})
except UserError as _exc:
    config_error(f"figures.{_exc}")
_unknown_acts = sorted(set(FIGURES["colors"]) - set(ACTIVATION_LABELS))
if _unknown_acts:
    config_error(f"figures.colors: unknown activation(s) {', '.join(_unknown_acts)}; allowed: {', '.join(ACTIVATION_LABELS)}")
if "modes_width" in (config.get("figures") or {}) and not any(
        FIGURES["modes_width"] in e["widths"] for e in EXPERIMENTS.values()):
    config_error(f"figures.modes_width: no experiment trains width {FIGURES['modes_width']}")
for _act, _ranges in (FIGURES["fit_lines"] or {}).items():
    for _r in _ranges:
        if _r not in FIT_RANGES:
            config_error(f"figures.fit_lines.{_act}: '{_r}' is not a range of fit.ranges (allowed: {', '.join(FIT_RANGES)})")
_grid_panels = max(len(e["widths"]) for e in EXPERIMENTS.values())  # the histogram grid: one panel per width
_grid_cols = min(FIGURES["columns"], _grid_panels)
_appendix_targets = len({e["task"] for e in EXPERIMENTS.values()}) if APPENDIX_ON else 0  # one row per target
check_figure("figures.dpi", max(FIGURES["panel_width"] * _grid_cols, FIGURES["panel_width"] * _grid_panels + 0.8 if _appendix_targets else 0),
             max(FIGURES["panel_height"] * -(-_grid_panels // _grid_cols), FIGURES["panel_height"] * _appendix_targets + 0.8),
             FIGURES["dpi"])
_STYLE = shlex.quote(json.dumps({k: v for k, v in FIGURES.items() if k != "modes_width"}, sort_keys=True))
TASKS_RUN = sorted(TASK_OF_SLUG)  # file-name slugs of the tasks (a built-in task's slug is its name)


rule figure_scaling:
    conda:
        CONDA_ENV
    input:
        lambda wc: [fit_table(n, k) for n, e in _experiments_of_slug(wc.task) for k in ("medians", "exponents")],
    output:
        png=report(figure("scaling_{task}", "png"), caption="../../report/lottery/scaling.rst", category="Scaling law"),
        pdf=figure("scaling_{task}", "pdf"),
    log:
        f"{R}/logs/figures/scaling_{{task}}.log",
    params:
        style=_STYLE,
        experiments=lambda wc: " ".join(f"--experiment {n} {e['activation']} {shlex.quote(f'{R}/{n}/fit')}" for n, e in _experiments_of_slug(wc.task)),
        task=lambda wc: shlex.quote(TASK_OF_SLUG[wc.task]),
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-scaling {params.experiments} --task {params.task} --style {params.style} "
        "--out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule figure_slopes:
    conda:
        CONDA_ENV
    input:
        lambda wc: [fit_table(n, "slopes") for n, e in _experiments_of_slug(wc.task)],
    output:
        png=report(figure("slopes_{task}", "png"), caption="../../report/lottery/slopes.rst", category="Scaling law"),
        pdf=figure("slopes_{task}", "pdf"),
    log:
        f"{R}/logs/figures/slopes_{{task}}.log",
    params:
        style=_STYLE,
        experiments=lambda wc: " ".join(f"--experiment {n} {e['activation']} {shlex.quote(f'{R}/{n}/fit')}" for n, e in _experiments_of_slug(wc.task)),
        task=lambda wc: shlex.quote(TASK_OF_SLUG[wc.task]),
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-scaling --slopes {params.experiments} --task {params.task} --style {params.style} "
        "--out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule figure_histograms:
    conda:
        CONDA_ENV
    input:
        unpack(lambda wc: _histogram_figure_inputs(wc, EXPERIMENTS[wc.experiment]["widths"])),
    output:
        png=report(figure("{experiment}_histograms", "png"), caption="../../report/lottery/histograms.rst", category="Loss histograms"),
        pdf=figure("{experiment}_histograms", "pdf"),
    log:
        f"{R}/logs/figures/{{experiment}}_histograms.log",
    params:
        style=_STYLE,
        histogram_dir=lambda wc: f"{R}/{wc.experiment}/histogram",
        title=lambda wc: shlex.quote(f"{_title(wc.experiment)}: test-MSE histograms per width"),
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-histograms {input.h5:q} --histogram-dir {params.histogram_dir:q} "
        "--title {params.title} --style {params.style} --out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule figure_modes:
    conda:
        CONDA_ENV
    input:
        unpack(lambda wc: _histogram_figure_inputs(wc, [int(wc.width)])),
    output:
        png=report(figure("{experiment}_N{width}_modes", "png"), caption="../../report/lottery/modes.rst", category="Loss histograms"),
        pdf=figure("{experiment}_N{width}_modes", "pdf"),
    log:
        f"{R}/logs/figures/{{experiment}}_N{{width}}_modes.log",
    params:
        style=_STYLE,
        histogram_dir=lambda wc: f"{R}/{wc.experiment}/histogram",
        title=lambda wc: shlex.quote(f"{_title(wc.experiment)}, N = {wc.width}: robust modes and lottery tickets"),
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-histograms {input.h5:q} --single --histogram-dir {params.histogram_dir:q} "
        "--title {params.title} --style {params.style} --out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule figure_synergy:
    conda:
        CONDA_ENV
    input:
        summary=synergy_table("{experiment}", "summary"),
        samples=synergy_table("{experiment}", "samples"),
    output:
        png=report(figure("{experiment}_synergy", "png"), caption="../../report/lottery/synergy.rst", category="Synergy"),
        pdf=figure("{experiment}_synergy", "pdf"),
    log:
        f"{R}/logs/figures/{{experiment}}_synergy.log",
    params:
        style=_STYLE,
        title=lambda wc: shlex.quote(f"{_title(wc.experiment)}: width N vs two ensembled N/2 networks"),
        activation=lambda wc: EXPERIMENTS[wc.experiment]["activation"],
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-synergy --summary {input.summary:q} --samples {input.samples:q} "
        "--activation {params.activation:q} --title {params.title} --style {params.style} "
        "--out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule figure_appendix_histograms:
    conda:
        CONDA_ENV
    input:
        unpack(_appendix_histogram_inputs),
    output:
        png=report(figure("appendix_histograms_{group}", "png"), caption="../../report/lottery/appendix_histograms.rst",
                   category="Appendix", subcategory="Loss histograms"),
        pdf=figure("appendix_histograms_{group}", "pdf"),
    log:
        f"{R}/logs/figures/appendix_histograms_{{group}}.log",
    wildcard_constraints:
        group="unary|multi",
    params:
        style=_STYLE,
        rows=lambda wc: " ".join(
            f"--row {shlex.quote(EXPERIMENTS[n]['task'])} {shlex.quote(f'{R}/{n}/histogram')}" for n in _appendix_rows(wc.group)
        ),
        title=lambda wc: shlex.quote(_appendix_title(wc.group, "test-MSE histograms per width (paper Fig %d)" % (5 if wc.group == "unary" else 6))),
    resources:
        runtime=10,
        mem_mb=4000,
    shell:
        "lottery-scaling plot-appendix-histograms {input.h5:q} {params.rows} --title {params.title} "
        "--style {params.style} --out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


rule figure_appendix_scaling:
    conda:
        CONDA_ENV
    input:
        lambda wc: [fit_table(n, k) for n in _appendix_rows(wc.group) for k in ("medians", "exponents")],
    output:
        png=report(figure("appendix_scaling_{group}", "png"), caption="../../report/lottery/appendix_scaling.rst",
                   category="Appendix", subcategory="Scaling law"),
        pdf=figure("appendix_scaling_{group}", "pdf"),
    log:
        f"{R}/logs/figures/appendix_scaling_{{group}}.log",
    wildcard_constraints:
        group="unary|multi",
    params:
        style=_STYLE,
        panels=lambda wc: " ".join(
            f"--panel {shlex.quote(EXPERIMENTS[n]['task'])} {EXPERIMENTS[n]['activation']} {shlex.quote(f'{R}/{n}/fit')}" for n in _appendix_rows(wc.group)
        ),
        title=lambda wc: shlex.quote(_appendix_title(wc.group, "median test MSE vs width (paper Fig %d)" % (7 if wc.group == "unary" else 8))),
        range=APPENDIX.late_range,
        anchor=APPENDIX.wide_min_width,
    resources:
        runtime=5,
        mem_mb=2000,
    shell:
        "lottery-scaling plot-appendix-scaling {params.panels} --range {params.range} --anchor-width {params.anchor:q} "
        "--title {params.title} --style {params.style} --out {output.png:q} {output.pdf:q} > {log:q} 2>&1"


for _group in APPENDIX_GROUPS:
    FINAL_OUTPUTS += [figure(f"appendix_{kind}_{_group}", x) for kind in ("histograms", "scaling") for x in ("png", "pdf")]
for _task in TASKS_RUN:
    FINAL_OUTPUTS += [figure(f"{kind}_{_task}", x) for kind in ("scaling", "slopes") for x in ("png", "pdf")]
for _name, _e in EXPERIMENTS.items():
    FINAL_OUTPUTS += [figure(f"{_name}_histograms", x) for x in ("png", "pdf")]
    if FIGURES["modes_width"] in _e["widths"]:
        FINAL_OUTPUTS += [figure(f"{_name}_N{FIGURES['modes_width']}_modes", x) for x in ("png", "pdf")]
    if comparable_widths(_e["widths"]):
        FINAL_OUTPUTS += [figure(f"{_name}_synergy", x) for x in ("png", "pdf")]
