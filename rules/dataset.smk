# Build a tuning set (TiS import or rebuild, or a baseline) and guard it against evaluation overlap.


def dataset_spec(name):
    """The datasets entry, plus the resolved captioner and judge specs a rebuild needs."""
    spec = dict(config["datasets"][name], name=name)
    if spec.get("captioner") in config["models"]:
        spec["captioner_spec"] = model_spec(spec["captioner"])
    if spec.get("judge") in config["judges"]:
        spec["judge_spec"] = judge_spec(spec["judge"])
    return spec


def dataset_inputs(name):
    spec = dataset_spec(name)
    inputs = [f"data/raw/{s}" for s in spec.get("sources", [])]
    if spec["kind"] == "tis_rebuild":  # the rebuild reads its sources' normalized items
        inputs += [f"data/items/{s}.jsonl" for s in spec.get("sources", [])]
    for role in ("teacher", "captioner"):  # model-backed roles need their model built first
        if spec.get(role) in config["models"]:
            inputs += model_inputs(spec[role])
    return inputs


rule build_dataset:
    input:
        lambda wc: dataset_inputs(wc.dataset),
    output:
        directory("data/sft/{dataset}"),
    params:
        spec=lambda wc: tsconfig.spec_json(dataset_spec(wc.dataset)),
        teacher=lambda wc: (
            tsconfig.spec_json(model_spec(dataset_spec(wc.dataset)["teacher"]))
            if dataset_spec(wc.dataset).get("teacher") in config["models"]
            else "null"
        ),
        seed=config.get("seed", 0),
    log:
        "logs/build_dataset/{dataset}.log",
    benchmark:
        "logs/benchmarks/build_dataset/{dataset}.tsv"
    threads: 2
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 120 * attempt,
    shell:
        "{TS} build-dataset --spec {params.spec:q} --teacher-spec {params.teacher:q} --raw-root data/raw"
        " --seed {params.seed} --out {output} > {log} 2>&1"


rule contamination_guard:
    input:
        sft="data/sft/{dataset}",
        item_file=expand("data/items/{benchmark}.jsonl", benchmark=BENCHMARKS),
    output:
        "results/guard/{dataset}.json",
    log:
        "logs/contamination_guard/{dataset}.log",
    benchmark:
        "logs/benchmarks/contamination_guard/{dataset}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    shell:
        "{TS} guard --sft {input.sft} --items {input.item_file} --out {output} > {log} 2>&1"
