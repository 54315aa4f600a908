"""The three request categories of the TiS policy, and how to read the one a thought assigns."""

from __future__ import annotations

import re

ALLOWED, DISALLOWED, SAFE_COMPLETION = "allowed", "disallowed", "safe_completion"
CATEGORIES = (ALLOWED, DISALLOWED, SAFE_COMPLETION)

# "This falls under **Disallowed Requests**", "a Safe-completion request", "Allowed Request".
_PATTERN = re.compile(
    r"\b(dis)?allowed\s+requests?\b|\bsafe[\s-]*completion(?:\s+requests?)?\b", re.IGNORECASE
)


def category_of_thought(thought: str | None) -> str | None:
    """The category a thought concludes with (its last mention), or None when it names none."""
    if not thought:
        return None
    found = None
    for m in _PATTERN.finditer(thought.replace("*", "")):
        text = m.group(0).lower()
        found = SAFE_COMPLETION if text.startswith("safe") else DISALLOWED if m.group(1) else ALLOWED
    return found
