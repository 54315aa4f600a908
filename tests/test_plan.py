"""`thinksafe plan`: the jobs and submissions are Snakemake's own (its dry run and its is_local); the
estimates are the work over the stated throughput table, checked here by hand arithmetic."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from dag import plan as snakemake_plan
from dag import project_copy

from thinksafe import config as tsconfig
from thinksafe.plan import throughput
from thinksafe.plan.dag import DagPlan, Job, dry_run
from thinksafe.plan.estimate import IMAGE_TOKENS, estimate
from thinksafe.plan.render import table

ROOT = Path(__file__).resolve().parents[1]


def test_plan_on_the_demo_counts_the_jobs_of_the_dry_run(tmp_path):
    project = project_copy(tmp_path, repo=False)
    expected = snakemake_plan(project, "--profile", "profiles/slurm", configs=("config/demo.yaml",))
    dag = dry_run(project, ["config/demo.yaml"], Path("profiles/slurm"))
    assert Counter(j.rule for j in dag.jobs) == Counter(expected.counts)
    # `all` runs nothing: Snakemake keeps it on the submitting node; the profile's executor is slurm.
    assert dag.cluster and "all" in dag.local_rules
    assert dag.submissions() == sum(1 for j in dag.jobs if j.rule not in dag.local_rules)
    config = tsconfig.load(project / "config.yaml", project / "config/demo.yaml")
    plan = estimate(config, dag, project)
    assert plan.total().jobs == expected.total
    assert plan.stages["generate"].jobs == expected.counts["generate"] + expected.counts["build_demo_model"]
    # The demo's models run on CPUs: CPU-hours from the measured row, no GPU-hours, no API calls.
    assert plan.total().gpu_h == 0 and plan.total().api_calls == 0 and plan.total().cpu_h > 0
    assert "| generate |" in table(plan)


def test_done_jobs_are_not_planned_again(tmp_path):
    """A job whose outputs exist is not in the dry run, so not in the plan."""
    project = project_copy(tmp_path, repo=False)
    before = dry_run(project, ["config/demo.yaml"], None)
    (project / "data/raw/demo").mkdir(parents=True)
    (project / "data/raw/demo/items.json").write_text("{}")
    after = dry_run(project, ["config/demo.yaml"], None)
    assert Counter(j.rule for j in before.jobs)["download"] == 2
    assert Counter(j.rule for j in after.jobs)["download"] == 1
    assert not after.cluster and after.submissions() == 0  # no profile: the local executor submits nothing


def test_grouped_jobs_are_one_submission_and_local_rules_none(tmp_path):
    (tmp_path / "Snakefile").write_text(
        "localrules: fin\n"
        "rule fin:\n"
        "    input: expand('b/{i}.txt', i=range(3))\n"
        "    output: 'done.txt'\n"
        "    shell: 'cat {input} > {output}'\n"
        "rule b:\n"
        "    input: 'a/{i}.txt'\n"
        "    output: 'b/{i}.txt'\n"
        "    group: 'g'\n"
        "    resources: gpu=1, runtime=30\n"
        "    shell: 'cp {input} {output}'\n"
        "rule a:\n"
        "    output: 'a/{i}.txt'\n"
        "    group: 'g'\n"
        "    shell: 'echo {wildcards.i} > {output}'\n"
    )
    profile = tmp_path / "prof"
    profile.mkdir()
    (profile / "config.yaml").write_text(
        "executor: slurm\njobs: 10\ndefault-resources:\n  slurm_account: x\ngroup-components:\n  g: 2\n"
    )
    dag = dry_run(tmp_path, [], profile)
    assert len(dag.jobs) == 7 and dag.local_rules == {"fin"}
    # 6 grouped jobs in components of 2 (a, b) pairs: groups of 2 and 1 pairs, so 2 submissions; fin local.
    assert len({j.group for j in dag.jobs if j.group is not None}) == 2
    assert dag.submissions() == 2
    assert {j.resource("gpu") for j in dag.jobs if j.rule == "b"} == {1.0}


@pytest.fixture()
def small_config() -> dict:
    """The demo with demo-base on one GPU under vllm, and an API judge at GPT-4o's prices."""
    config = tsconfig.load(ROOT / "config.yaml", ROOT / "config/demo.yaml")
    config["models"]["demo-base"].update(backend="vllm", resources={"gpus": 1, "mem_mb": 1000, "runtime": 30})
    config["run"]["judges"] = ["gpt-4o"]
    return config


def test_gpu_hours_api_calls_and_dollars_by_hand(small_config, tmp_path):
    wildcards = {"model": "demo-base", "benchmark": "demo", "shard": "00"}
    gen = Job("generate", wildcards, {"gpu": "1", "runtime": "30"})
    judge = Job("judge", {"judge": "gpt-4o", "model": "demo-base", "benchmark": "demo", "shard": "00"})
    plan = estimate(small_config, DagPlan([gen, judge], {"all"}, True, 0.0), tmp_path)
    g, j = plan.stages["generate"], plan.stages["judge"]
    assert plan.benchmarks["demo"].n == 56  # no data/items here: the demo's known size
    # 56 items × 64 new tokens, at the vllm A100 row (495 tok/s for 8 B on 1 GPU) scaled to 0.135 B.
    rate = 495 * 8 / 0.135
    assert throughput.decode_rate("vllm", 0.135, 1, "a100").tokens_per_s == pytest.approx(rate)
    # plus one model load for the job: 0.05 minutes up to 0.2 B (the table's measured load row)
    assert g.gpu_h == pytest.approx(56 * 64 / rate / 3600 + 0.05 / 60)
    assert g.reserved_gpu_h == pytest.approx(0.5)  # 1 GPU × 30 minutes
    assert g.disk_bytes == 56 * 600 + 2 * 4 * 56 * 64
    # Thought and answer judged apart, one call each (the demo protocol's longest prompt: moss_eval, 1,440
    # characters, no image); each text at most half the 64-token budget; replies of 128 tokens.
    calls = 56 * 2
    tokens_in = calls * (1440 / 4 + 64 / 2 + 0 * IMAGE_TOKENS)
    assert (j.api_calls, j.tokens_in, j.tokens_out) == (calls, tokens_in, calls * 128)
    assert j.usd == pytest.approx(tokens_in * 0.0025 / 1000 + calls * 128 * 0.01 / 1000)
    assert plan.stages["generate"].submissions == 1 and plan.stages["judge"].submissions == 1


def test_a_job_across_benchmarks_and_shards_covers_its_share(small_config, tmp_path):
    """A generate job per (model, shard) across all benchmarks, as the grouped layout plans them."""
    small_config["run"]["shards"] = 4
    items = tmp_path / "data/items/demo.jsonl"
    items.parent.mkdir(parents=True)
    items.write_text("{}\n" * 40)  # counted from the file when normalize has run
    job = Job("generate", {"model": "demo-base", "shard": "01"}, {"gpu": "1"})
    plan = estimate(small_config, DagPlan([job], set(), True, 0.0), tmp_path)
    assert plan.benchmarks["demo"].source == "counted in data/items/demo.jsonl"
    assert plan.models[0].items == 10 and plan.models[0].tokens == 10 * 64
    assert plan.models[0].loads == 1  # one model load serves the job's share of every benchmark


def test_model_sizes_come_from_the_entry():
    assert throughput.params_b({"name": "qvq-72b-preview", "hf_id": "Qwen/QVQ-72B-Preview"}) == 72
    assert throughput.params_b({"name": "llava-cot-11b+tis", "tuned_from": "llava-cot-11b"}) == 11
    assert throughput.params_b({"name": "kimi-vl-a3b-thinking"}) == 3
    assert throughput.params_b({"name": "demo-base", "build": "demo-base"}) == 0.135
    assert throughput.params_b({"name": "mystery", "hf_id": "org/mystery"}) is None
    # Every table row names its source and says whether it was measured, published or assumed.
    for row in throughput.table()["generate"]:
        assert row["source"] and row["kind"] in ("measured", "published", "assumption")


def test_an_api_judge_job_is_planned_under_its_own_rule(small_config, tmp_path):
    """rules/judge.smk uses one rule three times (judge, judge_api, judge_gpu): each is a judge job."""
    job = Job("judge_api", {"judge": "gpt-4o", "model": "demo-base"})
    plan = estimate(small_config, DagPlan([job], set(), True, 0.0), tmp_path)
    assert plan.stages["judge"].jobs == 1 and plan.stages["judge"].api_calls == 56 * 2


def test_every_rule_of_the_workflow_has_a_stage():
    import re

    from thinksafe.plan.stages import RULE_STAGE

    rules = {
        m.group(1)
        for smk in (ROOT / "rules").glob("*.smk")
        for m in re.finditer(r"^(?:rule|use rule \w+ as) (\w+)", smk.read_text(), re.M)
    }
    assert "judge_api" in rules and rules - {"all"} <= set(RULE_STAGE)


def test_a_generate_job_over_its_time_limit_is_told_how_many_shards_fit(small_config, tmp_path):
    # demo-base on vllm: a quarter of 56 items × 64 tokens plus one model load is seconds of work; under a
    # 0.1-second limit the note gives the shard count at which each job fits.
    small_config["run"]["shards"] = 4
    job = Job("generate", {"model": "demo-base", "shard": "00"}, {"gpu": "1", "runtime": str(1 / 600)})
    plan = estimate(small_config, DagPlan([job], set(), True, 0.0), tmp_path)
    work = plan.models[0]
    per_job_min = work.hours * 60
    fit = 4 * -(-per_job_min // (1 / 600))
    assert f"give it `shards: {fit:.0f}`" in " ".join(plan.notes)
