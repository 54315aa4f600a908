# One job per (model, shard), across all of the run's benchmarks: the job loads its model once and
# writes its shard of every benchmark (docs/cluster.md, "Job granularity"). GPU jobs are tagged with
# `gpu`; partitions live in profiles. The outputs are update(): when the job reruns because a benchmark
# was added or one items file changed, Snakemake keeps the other benchmarks' shards and the CLI skips
# each one whose recorded fingerprint (spec, items, shard, seed) still matches.


rule generate:
    input:
        item_files=all_items(),
        model=lambda wc: model_inputs(wc.model),
        preflight=lambda wc: preflight_input(wc.model, job_resources("generate", wc)["gpu"]),
    output:
        jsonl=[update(f) for f in generation_outputs(".jsonl")],
        meta=[update(f) for f in generation_outputs(".meta.json")],
    log:
        "logs/generate/{model}/{shard}.log",
    benchmark:
        "logs/benchmarks/generate/{model}/{shard}.tsv"
    conda:
        lambda wc: env_file(model_env(wc.model))
    threads: lambda wc: job_resources("generate", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("generate", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("generate", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("generate", wc)["runtime"] * attempt,
    params:
        spec=lambda wc: model_spec_file(wc.model),
        n_shards=lambda wc: n_shards(wc.model),
        seed=config.get("seed", 0),
    shell:
        "thinksafe generate --spec {params.spec:q} --items {input.item_files:q} --out {output.jsonl:q}"
        " --shard {wildcards.shard:q} --n-shards {params.n_shards:q} --seed {params.seed:q}"
        " --threads {threads} > {log:q} 2>&1"
