# Thought and answer judged apart, by every judge in run.judges; and the judge audit on human labels.


rule judge:
    input:
        item_file="data/items/{benchmark}.jsonl",
        generations="results/generations/{model}/{benchmark}/{shard}.jsonl",
    output:
        "results/judgments/{judge}/{model}/{benchmark}/{shard}.jsonl",
    log:
        "logs/judge/{judge}/{model}/{benchmark}/{shard}.log",
    benchmark:
        "logs/benchmarks/judge/{judge}/{model}/{benchmark}/{shard}.tsv"
    conda:
        lambda wc: env_file(judge_env(wc.judge))
    threads: lambda wc: job_resources("judge", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("judge", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("judge", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("judge", wc)["runtime"] * attempt,
        judge_api=lambda wc: job_resources("judge", wc)["judge_api"],
    params:
        spec=lambda wc: tsconfig.spec_json(judge_spec(wc.judge)),
    shell:
        "thinksafe judge --spec {params.spec:q} --items {input.item_file:q}"
        " --generations {input.generations:q} --out {output:q} > {log:q} 2>&1"


rule judge_audit:
    input:
        lambda wc: audit_data(),
    output:
        json="results/audit/{judge}.json",
        md="results/audit/{judge}.md",
    log:
        "logs/judge_audit/{judge}.log",
    benchmark:
        "logs/benchmarks/judge_audit/{judge}.tsv"
    conda:
        lambda wc: env_file(judge_env(wc.judge))
    threads: lambda wc: job_resources("judge_audit", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("judge_audit", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("judge_audit", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("judge_audit", wc)["runtime"] * attempt,
        judge_api=lambda wc: job_resources("judge_audit", wc)["judge_api"],
    params:
        spec=lambda wc: tsconfig.spec_json(judge_spec(wc.judge)),
    shell:
        "thinksafe audit --spec {params.spec:q} --data {input:q} --out {output.json:q} > {log:q} 2>&1"
