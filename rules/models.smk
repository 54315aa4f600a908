# Locally built models: the embedded demo model and the tiny random model for tests.


rule build_demo_model:
    output:
        directory("data/models/{kind}"),
    wildcard_constraints:
        kind="demo-base|tiny",
    log:
        "logs/build_demo_model/{kind}.log",
    benchmark:
        "logs/benchmarks/build_demo_model/{kind}.tsv"
    threads: 2
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 20 * attempt,
    shell:
        "{TS} build-model --kind {wildcards.kind} --out {output} > {log} 2>&1"
