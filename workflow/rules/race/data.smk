# Race study, data: the two-class task of each (dataset, n, data_seed) as an HDF5 file (digits
# from scikit-learn, offline; CIFAR-10 from the python batches in race.cifar_dir).


localrules:
    race_prepare_data,


rule race_prepare_data:
    conda:
        CONDA_ENV
    input:
        lambda wc: RACE.data_input(wc.dataset),
    output:
        RACE.data_file("{dataset}", "{n}", "{data_seed}"),
    log:
        f"{R}/logs/race/data/{{dataset}}_n{{n}}_seed{{data_seed}}.log",
    params:
        options=lambda wc: RACE.data_options(wc.dataset),
    wildcard_constraints:
        dataset="digits|photos|cifar10",
        n="[0-9]+",
        data_seed="[0-9]+",
    resources:
        runtime=10,
        mem_mb=4000,
    shell:
        "lottery-scaling race-prepare-data --dataset {wildcards.dataset:q} --n {wildcards.n:q} "
        "--data-seed {wildcards.data_seed:q} {params.options} --out {output:q} > {log:q} 2>&1"
