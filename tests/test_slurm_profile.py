"""The shipped profiles plan the runs they are for, with the cluster settings in the profile only.

`snakemake --profile profiles/slurm -n` needs no SLURM: it plans the full reproduction of config.yaml
and shows the resources each job would be submitted with. Every plan is made in a copy of the project,
so a demo already run in the project itself changes nothing here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from dag import BIN, ROOT, local_rules, project_copy, run

from thinksafe import config as tsconfig

PROFILES = ROOT / "profiles"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return project_copy(tmp_path_factory.mktemp("profiles"), repo=False)


def dry_run(project: Path, *args: str) -> str:
    cmd = [str(BIN / "snakemake"), "-n", *args]
    return run(cmd, project, timeout=300).stdout


def job_resources(out: str, rule: str) -> list[dict[str, str]]:
    """The `resources:` line of every planned job of `rule`, as a dict."""
    found = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", out):
        if block.startswith(f"rule {rule}:"):
            line = re.search(r"^\s+resources: (.*)$", block, re.M).group(1)
            found.append(dict(p.split("=", 1) for p in line.split(", ")))
    return found


def test_slurm_profile_plans_the_full_reproduction_with_gpu_requests(project):
    out = dry_run(project, "--profile", str(PROFILES / "slurm"))

    config = tsconfig.load(ROOT / "config.yaml")
    models = tsconfig.evaluated_models(config)  # 13 MLRMs, their 5 bases, 8 tuned models
    # One generation job per (model, shard), each across all benchmarks of the run; a model's own `shards`
    # (the hf Llama-Vision entries, sized to fit their runtime) overrides run.shards.
    generate = job_resources(out, "generate")
    shards = [tsconfig.resolve_model(config, m).get("shards", config["run"]["shards"]) for m in models]
    assert len(generate) == sum(shards) and max(shards) > config["run"]["shards"]
    for res in generate:
        assert res["slurm_partition"] == "gpu"
        assert res["gpu_model"] == "a100"
        assert int(res["gpu"]) >= 1
    # The 72B models ask the registry for 4 GPUs; the profile does not flatten that.
    assert {int(r["gpu"]) for r in generate} == {1, 4}
    # gpt-4o is an API judge: one CPU cluster job per model, each holding one judge_api unit ...
    judges = job_resources(out, "judge_api")
    assert len(judges) == len(models)
    assert all(r["slurm_partition"] == "cpu" and r["gpu"] == "0" and r["judge_api"] == "1" for r in judges)
    # ... and the offline comply judge runs on this node, one job per model, as do the cheap CPU stages.
    local = local_rules(project)
    assert len(job_resources(out, "judge")) == len(models) and "judge" in local
    planned = set(re.findall(r"^rule (\w+):$", out, re.M)) - {"all"}
    assert planned & local == {
        "download", "normalize", "preflight", "judge", "judge_audit", "contamination_guard", "aggregate",
        "figures", "report",
    }  # fmt: skip
    finetune = job_resources(out, "finetune")
    assert len(finetune) == 8 and all(r["gpu_model"] == "a100" for r in finetune)
    # What goes through sbatch: generation, the API judge, tuning sets and fine-tunes; nothing else.
    assert planned - local == {"generate", "judge_api", "build_dataset", "finetune"}


def test_a_classifier_judge_goes_to_the_gpu_partition(project):
    (project / "classifier.yaml").write_text("run: {judges: [llama-guard-3]}\n")
    configs = ("--configfile", "config.yaml", "classifier.yaml")
    out = dry_run(project, "--profile", str(PROFILES / "slurm"), *configs, "--until", "judge_gpu")
    jobs = job_resources(out, "judge_gpu")
    assert len(jobs) == len(tsconfig.evaluated_models(tsconfig.load(ROOT / "config.yaml")))
    for res in jobs:
        assert res["slurm_partition"] == "gpu" and res["gpu_model"] == "a100" and res["gpu"] == "1"
        assert int(res["mem_mb"]) == 32000  # the registry's llama-guard-3 resources
    assert "judge_gpu" not in local_rules(project) and "rule judge:" not in out


def test_a_rebuilt_tuning_set_asks_for_what_its_captioner_teacher_and_judge_need(project):
    # config.yaml's tis-rebuild: a 7B captioner on the default vllm backend (1 GPU, 64 GB, 240 min), an
    # R1 teacher over an API (240 min) and gpt-4o as its answer filter (an API judge).
    out = dry_run(project, "--profile", str(PROFILES / "slurm"), "data/sft/tis-rebuild")
    (res,) = job_resources(out, "build_dataset")
    assert res["gpu"] == "1" and res["slurm_partition"] == "gpu" and res["gpu_model"] == "a100"
    assert int(res["mem_mb"]) == 64000
    assert int(res["runtime"]) == 120 + 240 + 240  # the rule's own, then each model's pass in turn
    assert res["judge_api"] == "1"
    # The import-only tuning sets still ask for no GPU and no API.
    for name in ("tis", "vlguard"):
        out = dry_run(project, "--profile", str(PROFILES / "slurm"), f"data/sft/{name}")
        (res,) = job_resources(out, "build_dataset")
        assert res["gpu"] == "0" and res["judge_api"] == "0" and int(res["mem_mb"]) == 4000


def test_cluster_settings_live_in_the_profile_never_in_rules():
    profile = yaml.safe_load((PROFILES / "slurm" / "config.yaml").read_text())
    assert profile["executor"] == "slurm"
    # Without slurmdbd the default (sacct) status query makes Snakemake wait forever.
    assert profile["slurm-status-command"] == "squeue"
    # Resubmission through sbatch only happens for profile-level retries.
    assert profile["retries"] >= 1
    for rule in ("generate", "judge_gpu", "judge_audit_gpu", "finetune", "build_dataset"):
        assert set(profile["set-resources"][rule]) >= {"slurm_partition", "gpu_model", "cpus_per_task"}
    assert {"slurm_partition", "slurm_account"} <= set(profile["default-resources"])

    rules = "".join(p.read_text() for p in (ROOT / "rules").glob("*.smk")) + (ROOT / "Snakefile").read_text()
    for setting in ("slurm_partition", "slurm_account", "gpu_model", "cpus_per_task", "slurm_extra"):
        assert setting not in rules, f"{setting} belongs in profiles/, not in the rules"


def test_local_profile_plans_the_demo(project):
    out = dry_run(project, "--profile", str(PROFILES / "local"), "--configfile", "config/demo.yaml")
    # demo-base, demo-reasoner, the tuned demo-base+tis-demo and the defended demo-reasoner@safepath: one
    # generation job each (one shard).
    assert re.search(r"^generate\s+4$", out, re.M), out[-2000:]
    assert Path(PROFILES / "local" / "config.yaml").is_file()
