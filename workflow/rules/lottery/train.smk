# Lottery study, stage 1, train-per-width: one job per (run, width, seed chunk), then one merge per width.
# Merges are cheap bookkeeping: on a cluster they run where Snakemake runs.


localrules:
    merge_width,


rule train_chunk:
    conda:
        CONDA_ENV
    output:
        chunk_file("{run}", "{width}", "{lo}", "{hi}"),
    log:
        f"{R}/logs/train/{{run}}/N{{width}}/seeds{{lo}}-{{hi}}.log",
    params:
        settings=lambda wc: train_cli_args(RUNS[wc.run]),
        core=LOTTERY_CORE_HASH,  # a change of the trainer's numerics retrains (docs/development.md, reruns)
    threads: TRAIN_THREADS
    resources:
        runtime=_train_runtime,
        mem_mb=_train_mem,
    shell:
        "lottery-scaling train {params.settings} --width {wildcards.width:q} "
        "--seeds {wildcards.lo:q}:{wildcards.hi:q} --threads {threads} "
        "--label {wildcards.run:q}/N={wildcards.width:q}/seeds{wildcards.lo:q}-{wildcards.hi:q} "
        "--out {output:q} > {log:q} 2>&1"


rule merge_width:
    conda:
        CONDA_ENV
    input:
        _chunks_of_merged,
    output:
        f"{R}/train/{{run}}/N{{width}}_seeds{{lo}}-{{hi}}.h5",
    log:
        f"{R}/logs/merge/{{run}}/N{{width}}_seeds{{lo}}-{{hi}}.log",
    resources:
        runtime=10,
        mem_mb=2000,
    shell:
        "lottery-scaling merge {input:q} --out {output:q} > {log:q} 2>&1"


for _name, _e in EXPERIMENTS.items():
    for _width in _e["widths"]:
        FINAL_OUTPUTS.append(merged_file(_name, _width))
