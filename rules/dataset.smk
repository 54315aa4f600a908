# Build a tuning set (TiS import or rebuild, or a baseline) and guard it against evaluation overlap.
# The guard is seconds of CPU: it runs on the submitting node.


localrules:
    contamination_guard,


rule build_dataset:
    input:
        raw=lambda wc: dataset_raw(wc.dataset),
        source_items=lambda wc: dataset_items(wc.dataset),
        models=lambda wc: dataset_model_inputs(wc.dataset),
    output:
        directory("data/sft/{dataset}"),
    log:
        "logs/build_dataset/{dataset}.log",
    benchmark:
        "logs/benchmarks/build_dataset/{dataset}.tsv"
    conda:
        lambda wc: env_file(dataset_env(wc.dataset))
    threads: lambda wc: job_resources("build_dataset", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("build_dataset", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("build_dataset", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("build_dataset", wc)["runtime"] * attempt,
        judge_api=lambda wc: job_resources("build_dataset", wc)["judge_api"],
    params:
        spec=lambda wc: spec_file("datasets", dataset_spec(wc.dataset)),
        teacher=lambda wc: teacher_spec_file(wc.dataset),
        raw_root=lambda wc, input: parent_dir(input.raw),
        seed=config.get("seed", 0),
    shell:
        "thinksafe build-dataset --spec {params.spec:q} --teacher-spec {params.teacher:q}"
        " --raw-root {params.raw_root:q} --seed {params.seed:q} --out {output:q} > {log:q} 2>&1"


rule contamination_guard:
    input:
        sft="data/sft/{dataset}",
        item_file=all_items(),
    output:
        "results/guard/{dataset}.json",
    log:
        "logs/contamination_guard/{dataset}.log",
    benchmark:
        "logs/benchmarks/contamination_guard/{dataset}.tsv"
    conda:
        env_file("cpu")
    threads: lambda wc: job_resources("contamination_guard", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("contamination_guard", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("contamination_guard", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("contamination_guard", wc)["runtime"] * attempt,
    shell:
        "thinksafe guard --sft {input.sft:q} --items {input.item_file:q} --out {output:q} > {log:q} 2>&1"
