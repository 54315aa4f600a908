"""Which judge implementation a judge spec names, and the fingerprint that identifies its verdicts."""

from __future__ import annotations

import hashlib
import importlib
import json

from thinksafe.errors import ThinksafeError

# kind -> (module, class); modules load lazily so the rule judge never imports torch or requests.
KINDS = {
    "rule": ("thinksafe.judges.rule", "RuleJudge"),
    "comply": ("thinksafe.judges.comply", "ComplyJudge"),
    "llm": ("thinksafe.judges.llm", "LLMJudge"),
    "classifier": ("thinksafe.judges.classifier", "ClassifierJudge"),
}


def judge_fingerprint(spec: dict) -> str:
    """sha256 over what decides a verdict: the judge kind, its model and revision, its prompts/rules, and
    for an API judge the endpoint and decoding (another server is another judge).

    Snakemake carries it as a param, so a changed prompt reruns judge and aggregate and nothing else.
    """
    from thinksafe.judges import prompts

    decisive = {k: spec.get(k) for k in ("kind", "model", "revision")}
    if spec.get("kind") == "llm":
        decisive["base_url"] = str(spec.get("base_url") or "").rstrip("/")
        decisive["decoding"] = [spec.get("temperature"), spec.get("max_tokens")]
    decisive["prompts"] = prompts.fingerprint(spec.get("kind", "rule"))
    if spec.get("kind") == "comply":  # its patterns and head file live beside it, not in prompts.py
        from thinksafe.judges.comply import fingerprint

        decisive["prompts"] = fingerprint(spec.get("head"))
    return hashlib.sha256(json.dumps(decisive, sort_keys=True).encode()).hexdigest()


def get_judge(spec: dict):
    """The Judge for a judge spec (a config.yaml `judges:` entry plus `name`)."""
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ThinksafeError(
            f"judge spec {spec.get('name', '?')}: key kind: unknown judge kind '{kind}' "
            f"(known: {', '.join(KINDS)})"
        )
    module, cls = KINDS[kind]
    return getattr(importlib.import_module(module), cls)(spec)
