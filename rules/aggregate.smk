# Metrics, the paper's tables and figures, and the HTML report. Aggregation never loads torch.
# Outputs wrapped in report(...) appear in `snakemake --report`, with the captions in report/.
# Minutes of CPU in all: they run on the submitting node, never waiting in a queue.


localrules:
    aggregate,
    figures,
    report,


rule aggregate:
    input:
        # The judgments also stand for the generations' .meta.json that the defense cost table reads:
        # a changed generation reruns its judge job, and so this one.
        judgments=all_judgments(),
        item_file=all_items(),
    output:
        metrics=report("results/tables/metrics.csv", category="Tables", caption="../report/metrics.rst"),
        table1=report("results/tables/table1.md", category="Tables", caption="../report/table1.rst"),
        table1_tex="results/tables/table1.tex",
        table2=report("results/tables/table2.md", category="Tables", caption="../report/table2.rst"),
        table2_tex="results/tables/table2.tex",
        defenses=report("results/tables/defenses.md", category="Tables", caption="../report/defenses.rst"),
        defenses_tex="results/tables/defenses.tex",
        summary=report("results/tables/summary.md", category="Tables", caption="../report/summary.rst"),
    log:
        "logs/aggregate/aggregate.log",
    benchmark:
        "logs/benchmarks/aggregate/aggregate.tsv"
    conda:
        env_file("cpu")
    threads: lambda wc: job_resources("aggregate", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("aggregate", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("aggregate", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("aggregate", wc)["runtime"] * attempt,
    params:
        spec=aggregate_spec_file(),
        tables=lambda wc, output: parent_dir(output),
    shell:
        "thinksafe aggregate --spec {params.spec:q} --out-dir {params.tables:q} > {log:q} 2>&1"


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
    conda:
        env_file("cpu")
    threads: lambda wc: job_resources("figures", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("figures", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("figures", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("figures", wc)["runtime"] * attempt,
    params:
        tables=lambda wc, input: parent_dir(input),
    shell:
        "thinksafe figures --tables {params.tables:q} --out {output:q} > {log:q} 2>&1"


rule report:
    input:
        tables="results/tables/metrics.csv",
        figures="results/figures",
        audit=audit_targets(),
        item_file=all_items(),
        # The judgments stand for the generations (and their .meta.json) the report also reads: each
        # judge job reads its model's shards, so listing 2 x models x benchmarks x shards files again
        # would only slow the plan (32,000 more inputs at 200 models x 20 benchmarks).
        judgments=all_judgments(),
    output:
        report("results/report.html", category="Report", caption="../report/report.rst"),
    log:
        "logs/report/report.log",
    benchmark:
        "logs/benchmarks/report/report.tsv"
    conda:
        env_file("cpu")
    threads: lambda wc: job_resources("report", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("report", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("report", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("report", wc)["runtime"] * attempt,
    params:
        spec=aggregate_spec_file(),
        tables=lambda wc, input: parent_dir(input.tables),
    shell:
        "thinksafe report --spec {params.spec:q} --tables {params.tables:q} --figures {input.figures:q}"
        " --out {output:q} > {log:q} 2>&1"
