# Race study, training: one job per setting (dataset, n, width, sigma, training settings) trains
# all its runs (seeds 0..runs-1, one per thread) and writes trajectories and snapshots.


rule race_train:
    conda:
        CONDA_ENV
    input:
        _race_train_input,
    output:
        race_runs_file("{race_run}"),
    log:
        f"{R}/logs/race/train/{{race_run}}.log",
    params:
        options=_race_train_options,
        core=RACE_CORE_HASH,  # a change of the race trainer's numerics retrains (docs/development.md, reruns)
    threads: RACE_THREADS
    resources:
        runtime=_race_train_runtime,
        mem_mb=_race_train_mem,
    shell:
        "lottery-scaling race-train --data {input:q} {params.options} --threads {threads} --out {output:q} > {log:q} 2>&1"


for _e in RACE_EXPERIMENTS.values():
    for _s in _e["settings"].values():
        FINAL_OUTPUTS.append(race_runs_file(_s["run"]))
