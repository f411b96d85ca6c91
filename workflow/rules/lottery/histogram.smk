# Lottery study, stage 2, histogram: per (experiment, width) the log10 test-MSE histogram's robust modes, the
# lottery-ticket share and the median with a bootstrap interval; one table per experiment.
from lottery_scaling.studies.lottery.histogram import ModeSettings


localrules:
    histogram_table,


HISTOGRAM = section("histogram", {k: v for k, v in asdict(ModeSettings()).items() if k != "grid_points"})
for _name, _e in EXPERIMENTS.items():  # one job per width, each with every seed of the experiment
    check_estimate(f"histogram (experiment {_name}, per width)", "analysis", _limits.histogram_estimate(
        _e["seeds"][1] - _e["seeds"][0], HISTOGRAM["bootstrap"], HISTOGRAM["median_bootstrap"]))


rule histogram_width:
    conda:
        CONDA_ENV
    input:
        lambda wc: merged_file(wc.experiment, int(wc.width)),
    output:
        summary=histogram_file("{experiment}", "{width}", "summary"),
        modes=histogram_file("{experiment}", "{width}", "modes"),
        kde=histogram_file("{experiment}", "{width}", "kde"),
    log:
        f"{R}/logs/histogram/{{experiment}}/N{{width}}.log",
    params:
        options=cli_options(HISTOGRAM),
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
        summaries=lambda wc: [histogram_file(wc.experiment, w, "summary") for w in EXPERIMENTS[wc.experiment]["widths"]],
        modes=lambda wc: [histogram_file(wc.experiment, w, "modes") for w in EXPERIMENTS[wc.experiment]["widths"]],
    output:
        summary=histogram_table("{experiment}", "summary"),
        modes=histogram_table("{experiment}", "modes"),
    log:
        f"{R}/logs/histogram/{{experiment}}/tables.log",
    resources:
        runtime=5,
        mem_mb=1000,
    shell:
        "(lottery-scaling concat-tables {input.summaries:q} --out {output.summary:q} && "
        "lottery-scaling concat-tables {input.modes:q} --out {output.modes:q}) > {log:q} 2>&1"


for _name in EXPERIMENTS:
    FINAL_OUTPUTS.append(histogram_table(_name, "summary"))
    FINAL_OUTPUTS.append(histogram_table(_name, "modes"))
