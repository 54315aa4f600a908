# One job per (model, benchmark, shard). GPU jobs are tagged with `gpu`; partitions live in profiles.


rule generate:
    input:
        item_file="data/items/{benchmark}.jsonl",
        model=lambda wc: model_inputs(wc.model),
    output:
        jsonl="results/generations/{model}/{benchmark}/{shard}.jsonl",
        meta="results/generations/{model}/{benchmark}/{shard}.meta.json",
    params:
        spec=lambda wc: model_spec_json(wc.model),
        n_shards=lambda wc: n_shards(wc.model, wc.benchmark),
        seed=config.get("seed", 0),
    log:
        "logs/generate/{model}/{benchmark}/{shard}.log",
    benchmark:
        "logs/benchmarks/generate/{model}/{benchmark}/{shard}.tsv"
    threads: lambda wc: model_spec(wc.model)["resources"].get("cpus", 2)
    resources:
        gpu=lambda wc: gpus(model_spec(wc.model)["resources"]),
        mem_mb=lambda wc, attempt: model_spec(wc.model)["resources"]["mem_mb"] * attempt,
        runtime=lambda wc, attempt: model_spec(wc.model)["resources"]["runtime"] * attempt,
    shell:
        "{TS} generate --spec {params.spec:q} --items {input.item_file} --shard {wildcards.shard}"
        " --n-shards {params.n_shards} --seed {params.seed} --threads {threads} --out {output.jsonl} > {log} 2>&1"
