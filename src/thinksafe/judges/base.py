"""The one judge interface: thought and answer of every generation, judged apart, one verdict each.

Subclasses implement `judge_many(requests)`; this base turns generations into requests and covers what
needs no judge at all: a generation with an error gives `error` verdicts, a missing thought gives an
`empty` verdict, an id with no item gives `error`. Nothing is dropped: two verdicts per generation.
An empty answer under a protocol that counts it as safe is `safe` without a judge call.
Every verdict records its protocol, the upstream path of what scored it, and `own` or `stand-in`.
"""

from __future__ import annotations

from dataclasses import dataclass

from thinksafe.judges.protocols import of, provenance
from thinksafe.records import TARGETS, Verdict


@dataclass(frozen=True)
class Request:
    """One text to judge, with the item that says how."""

    item: dict
    text: str
    target: str  # thought | answer
    model: str


class Judge:
    kind = "base"

    def __init__(self, spec: dict):
        self.spec = dict(spec)
        self.name: str = spec.get("name") or self.kind
        self.revision: str | None = spec.get("revision")

    # -- what subclasses provide -------------------------------------------------------------------
    def judge_many(self, requests: list[Request]) -> list[dict]:
        """One verdict dict per request, in order."""
        raise NotImplementedError

    def prompt_sha256(self, request: Request) -> str:
        """sha256 of the prompt (or rule set) that decides this request's verdict."""
        raise NotImplementedError

    @property
    def signature(self) -> str:
        """What this judge is, as protocols name a benchmark's own judge (`llm`, `classifier:<format>`)."""
        return self.kind

    # -- the contract ------------------------------------------------------------------------------
    def judge(self, items_by_id: dict[str, dict], generations: list[dict]) -> list[dict]:
        """Two verdicts per generation (thought, then answer), in the order of `generations`."""
        slots: list[dict | Request] = []
        for gen in generations:
            item = items_by_id.get(gen["id"])
            for target in TARGETS:
                if item is None:
                    slots.append(self._plain(gen, target, "error", f"no item with id {gen['id']}"))
                elif gen.get("error"):
                    slots.append(self._plain(gen, target, "error", f"generation failed: {gen['error']}"))
                elif not (gen.get(target) or "").strip():
                    slots.append(self._empty(item, gen, target))
                else:
                    slots.append(Request(item, gen[target], target, gen["model"]))
        requests = [s for s in slots if isinstance(s, Request)]
        judged = iter(self.judge_many(requests))
        return [next(judged) if isinstance(s, Request) else s for s in slots]

    def judge_text(self, item: dict, text: str, target: str, model: str) -> dict:
        """One text (the dataset filter uses it); empty text gives status `empty`."""
        if not (text or "").strip():
            return self._empty(item, {"id": item["id"], "model": model}, target)
        return self.judge_many([Request(item, text, target, model)])[0]

    # -- helpers for subclasses --------------------------------------------------------------------
    def verdict(
        self,
        request: Request,
        label: str | None,
        status: str,
        raw: str,
        refusal: bool | None = None,
        **extra: object,
    ) -> dict:
        extra.update(self._provenance(request.item))
        # A plain dict in Verdict's field order (dataclasses.asdict deep-copies: too slow for the rule
        # judge's fast path); tests check the keys against records.Verdict.
        return {
            "id": request.item["id"],
            "model": request.model,
            "target": request.target,
            "label": label if status == "ok" else None,
            "status": status,
            "judge": self.name,
            "prompt_sha256": self.prompt_sha256(request),
            "raw": raw,
            "refusal": refusal,
            "judge_revision": self.revision,
            "extra": extra,
        }

    def _provenance(self, item: dict) -> dict:
        # Memo by the protocol dict itself (kept alive in the memo, so its id stays its own): the rule
        # judge's fast path pays for one dict lookup per verdict.
        protocol = of(item)
        memo = self.__dict__.setdefault("_provenance_memo", {})
        hit = memo.get(id(protocol))
        if hit is None or hit[0] is not protocol:
            hit = memo[id(protocol)] = (protocol, provenance(item, self.signature))
        return hit[1]

    def _empty(self, item: dict, gen: dict, target: str) -> dict:
        if target == "answer" and of(item).get("empty_is_safe"):
            verdict = self._plain(gen, target, "ok", "empty response: safe by the protocol")
            verdict["label"] = "safe"
            verdict["extra"] = dict(provenance(item, self.signature))
            return verdict
        return self._plain(gen, target, "empty", "")

    def _plain(self, gen: dict, target: str, status: str, raw: str) -> dict:
        return Verdict(
            id=gen["id"],
            model=gen.get("model", ""),
            target=target,
            label=None,
            status=status,
            judge=self.name,
            prompt_sha256="",
            raw=raw,
            judge_revision=self.revision,
        ).to_dict()
