# One job per (model, benchmark, shard). GPU jobs are tagged with `gpu`; partitions live in profiles.


rule generate:
    input:
        item_file="data/items/{benchmark}.jsonl",
        model=lambda wc: model_inputs(wc.model),
        preflight=lambda wc: preflight_input(wc.model, job_resources("generate", wc)["gpu"]),
    output:
        jsonl="results/generations/{model}/{benchmark}/{shard}.jsonl",
        meta="results/generations/{model}/{benchmark}/{shard}.meta.json",
    log:
        "logs/generate/{model}/{benchmark}/{shard}.log",
    benchmark:
        "logs/benchmarks/generate/{model}/{benchmark}/{shard}.tsv"
    conda:
        lambda wc: env_file(model_env(wc.model))
    threads: lambda wc: job_resources("generate", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("generate", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("generate", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("generate", wc)["runtime"] * attempt,
    params:
        spec=lambda wc: model_spec_json(wc.model),
        n_shards=lambda wc: n_shards(wc.model, wc.benchmark),
        seed=config.get("seed", 0),
    shell:
        "thinksafe generate --spec {params.spec:q} --items {input.item_file:q} --shard {wildcards.shard:q}"
        " --n-shards {params.n_shards:q} --seed {params.seed:q} --threads {threads}"
        " --out {output.jsonl:q} > {log:q} 2>&1"
