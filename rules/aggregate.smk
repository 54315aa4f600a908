# Metrics, the paper's tables and figures, and the HTML report. Aggregation never loads torch.


rule aggregate:
    input:
        judgments=all_judgments(),
        item_file=expand("data/items/{benchmark}.jsonl", benchmark=BENCHMARKS),
    output:
        metrics=report("results/tables/metrics.csv", category="Tables", caption="../report/metrics.rst"),
        table1="results/tables/table1.md",
        table2="results/tables/table2.md",
        summary="results/tables/summary.md",
    params:
        spec=tsconfig.spec_json(aggregate_spec()),
    log:
        "logs/aggregate/aggregate.log",
    benchmark:
        "logs/benchmarks/aggregate/aggregate.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    shell:
        "{TS} aggregate --spec {params.spec:q} --out-dir results/tables > {log} 2>&1"


rule figures:
    input:
        "results/tables/metrics.csv",
    output:
        directory("results/figures"),
    log:
        "logs/figures/figures.log",
    benchmark:
        "logs/benchmarks/figures/figures.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 15 * attempt,
    shell:
        "{TS} figures --tables results/tables --out {output} > {log} 2>&1"


rule report:
    input:
        tables="results/tables/metrics.csv",
        figures="results/figures",
        audit=audit_targets(),
    output:
        "results/report.html",
    params:
        spec=tsconfig.spec_json(aggregate_spec()),
    log:
        "logs/report/report.log",
    benchmark:
        "logs/benchmarks/report/report.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 15 * attempt,
    shell:
        "{TS} report --spec {params.spec:q} --tables results/tables --figures {input.figures}"
        " --out {output} > {log} 2>&1"
