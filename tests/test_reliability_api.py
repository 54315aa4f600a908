"""API faults: the llm judge and the openai generation backend through a server that fails 30% of requests
(429, 500, timeouts, garbage, truncated bodies). Every item ends judged/generated or explicitly failed,
retries stay within the configured bound, and each CLI run has a hard timeout (it cannot loop forever).
"""

from __future__ import annotations

import json
from collections import Counter

from reliability import figures
from reliability.procs import thinksafe
from reliability.server import JUDGE_MODEL, FaultyChatServer
from reliability.workspace import items_file, read_jsonl

pytest_plugins = ["reliability.plugin"]
KEY_ENV, KEY = "TS_RELIABILITY_KEY", "sk-reliability-test-key"
HARD_TIMEOUT_S = 150  # the whole CLI run; the thinksafe() helper SIGKILLs it past this


def judge_spec(url: str, cache, max_retries: int = 6) -> dict:
    return {"kind": "llm", "name": "api-judge", "base_url": url, "model": JUDGE_MODEL, "api_key_env": KEY_ENV,
            "concurrency": 8, "max_retries": max_retries, "timeout_s": 0.4, "backoff_s": 0.01,
            "backoff_max_s": 0.05, "cache_dir": str(cache)}  # fmt: skip


def api_model_spec(url: str, max_retries: int = 3) -> dict:
    return {"name": "api-model", "backend": "openai", "family": "api", "reasoning": "think", "revision": "v1",
            "openai": {"base_url": url, "model": "chat-model", "api_key_env": KEY_ENV, "concurrency": 8,
                       "max_retries": max_retries, "timeout_s": 0.5},
            "decoding": {"max_new_tokens": 64, "temperature": 0.0, "top_p": 1.0}}  # fmt: skip


def generations_for(items: list[dict]) -> list[dict]:
    out = []
    for n, it in enumerate(items):
        answer = "I'm sorry, I can't help with that." if n % 2 else "Sure, here is how: step 1, step 2."
        out.append({"id": it["id"], "model": "m", "raw": answer, "thought": f"Considering {it['id']}.",
                    "answer": answer, "truncated": False, "finish_reason": "stop", "n_prompt_tokens": 5,
                    "n_output_tokens": 9, "error": None})  # fmt: skip
    return out


def account(expected: set, got: list[dict], ok: set[str], key=lambda r: r["id"]) -> tuple[int, int, int]:
    """(done, explicitly failed, unaccounted) among the expected keys."""
    seen = Counter(key(r) for r in got)
    assert all(n == 1 for n in seen.values()), "a record appears twice"
    done = sum(1 for r in got if key(r) in expected and r["_state"] in ok)
    failed = sum(1 for r in got if key(r) in expected and r["_state"] not in ok)
    return done, failed, len(expected - set(seen))


def test_llm_judge_through_a_30_percent_faulty_server(tmp_path):
    items_path = items_file(tmp_path, 40, images=False)
    items = read_jsonl(items_path)
    gens = tmp_path / "gen.jsonl"
    gens.write_text("".join(json.dumps(g) + "\n" for g in generations_for(items)))
    out = tmp_path / "judgments" / "00.jsonl"
    with FaultyChatServer(fault_rate=0.3, seed=1) as server:
        spec = judge_spec(server.url, tmp_path / "cache")
        run = thinksafe("judge", "--spec", json.dumps(spec), "--items", str(items_path), "--generations",
                        str(gens), "--out", str(out), cwd=tmp_path, timeout=HARD_TIMEOUT_S,
                        **{KEY_ENV: KEY})  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    verdicts = read_jsonl(out)
    for v in verdicts:
        v["_state"] = v["status"]
        if v["status"] == "error":
            assert v["raw"], v  # an explicit failure says why
    expected = {(it["id"], t) for it in items for t in ("thought", "answer")}
    done, failed, lost = account(
        expected, verdicts, {"ok", "unparseable"}, key=lambda v: (v["id"], v["target"])
    )
    ledger = json.loads(out.with_suffix(".ledger.json").read_text())
    record(server, done, failed, lost)
    assert lost == 0 and done + failed == len(expected)
    assert set(server.faults) == {"429", "500", "timeout", "garbage", "truncated"}
    assert 0.2 < server.fault_count / server.requests < 0.4
    assert server.max_retries_seen <= spec["max_retries"]
    # the ledger may count one more: a request sent on a kept-alive connection the server had just closed
    assert ledger["requests"] >= server.requests and set(server.auth) == {f"Bearer {KEY}"}


def test_openai_generation_through_a_30_percent_faulty_server(tmp_path):
    items_path = items_file(tmp_path, 40)
    out = tmp_path / "gen" / "00.jsonl"
    with FaultyChatServer(fault_rate=0.3, seed=2) as server:
        spec = api_model_spec(server.url)
        run = thinksafe("generate", "--spec", json.dumps(spec), "--items", str(items_path), "--shard", "00",
                        "--n-shards", "1", "--seed", "0", "--out", str(out), cwd=tmp_path,
                        timeout=HARD_TIMEOUT_S, **{KEY_ENV: KEY})  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    records = read_jsonl(out)
    for r in records:
        r["_state"] = "error" if r["error"] else "ok"
        if not r["error"]:
            assert r["answer"].startswith("I'm sorry") and r["thought"]  # a whole reply, never half of one
    done, failed, lost = account({it["id"] for it in read_jsonl(items_path)}, records, {"ok"})
    meta = json.loads((tmp_path / "gen" / "00.meta.json").read_text())
    record(server, done, failed, lost)
    assert lost == 0 and done + failed == 40 and meta["counts"]["errors"] == failed
    assert set(server.faults) == {"429", "500", "timeout", "garbage", "truncated"}
    assert server.max_retries_seen <= spec["openai"]["max_retries"]
    assert set(server.auth) == {f"Bearer {KEY}"}


def record(server: FaultyChatServer, done: int, failed: int, lost: int) -> None:
    figures.add(api_requests=server.requests, api_faults=server.fault_count, api_items_ok=done,
                api_items_failed=failed, api_items_lost=lost)  # fmt: skip
    figures.peak(retries_per_call=server.max_retries_seen)
