# Lottery study, stage 1, train-per-width: one job per (run, width, seed chunk), then one merge per width.
# Merges are cheap bookkeeping: on a cluster they run where Snakemake runs.


localrules:
    merge_width,


rule train_chunk:
    conda:
        CONDA_ENV
    output:
        LOTTERY.chunk_file("{run}", "{width}", "{lo}", "{hi}"),
    log:
        f"{R}/logs/train/{{run}}/N{{width}}/seeds{{lo}}-{{hi}}.log",
    params:
        settings=lambda wc: LOTTERY.train_args(wc.run),
        core=LOTTERY.core_hash,  # a change of the trainer's numerics retrains (docs/development.md, reruns)
    threads: LOTTERY.train_threads
    resources:
        runtime=lambda wc, threads, attempt: LOTTERY.train_runtime(wc.run, wc.width, int(wc.hi) - int(wc.lo), threads, attempt),
        mem_mb=lambda wc, threads, attempt: LOTTERY.train_mem(wc.run, wc.width, threads, attempt),
    shell:
        "lottery-scaling train {params.settings} --width {wildcards.width:q} "
        "--seeds {wildcards.lo:q}:{wildcards.hi:q} --threads {threads} "
        "--label {wildcards.run:q}/N={wildcards.width:q}/seeds{wildcards.lo:q}-{wildcards.hi:q} "
        "--out {output:q} > {log:q} 2>&1"


rule merge_width:
    conda:
        CONDA_ENV
    input:
        lambda wc: LOTTERY.chunks_of_merged(wc.run, wc.width, wc.lo, wc.hi),
    output:
        LOTTERY.merged_pattern("{run}", "{width}", "{lo}", "{hi}"),
    log:
        f"{R}/logs/merge/{{run}}/N{{width}}_seeds{{lo}}-{{hi}}.log",
    resources:
        runtime=10,
        mem_mb=2000,
    shell:
        "lottery-scaling merge {input:q} --out {output:q} > {log:q} 2>&1"

