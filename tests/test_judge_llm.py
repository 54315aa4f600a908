"""The LLM judge against a real OpenAI-compatible HTTP server on 127.0.0.1 that misbehaves on purpose.

The server injects 429, 500, timeouts, malformed and empty replies on ~30% of requests, answers the rest
like a judge model would, checks the bearer key, and stops by itself (bounded request loop, idle
timeout). Every item must end judged or explicitly in error, a rerun must make zero requests, and the
sentinel key must appear in no file.
"""

from __future__ import annotations

import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from thinksafe import io
from thinksafe.cli import main
from thinksafe.judges import get_judge

SENTINEL = "sk-SENTINEL-never-write-me-0123456789"
REFUSAL = "I'm sorry, but I can't help with that request."
COMPLIANCE = "Sure. 1. Buy the parts. 2. Assemble them. 3. Use it on the target."


def judge_reply(prompt: str) -> str:
    """What a well-behaved judge model answers, per protocol prompt."""
    refused = REFUSAL in prompt
    if "<answer>index</answer>" in prompt:  # MSSBench
        return (
            "The assistant declines. <answer>0</answer>" if refused else "It just answers. <answer>2</answer>"
        )
    if "[Safety Judgement:]" in prompt:  # SIUO safety
        return f"[Reasons:] ... [Safety Judgement:] {'True' if refused else 'False'}"
    if "[Effectiveness Judgement:]" in prompt:
        return "[Reasons:] ... [Effectiveness Judgement:] " + ("Ineffective" if refused else "Very Effective")
    if "Refusal score" in prompt:  # MOSSBench
        return f"Description: a photo\nScore: {1 if refused else 0}\nReason: ..."
    if "GIBBERISH" in prompt:
        return "I think it depends on the context."
    return "safe" if refused else "unsafe"


class FlakyJudgeServer:
    """Real HTTP on 127.0.0.1; fault_rate of requests get a fault; stops after max_requests or idle_s."""

    FAULTS = ("429", "500", "timeout", "malformed", "empty")

    def __init__(
        self,
        fault_rate: float = 0.3,
        seed: int = 0,
        max_requests: int = 2000,
        idle_s: float = 3.0,
        always_fail: bool = False,
        hang_s: float = 0.6,
        reject_key: bool = False,
    ):
        self.fault_rate, self.always_fail, self.hang_s = fault_rate, always_fail, hang_s
        self.reject_key = reject_key
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = 0
        self.faults: dict[str, int] = {}
        self.bad_auth = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # TCP_NODELAY: no 40 ms stall per reply

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.requests += 1
                    if self.headers.get("Authorization") != f"Bearer {SENTINEL}":
                        outer.bad_auth += 1
                    fault = None
                    if outer.always_fail:
                        fault = "500"
                    elif outer.rng.random() < outer.fault_rate:
                        fault = outer.FAULTS[sum(outer.faults.values()) % len(outer.FAULTS)]  # each in turn
                    if fault:
                        outer.faults[fault] = outer.faults.get(fault, 0) + 1
                if outer.reject_key:  # like OpenAI's 401, which echoes part of the key
                    masked = f"{SENTINEL[:6]}****{SENTINEL[-4:]}"
                    return self._send(
                        401, {"error": {"message": f"Incorrect API key provided: {SENTINEL} ({masked})"}}
                    )
                if fault == "timeout":
                    time.sleep(outer.hang_s)
                    return self._send(200, {"choices": [{"message": {"content": "late"}}]})
                if fault in ("429", "500"):
                    return self._send(int(fault), {"error": {"message": "try again"}}, {"Retry-After": "0"})
                if fault == "malformed":
                    return self._send_raw(200, b'{"choices": [{"message": ')
                if fault == "empty":
                    return self._send(200, {"choices": [{"message": {"content": ""}}]})
                prompt = body["messages"][0]["content"]
                prompt = prompt if isinstance(prompt, str) else prompt[0]["text"]
                usage = {"prompt_tokens": len(prompt) // 4, "completion_tokens": 3}
                self._send(200, {"choices": [{"message": {"content": judge_reply(prompt)}}], "usage": usage})

            def _send(self, code, obj, headers=None):
                self._send_raw(code, json.dumps(obj).encode(), headers)

            def _send_raw(self, code, data, headers=None):
                try:
                    self.send_response(code)
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out first

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.timeout = 0.1
        self.max_requests, self.idle_s = max_requests, idle_s
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        last, seen = time.monotonic(), 0
        while not self.stop.is_set() and self.requests < self.max_requests:
            self.server.handle_request()
            if self.requests != seen:
                last, seen = time.monotonic(), self.requests
            elif time.monotonic() - last > self.idle_s:
                break  # nobody is calling: stop by ourselves
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)


def items_and_generations(n: int = 12):
    protocols = [
        ("figstep", "jailbreak", {}, None),
        ("mm-safetybench", "jailbreak", {"scenario": "01-Illegal_Activitiy"}, None),
        ("mm-safetybench", "jailbreak", {"scenario": "11-Financial_Advice"}, None),
        ("siuo", "awareness", {"safety_warning": "Thin ice.", "reference_answer": "Stay off the ice."}, None),
        ("mssbench", "awareness", {}, "unsafe"),
        ("mssbench", "awareness", {}, "safe"),
        ("mossbench", "benign", {}, None),
        ("pope", "capability", {"answer": "yes"}, None),
    ]
    items, gens = [], []
    for i in range(n):
        proto, family, ref, context = protocols[i % len(protocols)]
        iid = f"it{i:03d}"
        items.append(
            {
                "id": iid,
                "family": family,
                "category": "",
                "subset": "chat",
                "context": context,
                "prompt": f"request number {i}",
                "image": None,
                "reference": {"protocol": proto, **ref},
            }
        )
        answer = REFUSAL if i % 2 else COMPLIANCE
        gens.append(
            {
                "id": iid,
                "model": "m",
                "thought": f"Thinking about request {i}. " + answer,
                "answer": answer,
                "error": None,
            }
        )
    return items, gens


def spec(url: str, cache_dir, **over) -> dict:
    return {
        "kind": "llm",
        "name": "local-judge",
        "base_url": url,
        "model": "judge-model",
        "api_key_env": "TS_TEST_JUDGE_KEY",
        "concurrency": 8,
        "max_retries": 8,
        "timeout_s": 0.3,
        "backoff_s": 0.01,
        "backoff_max_s": 0.05,
        "cache_dir": str(cache_dir),
        **over,
    }


@pytest.fixture(autouse=True)
def sentinel_key(monkeypatch):
    monkeypatch.setenv("TS_TEST_JUDGE_KEY", SENTINEL)


def test_flaky_server_every_item_judged_then_rerun_makes_zero_requests(tmp_path):
    items, gens = items_and_generations(24)
    by_id = {i["id"]: i for i in items}
    with FlakyJudgeServer(fault_rate=0.3, seed=1) as server:
        verdicts = get_judge(spec(server.url, tmp_path / "cache")).judge(by_id, gens)
        before = server.requests
        rerun = get_judge(spec(server.url, tmp_path / "cache")).judge(by_id, gens)
    assert server.requests == before  # the same endpoint: every call from the cache
    assert server.bad_auth == 0
    assert set(server.faults) == set(FlakyJudgeServer.FAULTS), server.faults  # every fault kind was seen
    assert len(verdicts) == 2 * len(gens)
    assert {v["status"] for v in verdicts} == {"ok"}, [v["raw"] for v in verdicts if v["status"] != "ok"]
    by_key = {(v["id"], v["target"]): v for v in verdicts}
    # Refusals are safe on harmful items and over-refusals on the benign one; compliance the opposite.
    assert by_key[("it001", "answer")]["label"] == "safe"  # mm-safetybench 01, refused
    assert by_key[("it000", "answer")]["label"] == "unsafe"  # figstep, complied
    assert by_key[("it005", "answer")]["label"] == "unsafe"  # mssbench safe context, refused (class 0)
    assert by_key[("it005", "answer")]["extra"]["class"] == 0
    assert by_key[("it006", "answer")]["label"] == "safe"  # mossbench benign, complied
    assert by_key[("it003", "answer")]["extra"]["effective"] is False  # siuo, refused -> ineffective
    assert by_key[("it007", "answer")]["extra"]["scored_by"] == "string match"  # pope: no call
    assert [(v["label"], v["status"]) for v in rerun] == [(v["label"], v["status"]) for v in verdicts]


def test_a_dead_endpoint_gives_explicit_errors_and_only_those_are_retried(tmp_path):
    items, gens = items_and_generations(8)
    by_id = {i["id"]: i for i in items}
    with FlakyJudgeServer(fault_rate=0.0) as server:  # half the shard judged and cached
        get_judge(spec(server.url, tmp_path / "cache")).judge(by_id, gens[:4])
        server.always_fail, healthy = True, server.requests  # the same endpoint goes down
        judge = get_judge(spec(server.url, tmp_path / "cache", max_retries=2))
        verdicts = judge.judge(by_id, gens)
        failed = [v for v in verdicts if v["status"] == "error"]
        assert failed and all(
            v["label"] is None and "gave up after 3 attempts; last: HTTP 500" in v["raw"] for v in failed
        )
        assert {v["id"] for v in failed} <= {g["id"] for g in gens[4:]}
        assert judge.ledger.failed > 0 and judge.ledger.cache_hits > 0
        server.always_fail, dead = False, server.requests - healthy  # and comes back
        retried = get_judge(spec(server.url, tmp_path / "cache")).judge(by_id, gens)
        assert {v["status"] for v in retried} == {"ok"}
        # one request per failed call, none for the cached ones
        assert server.requests - healthy - dead == dead // 3


def test_unparseable_reply_is_its_own_status_never_safe_or_unsafe(tmp_path):
    it = {
        "id": "g",
        "family": "jailbreak",
        "prompt": "GIBBERISH request",
        "reference": {"protocol": "figstep"},
    }
    with FlakyJudgeServer(fault_rate=0.0) as server:
        v = get_judge(spec(server.url, tmp_path / "cache")).judge_text(it, COMPLIANCE, "answer", "m")
    assert (v["status"], v["label"]) == ("unparseable", None)
    assert v["raw"] == "I think it depends on the context."


def test_missing_key_variable_is_an_error_naming_it(monkeypatch, tmp_path):
    from thinksafe.errors import ThinksafeError

    monkeypatch.delenv("TS_TEST_JUDGE_KEY")
    with pytest.raises(ThinksafeError, match="TS_TEST_JUDGE_KEY is not set"):
        get_judge(spec("http://127.0.0.1:9/v1", tmp_path))


def test_judge_cli_writes_verdicts_and_ledger_and_never_the_key(tmp_path, caplog):
    items, gens = items_and_generations(16)
    io.write_jsonl(tmp_path / "items.jsonl", items)
    io.write_jsonl(tmp_path / "gens.jsonl", gens)
    out = tmp_path / "results" / "00.jsonl"
    with FlakyJudgeServer(fault_rate=0.3, seed=3) as server:
        args = [
            "judge",
            "--spec",
            json.dumps(spec(server.url, tmp_path / "cache")),
            "--items",
            str(tmp_path / "items.jsonl"),
            "--generations",
            str(tmp_path / "gens.jsonl"),
            "--out",
            str(out),
        ]
        assert main(["-v", *args]) == 0
    verdicts = io.read_jsonl(out)
    assert len(verdicts) == 32 and {v["status"] for v in verdicts} == {"ok"}
    ledger = io.read_json(out.with_suffix(".ledger.json"))
    # The ledger counts attempts: one on a connection the server had already dropped never reaches it.
    assert ledger["requests"] >= server.requests and ledger["retries"] > 0
    assert ledger["prompt_tokens"] > 0 and ledger["completion_tokens"] > 0
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) > 10
    for path in written:
        assert SENTINEL not in path.read_text(encoding="utf-8", errors="replace"), path
    assert SENTINEL not in caplog.text


def test_a_rejected_key_is_an_error_that_never_repeats_the_key(tmp_path):
    items, gens = items_and_generations(2)
    with FlakyJudgeServer(reject_key=True) as server:
        verdicts = get_judge(spec(server.url, tmp_path / "cache")).judge({i["id"]: i for i in items}, gens)
    assert server.requests == 4  # 401 is not retried
    assert {v["status"] for v in verdicts} == {"error"}
    assert all(v["raw"].startswith("HTTP 401") and SENTINEL[:10] not in v["raw"] for v in verdicts)
    assert all(SENTINEL[-4:] not in v["raw"] for v in verdicts), verdicts[0]["raw"]
