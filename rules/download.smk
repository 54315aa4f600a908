# Download (or read from the offline mirror), verify by sha256, and normalize to the item schema.


rule download:
    output:
        directory("data/raw/{benchmark}"),
    params:
        spec=lambda wc: tsconfig.spec_json(source_spec(wc.benchmark)),
        mirror=mirror_flag(),
    log:
        "logs/download/{benchmark}.log",
    benchmark:
        "logs/benchmarks/download/{benchmark}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
    shell:
        "{TS} download --spec {params.spec:q} {params.mirror} --out {output} > {log} 2>&1"


rule normalize:
    input:
        "data/raw/{benchmark}",
    output:
        "data/items/{benchmark}.jsonl",
    params:
        spec=lambda wc: tsconfig.spec_json(source_spec(wc.benchmark)),
        allow_skips="--allow-skips" if config.get("allow_skips") else "",
        seed=config.get("seed", 0),
    log:
        "logs/normalize/{benchmark}.log",
    benchmark:
        "logs/benchmarks/normalize/{benchmark}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    shell:
        "{TS} normalize --spec {params.spec:q} --raw {input} --seed {params.seed} {params.allow_skips}"
        " --out {output} > {log} 2>&1"
