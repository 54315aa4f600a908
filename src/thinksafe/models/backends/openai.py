"""Any OpenAI-compatible chat endpoint (an API model, or a vLLM server).

- the key comes from the environment variable the entry names (`openai.api_key_env`) and is never
  written anywhere (not in records, logs or the .meta.json);
- images travel as base64 data URLs;
- at most `openai.concurrency` requests in flight;
- 429, 5xx, timeouts and dropped connections are retried with exponential backoff, at most
  `openai.max_retries` times; any other failure, or a reply that is not a chat completion, becomes an
  error on that record.
- A reply with a separate reasoning field (`reasoning_content`, as DeepSeek-R1 and vLLM's reasoning
  parsers give) is stored as `<think>\\n{reasoning}\\n</think>\\n\\n{content}`, which `think` splits.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from thinksafe.errors import ThinksafeError
from thinksafe.models.backends.base import Backend, OnDone, error_record, record, versions
from thinksafe.models.recipes import recipe_of, user_text

log = logging.getLogger("thinksafe")

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
DEFAULTS = {"concurrency": 8, "max_retries": 4, "timeout_s": 120.0}
BACKOFF_BASE_S, BACKOFF_MAX_S = 0.5, 30.0


class ReplyError(Exception):
    """The endpoint answered, but not with a usable chat completion."""


def data_url(image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def parse_reply(body: Any) -> tuple[str, str, int, int]:
    """(raw, finish_reason, prompt tokens, output tokens) of a chat completion; ReplyError otherwise."""
    try:
        choice = body["choices"][0]
        message = choice["message"]
        content = message.get("content") or ""
        reasoning = message.get("reasoning_content") or message.get("reasoning") or ""
    except (KeyError, IndexError, TypeError, AttributeError):
        raise ReplyError(f"not a chat completion: {str(body)[:200]!r}") from None
    if not isinstance(content, str) or not isinstance(reasoning, str):
        raise ReplyError(f"message content is not text: {str(message)[:200]!r}")
    raw = f"<think>\n{reasoning}\n</think>\n\n{content}" if reasoning else content
    usage = body.get("usage") or {}
    return (
        raw,
        choice.get("finish_reason") or "stop",
        usage.get("prompt_tokens", 0),
        usage.get("completion_tokens", 0),
    )


class OpenAIBackend(Backend):
    name = "openai"

    def __init__(self, spec: dict, seed: int = 0):
        super().__init__(spec, seed)
        conf = {**DEFAULTS, **spec.get("openai", {})}
        where = f"config key models.{spec.get('name', '?')}.openai"
        for key in ("base_url", "model"):
            if not conf.get(key):
                raise ThinksafeError(f"{where}.{key}: required by backend openai")
        self.url = conf["base_url"].rstrip("/") + "/chat/completions"
        self.model = conf["model"]
        self.concurrency, self.max_retries = int(conf["concurrency"]), int(conf["max_retries"])
        self.timeout_s = float(conf["timeout_s"])
        self._headers = {"Content-Type": "application/json"}
        env = conf.get("api_key_env")
        if env:
            key = os.environ.get(env)
            if not key:
                raise ThinksafeError(f"{where}.api_key_env: environment variable {env} is not set")
            self._headers["Authorization"] = f"Bearer {key}"
        self._local = threading.local()
        self.stats = {"requests": 0, "retries": 0}
        self._lock = threading.Lock()

    def _session(self):
        import requests

        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def payload(self, item: dict, image) -> dict:
        recipe = recipe_of(self.spec)  # the same system turn and user wrapper as the local backends
        messages: list[dict] = []
        if recipe.system:
            messages.append({"role": "system", "content": recipe.system})
        text = {"type": "text", "text": user_text(recipe, item["prompt"])}
        image_part = (
            [{"type": "image_url", "image_url": {"url": data_url(image)}}] if image is not None else []
        )
        content = [*image_part, text] if recipe.image == "first" else [text, *image_part]
        messages.append({"role": "user", "content": content})
        for answer, request in item.get("history") or ():  # a recipe's dialogue, asked turn by turn
            messages += [{"role": "assistant", "content": answer}, {"role": "user", "content": request}]
        d = self.decoding
        body = {"model": self.model, "messages": messages, "max_tokens": int(d["max_new_tokens"]),
                "temperature": float(d["temperature"]), "top_p": float(d["top_p"])}  # fmt: skip
        if float(d["temperature"]) > 0:
            body["seed"] = self.seed
        return body

    def _post(self, body: dict) -> Any:
        """One completion, retried on transient failures; ReplyError when it cannot be had."""
        import requests

        # ChunkedEncodingError: a body cut short of its Content-Length (a dropped connection)
        transient = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
        last = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                with self._lock:
                    self.stats["retries"] += 1
                delay = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (attempt - 1))
                time.sleep(delay * (0.5 + random.random() / 2))  # jitter: retries do not stampede
            with self._lock:
                self.stats["requests"] += 1
            try:
                resp = self._session().post(
                    self.url, json=body, headers=self._headers, timeout=self.timeout_s
                )
            except transient as e:
                last = f"{type(e).__name__}: {e}"
                continue
            if resp.status_code in RETRY_STATUS:
                last = f"HTTP {resp.status_code}: {resp.text[:200]}"
                continue
            if resp.status_code != 200:
                raise ReplyError(f"HTTP {resp.status_code}: {resp.text[:200]}")
            try:
                return resp.json()
            except ValueError:
                raise ReplyError(f"reply is not JSON: {resp.text[:200]!r}") from None
        raise ReplyError(f"gave up after {self.max_retries + 1} attempts; last: {last}")

    def _one(self, item: dict, image) -> dict:
        try:
            raw, reason, n_in, n_out = parse_reply(self._post(self.payload(item, image)))
        except ReplyError as e:
            return error_record(self.spec, item, f"openai endpoint {self.url}: {e}")
        return record(self.spec, item, raw, reason, n_in, n_out, opened=False)

    def _run(self, prepared: list[tuple[dict, Any]], done: OnDone) -> None:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = [pool.submit(self._one, item, image) for item, image in prepared]
            for fut in as_completed(futures):
                done(fut.result())

    def info(self) -> dict:
        return {
            "backend": self.name,
            "versions": versions("thinksafe", "requests"),
            "device": "remote",
            "endpoint": self.url,
            "endpoint_model": self.model,
            "revision": self.spec.get("revision"),
            "concurrency": self.concurrency,
            **self.stats,
        }
