"""The report's cost section: spent hours from real Snakemake benchmark files, GPU-hours by the planned
jobs' gpu resource, API use from a judge ledger as `thinksafe judge` writes it, beside results/plan.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dag import BIN, run
from test_judge_llm import SENTINEL, FlakyJudgeServer, items_and_generations, spec

from thinksafe import io
from thinksafe.cli import main
from thinksafe.errors import ThinksafeError
from thinksafe.report import cost
from thinksafe.report.html import table_html


def snakemake_benchmarks(root: Path) -> None:
    """Two jobs of a real Snakemake run, each writing its `benchmark:` file (s, max_rss, ...)."""
    (root / "Snakefile").write_text(
        "rule all:\n"
        "    input: 'results/generations/m/b/00.jsonl', 'results/tables/metrics.csv'\n"
        "rule generate:\n"
        "    output: 'results/generations/{model}/{benchmark}/{shard}.jsonl'\n"
        "    benchmark: 'logs/benchmarks/generate/{model}/{benchmark}/{shard}.tsv'\n"
        "    shell: 'sleep 1; touch {output}'\n"
        "rule aggregate:\n"
        "    output: 'results/tables/metrics.csv'\n"
        "    benchmark: 'logs/benchmarks/aggregate/aggregate.tsv'\n"
        "    shell: 'touch {output}'\n"
    )
    run([str(BIN / "snakemake"), "--cores", "1"], root, timeout=300)


def judge_with_a_ledger(root: Path, monkeypatch) -> dict:
    """`thinksafe judge` against a local OpenAI-compatible server: it writes the shard and its ledger."""
    monkeypatch.setenv("TS_TEST_JUDGE_KEY", SENTINEL)
    items, gens = items_and_generations(8)
    io.write_jsonl(root / "items.jsonl", items)
    io.write_jsonl(root / "gens.jsonl", gens)
    out = root / "results/judgments/local-judge/m/b/00.jsonl"
    price = {"price_per_1k_tokens": {"input": 0.0025, "output": 0.01}}
    with FlakyJudgeServer(fault_rate=0.0) as server:
        judge_spec = json.dumps(spec(server.url, root / "cache", **price))
        args = ["--items", str(root / "items.jsonl"), "--generations", str(root / "gens.jsonl")]
        assert main(["judge", "--spec", judge_spec, *args, "--out", str(out)]) == 0
    return io.read_json(out.with_suffix(".ledger.json"))


def test_cost_section_spent_beside_the_plan(tmp_path, monkeypatch):
    snakemake_benchmarks(tmp_path)
    gen_tsv = "logs/benchmarks/generate/m/b/00.tsv"
    seconds, _ = cost.read_benchmark(tmp_path / gen_tsv)
    assert seconds >= 1.0  # the job slept a second
    ledger = judge_with_a_ledger(tmp_path, monkeypatch)
    assert ledger["requests"] > 0 and ledger["cost_usd"] > 0
    plan = {
        "config": ["config.yaml"],
        "profile": "profiles/slurm",
        "gpus_by_benchmark": {gen_tsv: 4},
        "stages": {"generate": {"jobs": 1, "gpu_h": 0.5, "reserved_gpu_h": 4.0},
                   "judge": {"jobs": 1, "gpu_h": 0, "reserved_gpu_h": 0, "api_calls": 12,
                             "tokens_in": 5000, "tokens_out": 600, "usd": 0.02}},
    }  # fmt: skip
    io.write_json(tmp_path / cost.PLAN_FILE, plan)

    spent = cost.collect(tmp_path)
    assert spent.stages["generate"].jobs == 1 and spent.stages["aggregate/report"].jobs == 1
    assert spent.stages["generate"].gpu_h == seconds / 3600 * 4  # wall hours × the job's 4 GPUs
    assert spent.stages["aggregate/report"].gpu_h == 0
    assert spent.stages["aggregate/report"].gpu_unknown == 1  # not a GPU job of the plan
    api = spent.api["local-judge"]
    assert (api.shards, api.requests, api.prompt_tokens) == (1, ledger["requests"], ledger["prompt_tokens"])
    assert api.completion_tokens == ledger["completion_tokens"] and api.usd == ledger["cost_usd"]
    assert api.usd == (api.prompt_tokens * 2.5 + api.completion_tokens * 10.0) / 1e6

    head, rows, api_head, api_rows = cost.tables(spent)
    generate = next(r for r in rows if r[0] == "generate")
    assert generate[1:3] == ["1", "1"] and generate[4:6] == ["0.50", "4.00"]
    assert api_rows[-1][0] == "planned (all API judges)" and api_rows[-1][-1] == "0.0200"
    html = cost.section_html(tmp_path, table_html)
    assert "GPU-h spent" in html and "profile profiles/slurm" in html


def test_without_a_plan_the_section_says_how_to_record_one(tmp_path):
    snakemake_benchmarks(tmp_path)
    spent = cost.collect(tmp_path)
    assert spent.plan is None and spent.stages["generate"].gpu_h == 0 and not spent.api
    assert "thinksafe plan --out results/plan.json" in cost.section_html(tmp_path, table_html)
    assert json.loads(json.dumps(cost.tables(spent)))  # plain strings, nothing else


def test_a_damaged_ledger_stops_naming_its_file(tmp_path):
    ledger = tmp_path / "results/judgments/gpt-4o/m/b/00.ledger.json"
    ledger.parent.mkdir(parents=True)
    ledger.write_text('{"requests": 3,')
    with pytest.raises(ThinksafeError) as e:  # one located error, not a bare JSONDecodeError
        cost.collect(tmp_path)
    assert str(ledger) in str(e.value) and "malformed JSON" in str(e.value)
