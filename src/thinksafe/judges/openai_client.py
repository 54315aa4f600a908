"""A small OpenAI-compatible chat client for judges: bounded concurrency, a rate limit, and exponential
backoff on 429, 5xx, timeouts, malformed and empty replies, with bounded retries.

The API key is read from the environment variable the spec names (`api_key_env`), sent only in the
Authorization header, and never logged, stored or put into an error message.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from thinksafe.errors import ThinksafeError
from thinksafe.judges.ledger import Ledger

log = logging.getLogger("thinksafe")
RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
_KEYLIKE = re.compile(r"\b(?:sk|pk|rk|key)-[\w*.\-]{4,}")  # API-key-shaped tokens, masked or not


@dataclass
class Reply:
    text: str | None  # the judge's message content; None when the call failed
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


class RateLimiter:
    """At most `per_second` request starts per second, spread evenly (a leaky bucket)."""

    def __init__(self, per_second: float | None):
        self.interval = 1.0 / per_second if per_second else 0.0
        self.next_at = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_at)
            self.next_at = start + self.interval
        if start > now:
            time.sleep(start - now)


class Transient(Exception):
    """A failure worth retrying; the message never contains the key."""


class ChatClient:
    def __init__(self, spec: dict, ledger: Ledger):
        self.url = spec.get("base_url", "https://api.openai.com/v1").rstrip("/") + "/chat/completions"
        self.model = spec.get("model", "gpt-4o-2024-08-06")
        self.concurrency = int(spec.get("concurrency", 8))
        self.max_retries = int(spec.get("max_retries", 6))
        self.timeout = float(spec.get("timeout_s", 60))
        self.backoff_s = float(spec.get("backoff_s", 1.0))
        self.backoff_max_s = float(spec.get("backoff_max_s", 60))
        self.decoding = {
            "temperature": spec.get("temperature", 0.0),
            "max_tokens": spec.get("max_tokens", 512),
        }
        self.limiter = RateLimiter(spec.get("rate_per_s"))  # request starts per second; None: unlimited
        self.ledger = ledger
        self._key = self._read_key(spec)
        self._local = threading.local()

    @staticmethod
    def _read_key(spec: dict) -> str | None:
        env = spec.get("api_key_env")
        if not env:
            return None  # e.g. a local vLLM server without auth
        value = os.environ.get(env)
        if not value:
            raise ThinksafeError(
                f"judge {spec.get('name', '?')}: key api_key_env: environment variable {env} is not set"
            )
        return value

    def _scrub(self, text: str) -> str:
        """Server error bodies may echo the key (OpenAI's 401 shows part of it): never let it through."""
        if self._key:
            text = text.replace(self._key, "***")
        return _KEYLIKE.sub("***", text)

    def payload(self, messages: list[dict]) -> dict:
        return {"model": self.model, "messages": messages, **self.decoding}

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            s = requests.Session()
            if self._key:
                s.headers["Authorization"] = f"Bearer {self._key}"
            self._local.session = s
        return self._local.session

    def _once(self, payload: dict) -> Reply:
        self.limiter.wait()
        self.ledger.add(requests=1)
        try:
            r = self._session().post(self.url, json=payload, timeout=self.timeout)
        except requests.Timeout:
            raise Transient("timeout") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
            # ChunkedEncodingError: the body stopped short of its Content-Length (a dropped connection)
            raise Transient(f"connection error ({type(e).__name__})") from None
        if r.status_code in RETRY_STATUS:
            retry_after = r.headers.get("Retry-After")
            raise Transient(f"HTTP {r.status_code}" + (f" retry-after={retry_after}" if retry_after else ""))
        if r.status_code >= 400:  # 4xx other than 429: no retry
            return Reply(None, error=f"HTTP {r.status_code}: {self._scrub(r.text[:200])}")
        try:
            body = r.json()
            text = body["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise Transient("malformed reply") from None
        if not isinstance(text, str) or not text.strip():
            raise Transient("empty reply")
        usage = body.get("usage") or {}
        return Reply(text, None, int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)))

    def complete(self, payload: dict) -> Reply:
        """One chat completion with bounded retries and exponential backoff (with jitter)."""
        last = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.ledger.add(retries=1)
                delay = min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1))
                time.sleep(delay * (0.5 + random.random() / 2))
            try:
                reply = self._once(payload)
            except Transient as e:
                last = str(e)
                log.debug(
                    "judge request failed (%s), attempt %d of %d", last, attempt + 1, self.max_retries + 1
                )
                continue
            if reply.error:
                self.ledger.add(failed=1)
                return reply
            self.ledger.add(prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens)
            return reply
        self.ledger.add(failed=1)
        return Reply(None, error=f"gave up after {self.max_retries + 1} attempts: {last}")

    def complete_many(self, payloads: list[dict], on_done=None) -> list[Reply]:
        """All payloads, at most `concurrency` in flight; replies in the order of `payloads`."""
        if not payloads:
            return []

        def one(p: dict) -> Reply:
            reply = self.complete(p)
            if on_done:
                on_done()
            return reply

        with ThreadPoolExecutor(max_workers=max(1, min(self.concurrency, len(payloads)))) as pool:
            return list(pool.map(one, payloads))
