"""Every text that decides a verdict, by judge kind; `fingerprint(kind)` hashes them all.

The LLM judge's benchmark prompts are kept verbatim in prompts_llm.py, the classifier's in
prompts_classifier.py, the rule judge's patterns in rule_patterns.py; this module only gathers them, so a
changed prompt changes the judge fingerprint (a Snakemake param) and reruns judge and aggregate only.
"""

from __future__ import annotations

import hashlib

from thinksafe.judges import prompts_classifier, prompts_llm, rule_patterns

PROMPTS: dict[str, dict[str, str]] = {
    "rule": dict(rule_patterns.TEXT),
    "llm": dict(prompts_llm.TEXTS),
    "classifier": dict(prompts_classifier.TEXTS),
}


def fingerprint(kind: str) -> str:
    h = hashlib.sha256()
    for name, text in sorted(PROMPTS.get(kind, {}).items()):
        h.update(name.encode() + b"\0" + text.encode() + b"\0")
    return h.hexdigest()
