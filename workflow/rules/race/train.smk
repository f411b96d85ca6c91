# Race study, training: one job per setting (dataset, n, width, sigma, training settings) trains
# all its runs (seeds 0..runs-1, one per thread) and writes trajectories and snapshots.


rule race_train:
    conda:
        CONDA_ENV
    input:
        lambda wc: RACE.train_input(wc.race_run),
    output:
        RACE.runs_file("{race_run}"),
    log:
        f"{R}/logs/race/train/{{race_run}}.log",
    params:
        options=lambda wc: RACE.train_options(wc.race_run),
        core=RACE.core_hash,  # a change of the race trainer's numerics retrains (docs/development.md, reruns)
    threads: RACE.threads
    resources:
        runtime=lambda wc, threads: RACE.train_runtime(wc.race_run, threads),
        mem_mb=lambda wc, threads: RACE.train_mem(wc.race_run, threads),
    shell:
        "lottery-scaling race-train --data {input:q} {params.options} --threads {threads} --out {output:q} > {log:q} 2>&1"
