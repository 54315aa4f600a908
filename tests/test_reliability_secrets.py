"""Secrets: a sentinel API key in the environment, the whole DAG with API backends (openai generation, llm
judge) run by Snakemake against a 127.0.0.1 server that also fails 30% of requests, then the artifacts
published by DVC. The key reaches the server, and appears in no file the run left: outputs, logs,
Snakemake metadata, judge cache and ledger, report, .meta.json, dvc.lock, the DVC cache."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest
import yaml
from dag import project_copy, run, snakemake
from reliability import figures
from reliability.server import JUDGE_MODEL, FaultyChatServer

pytest_plugins = ["reliability.plugin"]
pytestmark = pytest.mark.slow
KEY_ENV = "TS_SENTINEL_API_KEY"
# Made at run time: a literal here would be found in the project copy's own tests/.
SENTINEL = f"sk-sentinel-{secrets.token_hex(16)}"


def overlay(url: str) -> dict:
    return {
        "run": {"models": ["api-model"], "benchmarks": ["demo"], "judges": ["api-judge"],
                "tuning": {"models": [], "datasets": []}, "shards": 1},
        "models": {"api-model": {
            "family": "api", "backend": "openai", "reasoning": "think", "revision": "2026-01",
            "openai": {"base_url": url, "model": "chat-model", "api_key_env": KEY_ENV, "max_retries": 4,
                       "timeout_s": 0.5},
            "decoding": {"max_new_tokens": 64, "temperature": 0.0, "top_p": 1.0}}},
        "judges": {"api-judge": {
            "kind": "llm", "base_url": url, "model": JUDGE_MODEL, "api_key_env": KEY_ENV, "max_retries": 6,
            "timeout_s": 0.5, "backoff_s": 0.01, "backoff_max_s": 0.05}},
        "benchmarks": {"demo": {"adapter": "demo"}},  # the whole embedded set (56 items)
        "judge_audit": {"data": None},
    }  # fmt: skip


def leaks(root: Path) -> tuple[int, list[str]]:
    """(files searched, files holding the key in plain, base64 or as a Bearer header)."""
    encoded = base64.b64encode(SENTINEL.encode())
    needles = [SENTINEL.encode(), encoded, encoded[:-4]]
    searched, hits = 0, []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            searched += 1
            data = path.read_bytes()
            if any(n in data for n in needles):
                hits.append(str(path.relative_to(root)))
    return searched, hits


def test_the_search_finds_a_planted_key(tmp_path):
    (tmp_path / "a.log").write_text("all fine\n")
    (tmp_path / "headers.txt").write_text(f"Authorization: Bearer {SENTINEL}\n")
    (tmp_path / "cfg.json").write_bytes(b'{"k": "' + base64.b64encode(SENTINEL.encode()) + b'"}')
    searched, hits = leaks(tmp_path)
    assert searched == 3 and sorted(hits) == ["cfg.json", "headers.txt"]


def test_the_api_key_is_written_nowhere(tmp_path, shared_dir, monkeypatch):
    project = project_copy(tmp_path, shared_dir)
    monkeypatch.setenv(KEY_ENV, SENTINEL)  # dag.env() passes it to Snakemake and every job
    with FaultyChatServer(fault_rate=0.3, seed=5, lifetime_s=400) as server:
        (project / "secrets.yaml").write_text(yaml.safe_dump(overlay(server.url)))
        configs = ("config/demo.yaml", "secrets.yaml")
        snakemake(project, "--cores", "2", configs=configs, timeout=400)
        snakemake(project, "--cores", "1", "--report", "results/snakemake-report.zip", configs=configs,
                  timeout=200)  # fmt: skip
    run([str(project / "scripts" / "dvc-publish"), "--no-push"], project, timeout=200)

    assert server.auth[f"Bearer {SENTINEL}"] == server.requests > 0  # the key was used, on every request
    for made in ("results/report.html", "results/tables/metrics.csv", "dvc.lock",
                 "results/generations/api-model/demo/00.meta.json",
                 "results/judgments/api-judge/api-model/demo/00.ledger.json"):  # fmt: skip
        assert (project / made).is_file(), made
    assert any((project / "logs").rglob("*.log")) and any((project / ".dvc" / "cache").rglob("*"))
    searched, hits = leaks(project)
    figures.add(sentinel_files=searched, sentinel_hits=len(hits))
    assert hits == []
