"""Every text that decides a verdict, by judge kind; `fingerprint(kind)` hashes them all.

The LLM judge's prompts are kept verbatim beside their benchmarks (thinksafe.benchmarks.*_prompts), the
classifier's in
prompts_classifier.py, the rule judge's patterns in rule_patterns.py; this module only gathers them, so a
changed prompt changes the judge fingerprint (a Snakemake param) and reruns judge and aggregate only.
"""

from __future__ import annotations

import hashlib

from thinksafe.benchmarks.protocol import prompts
from thinksafe.judges import prompts_classifier, rule_patterns

PROMPTS: dict[str, dict[str, str]] = {
    "rule": dict(rule_patterns.TEXT),
    "llm": {key: p.text for key, p in prompts().items()},
    "classifier": dict(prompts_classifier.TEXTS),
}


def fingerprint(kind: str) -> str:
    h = hashlib.sha256()
    for name, text in sorted(PROMPTS.get(kind, {}).items()):
        h.update(name.encode() + b"\0" + text.encode() + b"\0")
    return h.hexdigest()
