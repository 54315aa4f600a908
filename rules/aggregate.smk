# Metrics, the paper's tables and figures, and the HTML report. Aggregation never loads torch.
# Outputs wrapped in report(...) appear in `snakemake --report`, with the captions in report/.


rule aggregate:
    input:
        judgments=all_judgments(),
        item_file=expand("data/items/{benchmark}.jsonl", benchmark=BENCHMARKS),
    output:
        metrics=report("results/tables/metrics.csv", category="Tables", caption="../report/metrics.rst"),
        table1=report("results/tables/table1.md", category="Tables", caption="../report/table1.rst"),
        table1_tex="results/tables/table1.tex",
        table2=report("results/tables/table2.md", category="Tables", caption="../report/table2.rst"),
        table2_tex="results/tables/table2.tex",
        summary=report("results/tables/summary.md", category="Tables", caption="../report/summary.rst"),
    params:
        spec=tsconfig.spec_json(aggregate_spec()),
    log:
        "logs/aggregate/aggregate.log",
    benchmark:
        "logs/benchmarks/aggregate/aggregate.tsv"
    threads: 2
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    shell:
        "{TS} aggregate --spec {params.spec:q} --out-dir results/tables > {log} 2>&1"


rule figures:
    input:
        "results/tables/metrics.csv",
    output:
        report(
            directory("results/figures"),
            patterns=["{name}.png"],
            category="Figures",
            caption="../report/figures.rst",
        ),
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
        generations=all_generations(),
        item_file=expand("data/items/{benchmark}.jsonl", benchmark=BENCHMARKS),
        judgments=all_judgments(),
    output:
        report("results/report.html", category="Report", caption="../report/report.rst"),
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
