# Thought and answer judged apart, by every judge in run.judges: one job per (judge, model) judges all of
# the model's shards of every benchmark, with one judge load (MiniLM, a classifier) and one API client,
# rate limiter and ledger. The rule is used three times, because localrules and the profile's
# set-resources are per rule: `judge` (offline CPU judges: on the submitting node), `judge_api` (API
# judges: a CPU cluster job, grouped per model) and `judge_gpu` (classifiers: the GPU partition).


localrules:
    judge,
    judge_audit,


rule judge:
    input:
        item_files=all_items(),
        generations=lambda wc: generation_files(wc.model),
    output:
        directory("results/judgments/{judge}/{model}"),
    log:
        "logs/judge/{judge}/{model}.log",
    benchmark:
        "logs/benchmarks/judge/{judge}/{model}.tsv"
    wildcard_constraints:
        judge=judges_at("local"),
    conda:
        lambda wc: env_file(judge_env(wc.judge))
    threads: lambda wc: job_resources("judge", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("judge", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("judge", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("judge", wc)["runtime"] * attempt,
        judge_api=lambda wc: job_resources("judge", wc)["judge_api"],
    params:
        spec=lambda wc: spec_file("judges", judge_spec(wc.judge)),
        item_files=lambda wc: judged_items(wc.model),
        out=lambda wc: judgment_files(wc.judge, wc.model),
    shell:
        "thinksafe judge --spec {params.spec:q} --items {params.item_files:q}"
        " --generations {input.generations:q} --out {params.out:q} > {log:q} 2>&1"


use rule judge as judge_api with:
    wildcard_constraints:
        judge=judges_at("api"),


use rule judge as judge_gpu with:
    wildcard_constraints:
        judge=judges_at("gpu"),


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
    wildcard_constraints:
        judge=f'{judges_at("local")}|{judges_at("api")}',
    conda:
        lambda wc: env_file(judge_env(wc.judge))
    threads: lambda wc: job_resources("judge_audit", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("judge_audit", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("judge_audit", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("judge_audit", wc)["runtime"] * attempt,
        judge_api=lambda wc: job_resources("judge_audit", wc)["judge_api"],
    params:
        spec=lambda wc: spec_file("judges", judge_spec(wc.judge)),
        data=lambda wc: audit_args(),
    shell:
        "thinksafe audit --spec {params.spec:q} {params.data:q} --out {output.json:q} > {log:q} 2>&1"


use rule judge_audit as judge_audit_gpu with:
    wildcard_constraints:
        judge=judges_at("gpu"),
