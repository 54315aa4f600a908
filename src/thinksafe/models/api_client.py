"""The one OpenAI-compatible chat client: generation (backend openai), the LLM judge and, through them,
the dataset's teacher, captioner and answer filter all reach an endpoint here.

- the key is read from the environment variable the entry names (`api_key_env`), sent only in the
  Authorization header, and scrubbed from every text this client hands back (replies of any status,
  error messages) before anything is cut short, so no stored text can carry it;
- at most `concurrency` requests in flight, at most `rate_per_s` request starts per second;
- 429, 5xx, timeouts, dropped connections and replies that are not a chat completion (or, for callers
  that ask, an empty one) are retried with exponential backoff and jitter, at most `max_retries` times
  (RETRY_STATUS and RetryPolicy below are the project's one retry policy); any other HTTP error, or
  a request that cannot be made at all, is final at once.
"""

from __future__ import annotations

import base64
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from thinksafe.errors import ThinksafeError

log = logging.getLogger("thinksafe")

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
# Defaults for every endpoint entry; an entry overrides any of them (config keys of the same names).
DEFAULTS = {"concurrency": 8, "max_retries": 4, "timeout_s": 120.0, "backoff_s": 0.5, "backoff_max_s": 30.0,
            "rate_per_s": None}  # fmt: skip
SHOWN_CHARS = 200  # of a bad reply, in an error message (after scrubbing)
# Key-shaped tokens, masked or not (OpenAI's 401 echoes "sk-abc***wxyz"); scrubbed from error texts only,
# since a model's own answer may say "key-value" and must stay as it was.
_KEYLIKE = re.compile(r"\b(?:sk|pk|rk|key)-[\w*.\-]{4,}")
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    backoff_s: float
    backoff_max_s: float

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds before try `attempt` (1 = the first retry): exponential, jittered, capped; a server's
        Retry-After (seconds) is honoured up to the cap."""
        base = min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
        try:
            return max(base, min(self.backoff_max_s, float(retry_after))) if retry_after else base
        except ValueError:  # an HTTP date: keep our own schedule
            return base


@dataclass
class Usage:
    """Counters of one client (thread-safe); the judge's Ledger extends it with cost and cache hits."""

    requests: int = 0  # HTTP requests sent, retries included
    retries: int = 0
    failed: int = 0  # calls that ended in error after every retry
    prompt_tokens: int = 0
    completion_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}


@dataclass
class Reply:
    """A chat completion's message, or why there is none (`error`, already scrubbed)."""

    content: str | None
    reasoning: str = ""  # a separate reasoning field (DeepSeek-R1, vLLM's reasoning parsers)
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None


class _Retry(Exception):
    """A failure worth another try; its message is scrubbed."""

    def __init__(self, message: str, retry_after: str | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class _Final(Exception):
    """A failure no retry can mend (4xx other than the retryable ones)."""


class ChatClient:
    """One endpoint: `conf` holds base_url, model, api_key_env and the DEFAULTS keys; `where` names the
    config entry in errors (e.g. "config key judges.gpt4o")."""

    def __init__(self, conf: dict, where: str, retry_empty: bool = False, usage: Usage | None = None):
        conf = {**DEFAULTS, **{k: v for k, v in conf.items() if v is not None}}
        for name in ("base_url", "model"):
            if not conf.get(name):
                raise ThinksafeError(f"{where}.{name}: required for an OpenAI-compatible endpoint")
        self.base_url = str(conf["base_url"]).rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self.model = str(conf["model"])
        self.concurrency = int(conf["concurrency"])
        self.timeout_s = float(conf["timeout_s"])
        self.retry = RetryPolicy(
            int(conf["max_retries"]), float(conf["backoff_s"]), float(conf["backoff_max_s"])
        )
        self.retry_empty = retry_empty
        self.usage = usage if usage is not None else Usage()
        self._rate = RateLimiter(conf["rate_per_s"])
        self._key = read_key(conf.get("api_key_env"), where)
        self._secrets = secret_forms(self._key)
        self._local = threading.local()

    # -- secrets ------------------------------------------------------------------------------------
    def scrub(self, text: str, error: bool = False) -> str:
        """`text` without the key (plain, as a Bearer header, base64); error texts also lose key-shaped
        tokens. Always applied to the whole text, before any truncation."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _KEYLIKE.sub("***", text) if error else text

    def _shown(self, text: str) -> str:
        return self.scrub(text, error=True)[:SHOWN_CHARS]

    # -- one call -----------------------------------------------------------------------------------
    def _session(self):
        import requests

        if not hasattr(self._local, "session"):
            session = requests.Session()
            if self._key:
                session.headers["Authorization"] = f"Bearer {self._key}"
            self._local.session = session
        return self._local.session

    def _once(self, payload: dict) -> Reply:
        import requests

        self._rate.wait()
        self.usage.add(requests=1)
        try:
            resp = self._session().post(self.url, json=payload, timeout=self.timeout_s)
            text = resp.text
        except requests.Timeout:
            raise _Retry("timeout") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
            # ChunkedEncodingError: the body stopped short of its Content-Length (a dropped connection)
            raise _Retry(f"connection error ({type(e).__name__}: {self._shown(str(e))})") from None
        except requests.RequestException as e:  # too many redirects, a bad header or URL: no retry mends it
            raise _Final(f"request failed ({type(e).__name__}: {self._shown(str(e))})") from None
        text = self.scrub(text)  # whatever the status: a 200 reply may echo the key too
        if resp.status_code in RETRY_STATUS:
            raise _Retry(f"HTTP {resp.status_code}: {self._shown(text)}", resp.headers.get("Retry-After"))
        if resp.status_code != 200:
            raise _Final(f"HTTP {resp.status_code}: {self._shown(text)}")
        return self._parse(text)

    def _parse(self, text: str) -> Reply:
        import json

        try:
            body = json.loads(text)
        except ValueError:
            raise _Retry(f"reply is not JSON: {self._shown(text)!r}") from None
        try:
            choice = body["choices"][0]
            message = choice["message"]
            content = message.get("content") or ""
            reasoning = message.get("reasoning_content") or message.get("reasoning") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise _Retry(f"not a chat completion: {self._shown(text)!r}") from None
        if not isinstance(content, str) or not isinstance(reasoning, str):
            raise _Retry(f"message content is not text: {self._shown(str(message))!r}")
        if self.retry_empty and not content.strip():
            raise _Retry("empty reply")
        usage = body.get("usage") or {}
        tokens = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        return Reply(content, reasoning, str(choice.get("finish_reason") or "stop"), *tokens)

    def complete(self, payload: dict) -> Reply:
        """One chat completion under the retry policy; a failure comes back as Reply.error, never raised."""
        last, retry_after = "", None
        for attempt in range(self.retry.max_retries + 1):
            if attempt:
                self.usage.add(retries=1)
                time.sleep(self.retry.delay(attempt, retry_after))
            try:
                reply = self._once(payload)
            except _Retry as e:
                last, retry_after = str(e), e.retry_after
                log.debug(
                    "request failed (%s), attempt %d of %d", last, attempt + 1, self.retry.max_retries + 1
                )
                continue
            except _Final as e:
                self.usage.add(failed=1)
                return Reply(None, error=str(e))
            self.usage.add(prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens)
            return reply
        self.usage.add(failed=1)
        return Reply(None, error=f"gave up after {self.retry.max_retries + 1} attempts; last: {last}")

    # -- many calls ---------------------------------------------------------------------------------
    def map(
        self, fn: Callable[[T], R], jobs: Sequence[T], on_done: Callable[[R], None] | None = None
    ) -> list[R]:
        """fn(job) for every job, at most `concurrency` at once; results in the order of `jobs`.
        `on_done(result)` runs in the calling thread as each one finishes (progress, partial files)."""
        out: list[Any] = [None] * len(jobs)
        if not jobs:
            return out
        with ThreadPoolExecutor(max_workers=max(1, min(self.concurrency, len(jobs)))) as pool:
            futures = {pool.submit(fn, job): i for i, job in enumerate(jobs)}
            for fut in as_completed(futures):
                out[futures[fut]] = fut.result()
                if on_done:
                    on_done(out[futures[fut]])
        return out


class RateLimiter:
    """At most `per_second` request starts per second, spread evenly (a leaky bucket); None: no limit."""

    def __init__(self, per_second: float | None):
        self.interval = 1.0 / float(per_second) if per_second else 0.0
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


def read_key(env: str | None, where: str) -> str | None:
    """The API key from the environment variable `env`; None when the entry names none (a local server)."""
    if not env:
        return None
    value = os.environ.get(env)
    if not value:
        raise ThinksafeError(f"{where}.api_key_env: environment variable {env} is not set")
    return value


def secret_forms(key: str | None) -> list[str]:
    """Every form in which a key could be echoed back: plain, and base64 (of itself and of `:key`,
    basic-auth style). The Bearer header holds the plain form, so it goes with it."""
    if not key:
        return []
    forms = [key, base64.b64encode(key.encode()).decode(), base64.b64encode(f":{key}".encode()).decode()]
    return sorted(set(forms), key=len, reverse=True)
