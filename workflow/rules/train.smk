# Stage 1, train-per-width: one job per (run, width, seed chunk), then one merge per width.


wildcard_constraints:
    run="[A-Za-z0-9_]+-[A-Za-z0-9_]+-[0-9a-f]{10}",
    width="[0-9]+",
    lo="[0-9]+",
    hi="[0-9]+",

# Conservative per-thread speed of the trainer (neuron-sample-steps per second) for runtime requests.
_SLOW_RATE = 2e8


# A retry (profile: retries) of a job that ran out of time or memory asks for 2x, 3x as much.
def _train_runtime(wildcards, threads, attempt):
    work = train_work(RUNS[wildcards.run], int(wildcards.width), int(wildcards.hi) - int(wildcards.lo))
    return attempt * (10 + math.ceil(2 * work / (_SLOW_RATE * threads) / 60))


def _train_mem(wildcards, threads, attempt):
    s = RUNS[wildcards.run]
    per_thread = int(wildcards.width) * s["n_train"] * 8 * 4
    return attempt * (1000 + math.ceil(threads * per_thread / 2**20))


rule train_chunk:
    output:
        chunk_file("{run}", "{width}", "{lo}", "{hi}"),
    log:
        f"{R}/logs/train/{{run}}/N{{width}}/seeds{{lo}}-{{hi}}.log",
    params:
        settings=lambda wc: train_cli_args(RUNS[wc.run]),
        core=CORE_HASH,  # a change of the trainer's numerics retrains (see README)
    threads: TRAIN_THREADS
    resources:
        runtime=_train_runtime,
        mem_mb=_train_mem,
    shell:
        "lottery-scaling train {params.settings} --width {wildcards.width} "
        "--seeds {wildcards.lo}:{wildcards.hi} --threads {threads} "
        "--label {wildcards.run}/N={wildcards.width}/seeds{wildcards.lo}-{wildcards.hi} "
        "--out {output} > {log} 2>&1"


def _chunks_of_merged(wildcards):
    lo, hi = int(wildcards.lo), int(wildcards.hi)
    return [chunk_file(wildcards.run, wildcards.width, a, b) for a, b in seed_chunks(lo, hi, wildcards.run, wildcards.width)]


rule merge_width:
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
        "lottery-scaling merge {input} --out {output} > {log} 2>&1"
