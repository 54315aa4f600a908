"""Any OpenAI-compatible chat endpoint (an API model, or a vLLM server), through the one client
(models/api_client.py: key from the environment and scrubbed, bounded concurrency, rate limit, retries).

- the entry's `openai` block: base_url, model, api_key_env, and the client's concurrency, max_retries,
  timeout_s, backoff_s, backoff_max_s, rate_per_s;
- images travel as base64 data URLs;
- a call that still fails, or a reply that is not a chat completion, becomes an error on that record;
- a reply with a separate reasoning field (`reasoning_content`, as DeepSeek-R1 and vLLM's reasoning
  parsers give) is stored as `<think>\\n{reasoning}\\n</think>\\n\\n{content}`, which `think` splits.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from thinksafe.models.api_client import ChatClient, Reply
from thinksafe.models.backends.base import Backend, OnDone, error_record, record, versions
from thinksafe.models.recipes import recipe_of, user_text


def data_url(image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def raw_text(reply: Reply) -> str:
    content = reply.content or ""
    return f"<think>\n{reply.reasoning}\n</think>\n\n{content}" if reply.reasoning else content


class OpenAIBackend(Backend):
    name = "openai"

    def __init__(self, spec: dict, seed: int = 0):
        super().__init__(spec, seed)
        where = f"config key models.{spec.get('name', '?')}.openai"
        self.client = ChatClient(spec.get("openai") or {}, where)

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
        body = {"model": self.client.model, "messages": messages, "max_tokens": int(d["max_new_tokens"]),
                "temperature": float(d["temperature"]), "top_p": float(d["top_p"])}  # fmt: skip
        if float(d["temperature"]) > 0:
            body["seed"] = self.seed
        return body

    def _one(self, job: tuple[dict, Any]) -> dict:
        item, image = job
        reply = self.client.complete(self.payload(item, image))  # built in the worker: one image at a time
        if reply.error:
            return error_record(self.spec, item, f"openai endpoint {self.client.url}: {reply.error}")
        n_in, n_out = reply.prompt_tokens, reply.completion_tokens
        return record(self.spec, item, raw_text(reply), reply.finish_reason, n_in, n_out, opened=False)

    def _run(self, prepared: list[tuple[dict, Any]], done: OnDone) -> None:
        self.client.map(self._one, prepared, on_done=done)

    @property
    def stats(self) -> dict[str, int]:
        return {k: v for k, v in self.client.usage.counts().items() if k in ("requests", "retries")}

    def info(self) -> dict:
        return {
            "backend": self.name,
            "versions": versions("thinksafe", "requests"),
            "device": "remote",
            "endpoint": self.client.url,
            "endpoint_model": self.client.model,
            "revision": self.spec.get("revision"),
            "concurrency": self.client.concurrency,
            **self.stats,
        }
