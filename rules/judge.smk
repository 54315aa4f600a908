# Thought and answer judged apart, by every judge in run.judges; and the judge audit on human labels.


rule judge:
    input:
        item_file="data/items/{benchmark}.jsonl",
        generations="results/generations/{model}/{benchmark}/{shard}.jsonl",
    output:
        "results/judgments/{judge}/{model}/{benchmark}/{shard}.jsonl",
    params:
        spec=lambda wc: tsconfig.spec_json(judge_spec(wc.judge)),
    log:
        "logs/judge/{judge}/{model}/{benchmark}/{shard}.log",
    benchmark:
        "logs/benchmarks/judge/{judge}/{model}/{benchmark}/{shard}.tsv"
    threads: 1
    resources:
        gpu=lambda wc: gpus(config["judges"][wc.judge].get("resources", {})),
        mem_mb=lambda wc, attempt: config["judges"][wc.judge].get("resources", {}).get("mem_mb", 2000) * attempt,
        runtime=lambda wc, attempt: config["judges"][wc.judge].get("resources", {}).get("runtime", 60) * attempt,
        # One unit per API-judge job: `--resources judge_api=N` caps jobs calling the API at once.
        judge_api=lambda wc: int(config["judges"][wc.judge]["kind"] == "llm"),
    shell:
        "{TS} judge --spec {params.spec:q} --items {input.item_file} --generations {input.generations}"
        " --out {output} > {log} 2>&1"


rule judge_audit:
    input:
        lambda wc: config["judge_audit"]["data"],
    output:
        json="results/audit/{judge}.json",
        md="results/audit/{judge}.md",
    params:
        spec=lambda wc: tsconfig.spec_json(judge_spec(wc.judge)),
    log:
        "logs/judge_audit/{judge}.log",
    benchmark:
        "logs/benchmarks/judge_audit/{judge}.tsv"
    threads: 1
    resources:
        gpu=lambda wc: gpus(config["judges"][wc.judge].get("resources", {})),
        mem_mb=lambda wc, attempt: config["judges"][wc.judge].get("resources", {}).get("mem_mb", 2000) * attempt,
        runtime=lambda wc, attempt: config["judges"][wc.judge].get("resources", {}).get("runtime", 60) * attempt,
    shell:
        "{TS} audit --spec {params.spec:q} --data {input} --out {output.json} > {log} 2>&1"
