# Stage 2, histogram: per (experiment, width) the log10 test-MSE histogram's robust modes, the
# lottery-ticket share and the median with a bootstrap interval; one table per experiment.
import json
import shlex
from dataclasses import asdict

from lottery_scaling.histogram import ModeSettings


wildcard_constraints:
    experiment="[A-Za-z][A-Za-z0-9_]*",
    task="[a-z0-9]+",


def cli_options(settings):
    """`--key value` options for the analysis commands (None values left out)."""
    return " ".join(
        f"--{k.replace('_', '-')} {shlex.quote(str(v))}" for k, v in settings.items() if v is not None
    )


def section(name, defaults):
    """Config section `name` over its defaults; an unknown key stops the run (the schema lists them)."""
    values = dict(config.get(name) or {})
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        config_error(f"{name}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(defaults)}")
    return {**defaults, **values}


HISTOGRAM = section("histogram", {k: v for k, v in asdict(ModeSettings()).items() if k != "grid_points"})


def histogram_file(experiment, width, kind):
    """kind: summary, modes or kde (see `lottery-scaling histogram --help`)."""
    return f"{R}/{experiment}/histogram/N{width}_{kind}.csv"


def histogram_table(experiment, kind="summary"):
    """One row per width (kind=summary) or per candidate mode (kind=modes) of an experiment."""
    return f"{R}/{experiment}/histogram/{kind}.csv"


rule histogram_width:
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
        "lottery-scaling histogram {input} --out-summary {output.summary} --out-modes {output.modes} "
        "--out-kde {output.kde} {params.options} > {log} 2>&1"


rule histogram_table:
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
        "(lottery-scaling concat-tables {input.summaries} --out {output.summary} && "
        "lottery-scaling concat-tables {input.modes} --out {output.modes}) > {log} 2>&1"


for _name in EXPERIMENTS:
    FINAL_OUTPUTS.append(histogram_table(_name, "summary"))
    FINAL_OUTPUTS.append(histogram_table(_name, "modes"))
