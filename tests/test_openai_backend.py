"""The openai backend against a real OpenAI-compatible HTTP server on 127.0.0.1.

The server answers by the prompt's first word: `ok`, `think` (a separate reasoning field), `flaky`
(503 then 429, then a completion), `down` (always 500), `garbage` (not JSON), `shapeless` (JSON that is
not a chat completion), `denied` (401), `slow` (sleeps, to measure concurrency). It serves a bounded
number of requests and stops by itself after a deadline.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from thinksafe.errors import ThinksafeError
from thinksafe.models.backends import get_backend

KEY_ENV = "THINKSAFE_TEST_KEY"
MAX_REQUESTS, LIFETIME_S = 200, 60.0


class FakeOpenAI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.timeout = 0.1
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.bodies: list[dict] = []
        self.auth: set[str] = set()
        self.in_flight = self.max_in_flight = 0
        self.served = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def serve_bounded(self) -> None:
        deadline = time.monotonic() + LIFETIME_S
        while time.monotonic() < deadline and self.served < MAX_REQUESTS and not getattr(self, "stop", False):
            self.handle_request()
        self.server_close()


def completion(content: str, reasoning: str | None = None, finish: str = "stop") -> dict:
    message = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return {"id": "cmpl-1", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 21, "completion_tokens": 7, "total_tokens": 28}}  # fmt: skip


class Handler(BaseHTTPRequestHandler):
    server: FakeOpenAI

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        s = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = body["messages"][-1]["content"][-1]["text"]
        kind = text.split()[0]
        with s.lock:
            s.served += 1
            s.calls[kind] += 1
            n = s.calls[kind]
            s.bodies.append(body)
            s.auth.add(self.headers.get("Authorization", ""))
            s.in_flight += 1
            s.max_in_flight = max(s.max_in_flight, s.in_flight)
        try:
            if self.path != "/v1/chat/completions":
                self.send(404, b'{"error": "not found"}')
            elif kind == "ok":
                self.send(200, json.dumps(completion(f"Answer to: {text}")).encode())
            elif kind == "think":
                self.send(200, json.dumps(completion("It is safe.", reasoning="Let me check.")).encode())
            elif kind == "flaky" and n == 1:
                self.send(503, b'{"error": "overloaded"}')
            elif kind == "flaky" and n == 2:
                self.send(429, b'{"error": "rate limited"}')
            elif kind == "flaky":
                self.send(200, json.dumps(completion("Recovered.", finish="length")).encode())
            elif kind == "down":
                self.send(500, b'{"error": "internal"}')
            elif kind == "garbage":
                self.send(200, b"<html>502 Bad Gateway</html>", "text/html")
            elif kind == "shapeless":
                self.send(200, b'{"result": "no choices here"}')
            elif kind == "denied":
                self.send(401, b'{"error": "invalid api key"}')
            elif kind == "slow":
                time.sleep(0.2)
                self.send(200, json.dumps(completion("Done.")).encode())
        finally:
            with s.lock:
                s.in_flight -= 1


@pytest.fixture
def server():
    srv = FakeOpenAI()
    thread = threading.Thread(target=srv.serve_bounded, daemon=True)
    thread.start()
    yield srv
    srv.stop = True
    thread.join(timeout=5)


@pytest.fixture
def api_key(monkeypatch) -> str:
    monkeypatch.setenv(KEY_ENV, "sk-test-not-a-real-key")
    return "sk-test-not-a-real-key"


def spec_for(server: FakeOpenAI, **openai) -> dict:
    conf = {"base_url": server.base_url, "model": "served-model", "api_key_env": KEY_ENV,
            "concurrency": 4, "max_retries": 3, "timeout_s": 10, **openai}  # fmt: skip
    return {"name": "api-model", "family": "api", "backend": "openai", "reasoning": "think",
            "revision": "2025-01", "openai": conf,
            "decoding": {"max_new_tokens": 64, "temperature": 0.0, "top_p": 1.0}}  # fmt: skip


def items(*prompts: str, image: Path | None = None) -> list[dict]:
    path = str(image) if image else None
    return [{"id": f"q{i}", "prompt": p, "image": path} for i, p in enumerate(prompts)]


def test_answers_images_as_data_urls_and_the_key_from_the_environment(server, api_key, tmp_path):
    Image.new("RGB", (32, 32), "red").save(tmp_path / "red.png")
    backend = get_backend(spec_for(server))
    [rec] = backend.generate(items("ok what is this?", image=tmp_path / "red.png"))
    assert rec["raw"] == rec["answer"] == "Answer to: ok what is this?"
    assert rec["thought"] is None and rec["error"] is None
    assert (rec["n_prompt_tokens"], rec["n_output_tokens"], rec["finish_reason"]) == (21, 7, "stop")
    [body] = server.bodies
    assert body["model"] == "served-model" and body["max_tokens"] == 64
    image_part = body["messages"][-1]["content"][0]
    assert image_part["image_url"]["url"].startswith("data:image/png;base64,")
    assert server.auth == {f"Bearer {api_key}"}
    assert api_key not in json.dumps(backend.info()) and api_key not in json.dumps(rec)


def test_separate_reasoning_is_kept_and_split(server, api_key):
    [rec] = get_backend(spec_for(server)).generate(items("think about it"))
    assert rec["raw"] == "<think>\nLet me check.\n</think>\n\nIt is safe."
    assert (rec["thought"], rec["answer"]) == ("Let me check.", "It is safe.")


def test_retries_5xx_and_429_with_backoff_then_succeeds(server, api_key):
    backend = get_backend(spec_for(server))
    t0 = time.monotonic()
    [rec] = backend.generate(items("flaky endpoint"))
    assert rec["error"] is None and rec["answer"] == "Recovered."
    assert rec["finish_reason"] == "length" and rec["truncated"]
    assert server.calls["flaky"] == 3 and backend.stats["retries"] == 2
    assert time.monotonic() - t0 >= 0.25 * 3  # two backoffs: ≥ 0.5·(0.5+1.0) s with jitter


def test_failures_become_errors_on_their_records_never_drops(server, api_key):
    backend = get_backend(spec_for(server, max_retries=2))
    recs = {r["id"]: r for r in backend.generate(items("down", "garbage", "shapeless", "denied", "ok fine"))}
    assert len(recs) == 5
    assert "gave up after 3 attempts; last: HTTP 500" in recs["q0"]["error"]
    assert server.calls["down"] == 3  # bounded: 1 try + max_retries
    assert "reply is not JSON" in recs["q1"]["error"]
    assert "not a chat completion" in recs["q2"]["error"]
    assert "HTTP 401" in recs["q3"]["error"] and server.calls["denied"] == 1  # not retried
    assert recs["q4"]["error"] is None
    for rid in ("q0", "q1", "q2", "q3"):
        assert recs[rid]["finish_reason"] == "error" and recs[rid]["raw"] == ""


def test_concurrency_is_bounded(server, api_key):
    backend = get_backend(spec_for(server, concurrency=3))
    t0 = time.monotonic()
    recs = backend.generate(items(*[f"slow {i}" for i in range(9)]))
    elapsed = time.monotonic() - t0
    assert len(recs) == 9 and all(r["error"] is None for r in recs)
    assert server.max_in_flight == 3
    assert elapsed < 9 * 0.2  # faster than one at a time


def test_a_missing_key_or_endpoint_is_a_config_error(server, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ThinksafeError, match=f"openai.api_key_env: environment variable {KEY_ENV} is not"):
        get_backend(spec_for(server))
    with pytest.raises(ThinksafeError, match=r"models\.api-model\.openai\.base_url: required"):
        get_backend(spec_for(server, base_url="", api_key_env=None))
