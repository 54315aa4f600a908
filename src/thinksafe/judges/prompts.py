"""Judge prompts, verbatim. (Filled by the judges work; `fingerprint` hashes every prompt of a kind.)"""

from __future__ import annotations

import hashlib

PROMPTS: dict[str, dict[str, str]] = {"rule": {}, "llm": {}, "classifier": {}}


def fingerprint(kind: str) -> str:
    h = hashlib.sha256()
    for name, text in sorted(PROMPTS.get(kind, {}).items()):
        h.update(name.encode() + b"\0" + text.encode() + b"\0")
    return h.hexdigest()
