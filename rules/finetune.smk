# LoRA or full SFT. The declared output is the final adapter; resumable checkpoints live in work/,
# which Snakemake never deletes, so a preempted job resumes from the newest one.


rule finetune:
    input:
        sft="data/sft/{dataset}",
        # The guard must have passed, not be older than the adapter: a benchmark added to the run
        # reruns the guard (a real check of the new items), and a guard that fails stops the run, but a
        # guard that passes again does not retrain the model.
        guard=ancient("results/guard/{dataset}.json"),
        model=lambda wc: model_inputs(wc.model),
        preflight=lambda wc: preflight_input(wc.model, job_resources("finetune", wc)["gpu"]),
    output:
        directory("checkpoints/{model}+{dataset}"),
    log:
        "logs/finetune/{model}+{dataset}.log",
    benchmark:
        "logs/benchmarks/finetune/{model}+{dataset}.tsv"
    wildcard_constraints:
        model="[A-Za-z0-9][A-Za-z0-9._-]*",
    conda:
        env_file("train")
    threads: lambda wc: job_resources("finetune", wc)["cpus"]
    resources:
        gpu=lambda wc: job_resources("finetune", wc)["gpu"],
        mem_mb=lambda wc, attempt: job_resources("finetune", wc)["mem_mb"] * attempt,
        runtime=lambda wc, attempt: job_resources("finetune", wc)["runtime"] * attempt,
    params:
        model_spec=lambda wc: model_spec_file(wc.model),
        train_spec=finetune_spec_file(),
        work="work/finetune/{model}+{dataset}",
        seed=config.get("seed", 0),
    shell:
        "thinksafe finetune --model-spec {params.model_spec:q} --train-spec {params.train_spec:q}"
        " --sft {input.sft:q} --work {params.work:q} --seed {params.seed:q} --out {output:q} > {log:q} 2>&1"
