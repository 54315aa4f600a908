# Locally built models: the embedded demo model and the tiny random model for tests.


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
