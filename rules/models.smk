# Locally built models (the embedded demo model, the tiny random model for tests), and the preflight
# that every GPU job of a model waits for: small files only, on the submitting node.


localrules:
    preflight,


rule build_demo_model:
    output:
        directory("data/models/{kind}"),
    log:
        "logs/build_demo_model/{kind}.log",
    benchmark:
        "logs/benchmarks/build_demo_model/{kind}.tsv"
    wildcard_constraints:
        kind="demo-base|tiny",
    conda:
        env_file("inference")
    threads: lambda wc: job_resources("build_demo_model", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("build_demo_model", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("build_demo_model", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("build_demo_model", wc)["runtime"] * attempt,
    shell:
        "thinksafe build-model --kind {wildcards.kind:q} --out {output:q} > {log:q} 2>&1"


rule preflight:
    input:
        model=lambda wc: model_inputs(wc.model),
    output:
        "results/preflight/{model}.json",
    log:
        "logs/preflight/{model}.log",
    benchmark:
        "logs/benchmarks/preflight/{model}.tsv"
    conda:
        env_file("inference")
    threads: lambda wc: job_resources("preflight", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("preflight", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("preflight", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("preflight", wc)["runtime"] * attempt,
    params:
        spec=lambda wc: model_spec_file(wc.model),
        limits=preflight_limits(),
    shell:
        "thinksafe check --spec {params.spec:q} --limits {params.limits:q} --out {output:q} > {log:q} 2>&1"
