# LoRA or full SFT. The declared output is the final adapter; resumable checkpoints live in work/,
# which Snakemake never deletes, so a preempted job resumes from the newest one.


def finetune_resources():
    return config.get("finetune", {}).get("resources", {"gpus": 1, "mem_mb": 64000, "runtime": 720})


rule finetune:
    input:
        sft="data/sft/{dataset}",
        guard="results/guard/{dataset}.json",
        model=lambda wc: model_inputs(wc.model),
    output:
        directory("checkpoints/{model}+{dataset}"),
    wildcard_constraints:
        model="[^/+]+",
    params:
        model_spec=lambda wc: model_spec_json(wc.model),
        train_spec=lambda wc: tsconfig.spec_json(config.get("finetune", {})),
        work="work/finetune/{model}+{dataset}",
        seed=config.get("seed", 0),
    log:
        "logs/finetune/{model}+{dataset}.log",
    benchmark:
        "logs/benchmarks/finetune/{model}+{dataset}.tsv"
    threads: lambda wc: finetune_resources().get("cpus", 2)
    resources:
        gpu=lambda wc: gpus(finetune_resources()),
        mem_mb=lambda wc, attempt: finetune_resources()["mem_mb"] * attempt,
        runtime=lambda wc, attempt: finetune_resources()["runtime"] * attempt,
    shell:
        "{TS} finetune --model-spec {params.model_spec:q} --train-spec {params.train_spec:q}"
        " --sft {input.sft} --work {params.work} --seed {params.seed} --out {output} > {log} 2>&1"
