"""The one API client (models.api_client) against real HTTP servers on 127.0.0.1 that echo the key back.

Secrets: whatever the status, wherever the key sits in a reply (a 200 answer, a 401 body past the 200
characters an error shows, a 500 retried to the end, a redirect that puts it into the exception text), no
text the client hands back holds it, and neither do the verdicts, the judge cache, the ledger, the
generation records or the log. Caches: another endpoint, model or decoding is another answer.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from local_server import BoundedServer

from thinksafe.judges import get_judge, judge_fingerprint
from thinksafe.models.api_client import ChatClient, RetryPolicy
from thinksafe.models.backends import get_backend

KEY_ENV = "TS_ECHO_TEST_KEY"
KEY = f"sk-echo-{secrets.token_hex(12)}"  # made at run time, so no file of the project holds it
B64 = base64.b64encode(KEY.encode()).decode()
MAX_REQUESTS, LIFETIME_S = 300, 60.0


def completion(content: str) -> bytes:
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": content},
                                    "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 3, "completion_tokens": 2}}).encode()  # fmt: skip


MODES = ("ECHO", "DENY", "MASKED", "BUSY", "REDIRECT")


class EchoServer(BoundedServer):
    """Answers by the mode word in the prompt; `said` is an answer every judge can parse ("unsafe")."""

    def __init__(self, said: str = "unsafe"):
        self.said, self.lock = said, threading.Lock()
        super().__init__(EchoHandler, MAX_REQUESTS, LIFETIME_S)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


class EchoHandler(BaseHTTPRequestHandler):
    @property
    def echo(self) -> EchoServer:
        return self.server.owner

    def log_message(self, *args) -> None:
        pass

    def send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        with self.echo.lock:
            self.echo.served += 1
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        content = body["messages"][-1]["content"]
        text = content if isinstance(content, str) else content[-1]["text"]
        auth = self.headers.get("Authorization", "")  # "Bearer <key>": echoed back as it came
        word = next((m for m in MODES if m in text), "")  # a judge's prompt wraps the item's text
        padding = "x" * 180  # the key straddles the 200 characters an error message keeps
        if word == "ECHO":  # a 200 answer that repeats the key, its header and its base64
            self.send(200, completion(f"{self.echo.said} (you sent {auth}; {KEY}; {B64})"))
        elif word == "DENY":
            self.send(401, json.dumps({"error": f"{padding}{KEY} is not a valid key"}).encode())
        elif word == "MASKED":
            self.send(401, json.dumps({"error": f"Incorrect API key: {KEY[:6]}****{KEY[-4:]}"}).encode())
        elif word == "BUSY":
            self.send(503, json.dumps({"error": f"overloaded; {auth}"}).encode(), {"Retry-After": "0"})
        elif word == "REDIRECT":  # to a closed port with the key in the URL: the key lands in the exception
            self.send(307, b"{}", {"Location": f"http://127.0.0.1:9/v1/chat/completions?key={KEY}"})
        else:
            self.send(200, completion(self.echo.said))


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)


def client(url: str, **conf) -> ChatClient:
    base = {"base_url": url, "model": "m", "api_key_env": KEY_ENV, "max_retries": 1, "backoff_s": 0.01,
            "backoff_max_s": 0.02, "timeout_s": 5}  # fmt: skip
    return ChatClient({**base, **conf}, "config key judges.echo")


def ask(c: ChatClient, prompt: str):
    return c.complete({"model": c.model, "messages": [{"role": "user", "content": prompt}]})


def leaked(text: str) -> bool:
    return KEY in text or B64 in text or KEY[-4:] in text or KEY[8:20] in text


def test_the_key_never_comes_back_whatever_the_status(caplog):
    caplog.set_level(logging.DEBUG, logger="thinksafe")
    with EchoServer() as server:
        c = client(server.url)
        echoed = ask(c, "ECHO me")
        denied = ask(c, "DENY me")
        masked = ask(c, "MASKED key")
        busy = ask(c, "BUSY now")
        redirected = ask(c, "REDIRECT me")
    assert echoed.error is None and echoed.content.startswith("unsafe (you sent Bearer ***; ***; ***)")
    assert denied.error.startswith("HTTP 401: ") and len(denied.error) <= len("HTTP 401: ") + 200
    assert masked.error == 'HTTP 401: {"error": "Incorrect API key: ***"}'
    assert busy.error.startswith("gave up after 2 attempts; last: HTTP 503: ")
    assert redirected.error.startswith("gave up after 2 attempts; last: connection error (ConnectionError")
    assert "key=***" in redirected.error  # the exception text did carry the key: it was scrubbed
    for reply in (echoed, denied, masked, busy, redirected):
        assert not leaked(json.dumps(reply.__dict__)), reply
    assert c.usage.requests == 1 + 1 + 1 + 2 + 2 and c.usage.failed == 4
    assert caplog.records and not leaked(caplog.text)


def test_a_key_across_the_cut_is_scrubbed_before_the_cut(monkeypatch):
    plain = secrets.token_hex(20)  # a key of no known shape: only the exact match can catch it
    monkeypatch.setenv(KEY_ENV, plain)
    c = client("http://127.0.0.1:9/v1")
    text = "y" * 190 + plain  # cutting to 200 first would keep its first 10 characters
    assert c._shown(text) == "y" * 190 + "***"
    assert c.scrub(f"Authorization: Bearer {plain}") == "Authorization: Bearer ***"


def test_llm_judge_stores_no_key_in_verdicts_cache_or_ledger(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="thinksafe")
    spec = {"kind": "llm", "name": "echo-judge", "base_url": "", "model": "judge-model",
            "api_key_env": KEY_ENV, "max_retries": 1, "backoff_s": 0.01, "backoff_max_s": 0.02,
            "cache_dir": str(tmp_path / "cache")}  # fmt: skip
    items = {i: {"id": i, "family": "jailbreak", "prompt": f"{i} now", "reference": {"protocol": "figstep"}}
             for i in ("ECHO", "DENY", "BUSY")}  # fmt: skip
    answer = "Sure, here it is."
    gens = [{"id": i, "model": "m", "thought": None, "answer": answer, "error": None} for i in items]
    with EchoServer() as server:
        judge = get_judge({**spec, "base_url": server.url})
        verdicts = {v["id"]: v for v in judge.judge(items, gens) if v["target"] == "answer"}
    assert (verdicts["ECHO"]["status"], verdicts["ECHO"]["label"]) == ("ok", "unsafe")
    assert verdicts["DENY"]["status"] == verdicts["BUSY"]["status"] == "error"
    stored = [json.dumps(verdicts), json.dumps(judge.ledger.to_dict()), caplog.text]
    stored += [p.read_text() for p in (tmp_path / "cache").rglob("*.json")]
    assert len(stored) == 4  # one cached reply: the 200; failures are never cached
    assert not any(leaked(text) for text in stored)


def test_openai_generation_records_hold_no_key(tmp_path):
    with EchoServer(said="Here you go.") as server:
        spec = {"name": "api", "family": "api", "backend": "openai", "reasoning": "none",
                "openai": {"base_url": server.url, "model": "m", "api_key_env": KEY_ENV, "max_retries": 1,
                           "backoff_s": 0.01},
                "decoding": {"max_new_tokens": 8, "temperature": 0.0, "top_p": 1.0}}  # fmt: skip
        backend = get_backend(spec)
        recs = backend.generate([{"id": w, "prompt": f"{w} please", "image": None} for w in ("ECHO", "DENY")])
    by_id = {r["id"]: r for r in recs}
    assert by_id["ECHO"]["answer"].startswith("Here you go. (you sent Bearer ***")
    assert "HTTP 401" in by_id["DENY"]["error"]
    assert not leaked(json.dumps(recs)) and not leaked(json.dumps(backend.info()))


def judge_spec(url: str, cache: Path, **over) -> dict:
    return {"kind": "llm", "name": "j", "base_url": url, "model": "judge-model", "api_key_env": KEY_ENV,
            "cache_dir": str(cache), "max_retries": 0, **over}  # fmt: skip


def test_another_endpoint_model_or_decoding_is_asked_again_never_served_from_the_cache(tmp_path):
    items = {f"q{i}": {"id": f"q{i}", "family": "jailbreak", "prompt": f"ask {i}",
                       "reference": {"protocol": "figstep"}} for i in range(4)}  # fmt: skip
    gens = [{"id": i, "model": "m", "thought": None, "answer": "Sure.", "error": None} for i in items]
    cache = tmp_path / "cache"
    with EchoServer(said="unsafe") as a, EchoServer(said="safe") as b:
        first = get_judge(judge_spec(a.url, cache)).judge(items, gens)
        again = get_judge(judge_spec(a.url + "/", cache)).judge(items, gens)  # the same endpoint
        assert a.served == 4
        switched = get_judge(judge_spec(b.url, cache)).judge(items, gens)
        assert b.served == 4  # the other server was asked, every call
        get_judge(judge_spec(b.url, cache, model="judge-model-2")).judge(items, gens)
        get_judge(judge_spec(b.url, cache, max_tokens=16)).judge(items, gens)
        assert b.served == 12
    labels = [[v["label"] for v in vs if v["target"] == "answer"] for vs in (first, again, switched)]
    assert labels == [["unsafe"] * 4, ["unsafe"] * 4, ["safe"] * 4]


def test_the_fingerprint_snakemake_sees_changes_with_the_endpoint():
    spec = judge_spec("https://api.openai.com/v1", Path("c"))
    assert judge_fingerprint(spec) == judge_fingerprint({**spec, "base_url": "https://api.openai.com/v1/"})
    assert judge_fingerprint(spec) != judge_fingerprint({**spec, "base_url": "http://127.0.0.1:8000/v1"})
    assert judge_fingerprint(spec) != judge_fingerprint({**spec, "temperature": 0.7})


def test_rate_limit_spreads_request_starts():
    with EchoServer() as server:
        c = client(server.url, rate_per_s=20, concurrency=4)
        t0 = time.monotonic()
        replies = c.map(lambda i: ask(c, f"hello {i}"), list(range(10)))
        elapsed = time.monotonic() - t0
    assert [r.content for r in replies] == ["unsafe"] * 10
    assert elapsed >= 9 / 20 * 0.9  # ten starts, 50 ms apart


def test_retry_policy_backs_off_exponentially_and_honours_retry_after_up_to_the_cap():
    policy = RetryPolicy(max_retries=5, backoff_s=1.0, backoff_max_s=8.0)
    for attempt, full in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0)):
        assert full / 2 <= policy.delay(attempt) <= full
    assert policy.delay(1, retry_after="5") == 5.0
    assert policy.delay(1, retry_after="600") == 8.0
    assert policy.delay(1, retry_after="Wed, 21 Oct 2026 07:28:00 GMT") <= 1.0
