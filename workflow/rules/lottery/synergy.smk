# Lottery study, stage 4, synergy: each trained width N whose half N/2 is trained, against the ensembling
# prediction (1/L_a + 1/L_b)^-1 of random width-N/2 pairs (paper Fig 4).
from lottery_scaling.studies.lottery.synergy import SynergySettings, comparable_widths

SYNERGY = section("synergy", asdict(SynergySettings()))
for _name, _e in EXPERIMENTS.items():
    _n_seeds = _e["seeds"][1] - _e["seeds"][0]
    check_estimate(f"synergy (experiment {_name})", "analysis", _limits.synergy_estimate(
        [(_n_seeds, _n_seeds)] * len(comparable_widths(_e["widths"])), SYNERGY["pairs"], SYNERGY["bootstrap"]))


rule synergy:
    conda:
        CONDA_ENV
    input:
        lambda wc: [merged_file(wc.experiment, w) for w in EXPERIMENTS[wc.experiment]["widths"]],
    output:
        summary=synergy_table("{experiment}", "summary"),
        samples=synergy_table("{experiment}", "samples"),
    log:
        f"{R}/logs/synergy/{{experiment}}.log",
    params:
        options=cli_options(SYNERGY),
    resources:
        runtime=10,
        mem_mb=2000,
    shell:
        "lottery-scaling synergy {input:q} --out-summary {output.summary:q} --out-samples {output.samples:q} "
        "{params.options} > {log:q} 2>&1"


for _name in EXPERIMENTS:
    FINAL_OUTPUTS.append(synergy_table(_name, "summary"))
