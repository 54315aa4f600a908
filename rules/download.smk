# Download (or read from the offline mirror), verify by sha256, and normalize to the item schema.
# Both run on the submitting node: login nodes have network, compute nodes often do not, and
# normalizing is seconds of CPU per benchmark.


localrules:
    download,
    normalize,


rule download:
    output:
        directory("data/raw/{benchmark}"),
    log:
        "logs/download/{benchmark}.log",
    benchmark:
        "logs/benchmarks/download/{benchmark}.tsv"
    conda:
        env_file("cpu")
    threads: lambda wc: job_resources("download", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("download", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("download", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("download", wc)["runtime"] * attempt,
    params:
        spec=lambda wc: spec_file("sources", source_spec(wc.benchmark)),
        mirror=mirror_args(),
    shell:
        "thinksafe download --spec {params.spec:q} {params.mirror:q} --out {output:q} > {log:q} 2>&1"


rule normalize:
    input:
        "data/raw/{benchmark}",
    output:
        "data/items/{benchmark}.jsonl",
    log:
        "logs/normalize/{benchmark}.log",
    benchmark:
        "logs/benchmarks/normalize/{benchmark}.tsv"
    conda:
        env_file("cpu")
    threads: lambda wc: job_resources("normalize", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("normalize", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("normalize", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("normalize", wc)["runtime"] * attempt,
    params:
        spec=lambda wc: spec_file("sources", source_spec(wc.benchmark)),
        allow_skips=["--allow-skips"] if config.get("allow_skips") else [],
        seed=config.get("seed", 0),
    shell:
        "thinksafe normalize --spec {params.spec:q} --raw {input:q} --seed {params.seed:q}"
        " {params.allow_skips:q} --out {output:q} > {log:q} 2>&1"
