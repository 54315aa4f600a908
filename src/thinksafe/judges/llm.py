"""The LLM judge: any OpenAI-compatible chat endpoint (GPT-4o by default), each benchmark's own protocol.

Every call goes through the content-addressed cache first (keyed by endpoint, model, decoding and prompt);
only misses reach the endpoint, through the one API client (models.api_client: bounded concurrency, a rate
limit, retries, the key scrubbed from every reply). A call that still fails gives an `error` verdict
(not cached, so the next run retries it); a reply that cannot be parsed gives `unparseable` (cached: the
judge did answer). `refusal` comes from the protocol where it says (a refusal class or score),
else from the rule judge's refusal patterns (extra.refusal_by says which).
"""

from __future__ import annotations

import base64
import logging
import mimetypes
from pathlib import Path

from thinksafe.benchmarks.protocol import prompts
from thinksafe.judges import llm_protocols as lp
from thinksafe.judges import rule
from thinksafe.judges.base import Judge, Request
from thinksafe.judges.cache import DEFAULT_ROOT, JudgeCache, key
from thinksafe.judges.ledger import Ledger
from thinksafe.judges.registry import judge_fingerprint
from thinksafe.models.api_client import ChatClient, Reply
from thinksafe.progress import Progress
from thinksafe.records import sha256_file, sha256_text

log = logging.getLogger("thinksafe")
DEFAULT_ENDPOINT = {"base_url": "https://api.openai.com/v1", "model": "gpt-4o-2024-08-06"}
TEMPLATE_SHA = {name: sha256_text(p.text) for name, p in prompts().items()}


def _messages(call: lp.Call) -> list[dict]:
    if not call.image:
        return [{"role": "user", "content": call.prompt}]
    mime = mimetypes.guess_type(call.image)[0] or "image/jpeg"
    data = base64.b64encode(Path(call.image).read_bytes()).decode("ascii")
    return [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": call.prompt},
                {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}},
            ],
        }
    ]


class LLMJudge(Judge):
    kind = "llm"

    def __init__(self, spec: dict):
        super().__init__(spec)
        self.revision = self.revision or spec.get("model")
        price = spec.get("price_per_1k_tokens")  # {input: USD, output: USD} per 1k tokens
        per_1m = (1000 * price["input"], 1000 * price["output"]) if price else None
        conf = {**DEFAULT_ENDPOINT, **spec}
        self.ledger = Ledger(model=conf["model"], price_per_1m=per_1m)
        # Judge replies must say something: an empty one is retried like a malformed one.
        self.client = ChatClient(conf, f"config key judges.{self.name}", retry_empty=True, usage=self.ledger)
        self.decoding = {
            "temperature": conf.get("temperature", 0.0),
            "max_tokens": conf.get("max_tokens", 512),
        }
        self.cache = JudgeCache(spec.get("cache_dir") or DEFAULT_ROOT)
        self.fingerprint = judge_fingerprint(spec)
        self._sha: dict[int, str] = {}

    def prompt_sha256(self, request: Request) -> str:
        return self._sha.get(id(request), "")

    def _key(self, call: lp.Call) -> str:
        image_sha = sha256_file(call.image) if call.image else None
        # Everything that changes the answer: the endpoint, the model, the decoding, the prompt and image.
        request = {"base_url": self.client.base_url, **self.payload([]), "prompt": call.prompt}
        return key(self.fingerprint, {**request, "image_sha256": image_sha})

    def payload(self, messages: list[dict]) -> dict:
        return {"model": self.client.model, "messages": messages, **self.decoding}

    def judge_many(self, requests: list[Request]) -> list[dict]:
        plans: list[list[lp.Call] | None | str] = []
        for r in requests:
            try:
                calls = lp.calls_for(r.item, r.text)
            except OSError as e:
                calls = f"cannot read the image for the judge: {e.strerror} ({r.item.get('image')})"
            if isinstance(calls, list):
                missing = [c.image for c in calls if c.image and not Path(c.image).is_file()]
                if missing:
                    calls = f"image not found for the judge: {missing[0]}"
                else:
                    names = "".join(TEMPLATE_SHA[c.name] for c in calls)
                    self._sha[id(r)] = sha256_text(names) if len(calls) > 1 else TEMPLATE_SHA[calls[0].name]
            plans.append(calls)

        # Cache lookups; identical calls (same key) go out once.
        keys: dict[int, list[str]] = {}
        todo: dict[str, lp.Call] = {}
        hits: dict[str, Reply] = {}
        for i, calls in enumerate(plans):
            if not isinstance(calls, list):
                continue
            keys[i] = [self._key(c) for c in calls]
            for k, c in zip(keys[i], calls, strict=True):
                if k in hits or k in todo:
                    continue
                cached = self.cache.get(k)
                if cached is not None:
                    hits[k] = Reply(self.client.scrub(cached["text"]))  # an entry from before scrubbing
                    self.ledger.add(cache_hits=1)
                else:
                    todo[k] = c
        log.info(
            "judge %s: %d calls, %d from the cache, %d to request",
            self.name,
            sum(len(v) for v in keys.values()),
            len(hits),
            len(todo),
        )
        progress = Progress(f"judge {self.name} requests", len(todo), every_s=10.0)
        todo_keys = list(todo)
        replies = self.client.map(
            lambda k: self.client.complete(self.payload(_messages(todo[k]))),
            todo_keys,
            on_done=lambda _: progress.update(),
        )
        for k, reply in zip(todo_keys, replies, strict=True):
            hits[k] = reply
            if reply.error is None:
                self.cache.put(k, {"text": reply.content, "model": self.client.model})

        out = []
        for i, (r, calls) in enumerate(zip(requests, plans, strict=True)):
            out.append(self._verdict(r, calls, [hits[k] for k in keys.get(i, [])]))
        return out

    def _verdict(self, r: Request, calls, replies: list[Reply]) -> dict:
        if isinstance(calls, str):
            return self.verdict(r, None, "error", calls)
        sig = rule.signals(r.text, r.target)
        if calls is None:  # the protocol scores by string match
            label, reason = rule.decide(r.item, sig, r.text)
            return self.verdict(r, label, "ok", reason, refusal=sig["refusal"], scored_by="string match")
        errors = [rep.error for rep in replies if rep.error is not None]
        if errors:
            return self.verdict(r, None, "error", errors[0])
        texts = [rep.content or "" for rep in replies]
        raw = texts[0] if len(texts) == 1 else "\n\n---\n\n".join(texts)
        label, refusal, extra = lp.interpret(r.item, calls, texts)
        refusal_by = "protocol"
        if refusal is None:
            refusal, refusal_by = sig["refusal"], "rule patterns"
        status = "ok" if label else "unparseable"
        return self.verdict(r, label, status, raw, refusal=refusal, refusal_by=refusal_by, **extra)
