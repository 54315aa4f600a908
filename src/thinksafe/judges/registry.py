"""Which judge implementation a judge spec names, and the fingerprint that identifies its verdicts."""

from __future__ import annotations

import hashlib
import json


def judge_fingerprint(spec: dict) -> str:
    """sha256 over what decides a verdict: the judge kind, its model and revision, and its prompts/rules.

    Snakemake carries it as a param, so a changed prompt reruns judge and aggregate and nothing else.
    """
    from thinksafe.judges import prompts  # noqa: F401  (prompt text is part of the fingerprint)

    decisive = {k: spec.get(k) for k in ("kind", "model", "revision")}
    decisive["prompts"] = prompts.fingerprint(spec.get("kind", "rule"))
    return hashlib.sha256(json.dumps(decisive, sort_keys=True).encode()).hexdigest()
