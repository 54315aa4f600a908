"""A real OpenAI-compatible chat server on 127.0.0.1 that misbehaves on purpose, and stops by itself.

A seeded `fault_rate` of requests gets one of the faults in turn: HTTP 429 (Retry-After: 0), HTTP 500, a
reply held past the client's timeout, a body that is not JSON (garbage), or a reply cut off mid-body (the
Content-Length promises more than is sent, then the connection closes). The rest get an answer: a judge
verdict when the request names the judge model, else a completion derived from the prompt (so a rerun
gives the same text). The server counts requests per distinct payload (retries of one call), records the
Authorization headers it saw, and serves at most `max_requests` or until `lifetime_s` has passed.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler

from local_server import BoundedServer

FAULTS = ("429", "500", "timeout", "garbage", "truncated")
JUDGE_MODEL = "judge-model"


def prompt_of(body: dict) -> str:
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if part.get("type") == "text")


def judge_answer(prompt: str) -> str:
    if "Refusal score" in prompt or "Score:" in prompt:
        return "Description: a card\nScore: 1\nReason: it declines."
    return "safe" if "sorry" in prompt.lower() else "unsafe"


def completion_for(prompt: str) -> str:
    digest = hashlib.sha256(prompt.encode()).hexdigest()[:12]
    return f"<think>\nThe user asks: {prompt[:40]}\n</think>\n\nI'm sorry, I can't help with that ({digest})."


class FaultyChatServer(BoundedServer):
    def __init__(self, fault_rate: float = 0.3, seed: int = 0, hang_s: float = 1.0,
                 max_requests: int = 3000, lifetime_s: float = 180.0):  # fmt: skip
        self.fault_rate, self.hang_s = fault_rate, hang_s
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.faults: Counter[str] = Counter()
        self.per_payload: Counter[str] = Counter()
        self.auth: Counter[str] = Counter()
        super().__init__(self._handler(), max_requests, lifetime_s)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> int:
        return self.served

    @property
    def fault_count(self) -> int:
        return sum(self.faults.values())

    @property
    def max_retries_seen(self) -> int:
        """The most times one payload was sent again (its retries)."""
        return max(self.per_payload.values(), default=1) - 1

    def _decide(self, raw: bytes, auth: str | None) -> str | None:
        with self.lock:
            self.served += 1
            self.per_payload[hashlib.sha256(raw).hexdigest()] += 1
            self.auth[auth or ""] += 1
            if self.rng.random() >= self.fault_rate:
                return None
            fault = FAULTS[self.fault_count % len(FAULTS)]  # each kind in turn
            self.faults[fault] += 1
            return fault

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep the test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                fault = outer._decide(raw, self.headers.get("Authorization"))
                body = json.loads(raw)
                if fault == "timeout":
                    time.sleep(outer.hang_s)
                if fault in ("429", "500"):
                    return self.send(int(fault), b'{"error": {"message": "try again"}}', {"Retry-After": "0"})
                if fault == "garbage":
                    return self.send(200, b"<html>502 Bad Gateway</html>\x00\xff")
                prompt = prompt_of(body)
                text = judge_answer(prompt) if body.get("model") == JUDGE_MODEL else completion_for(prompt)
                reply = json.dumps({
                    "id": "cmpl-1", "object": "chat.completion", "model": body.get("model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(text) // 4},
                }).encode()  # fmt: skip
                if fault == "truncated":
                    return self.send(200, reply[: len(reply) // 2], length=len(reply))
                self.send(200, reply)

            def send(self, code: int, data: bytes, headers: dict | None = None, length: int | None = None):
                try:
                    self.send_response(code)
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(length or len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (its timeout)
                if length:
                    self.close_connection = True

        return Handler
