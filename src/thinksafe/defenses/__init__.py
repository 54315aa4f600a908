"""Inference-time defenses: a registry entry (`defenses:` in the config) applied to a model, which then
re-enters generate, judge and aggregate as the model `<model>@<defense>` (docs/defenses.md).

One module per kind: `system_prompt` (a safety system turn), `thought_prefix` (the thought starts with a
safety check), `self_check` (a second pass reviews the draft and may replace it with a refusal). The
resolved defense (kind, text, refusal, source) is part of the defended model's spec, so a changed text
changes that model's generate params and fingerprint and nothing else. Pure Python: the config loads it.
"""

from __future__ import annotations

from collections.abc import Mapping

from thinksafe.defenses import self_check, system_prompt, thought_prefix
from thinksafe.errors import ThinksafeError


class DefenseError(ThinksafeError):
    """A defense entry, or its pairing with a model, is wrong at `key` (the config names file and line)."""

    def __init__(self, key: tuple, message: str):
        super().__init__(f"config key {'.'.join(key)}: {message}")
        self.key, self.message = key, message


KINDS = {"system_prompt": system_prompt, "thought_prefix": thought_prefix, "self_check": self_check}


def resolve(config: Mapping, defense: str) -> dict:
    """The registry entry with its kind's published defaults filled in: what the defended spec carries."""
    entries = config.get("defenses") or {}
    if defense not in entries:
        known = ", ".join(sorted(entries)) or "none"
        raise DefenseError(("defenses",), f"unknown defense '{defense}' (known: {known})")
    entry = dict(entries[defense])
    kind = KINDS[entry["kind"]]
    for key in entry:
        if key not in ("kind", "source", *kind.KEYS):
            raise DefenseError(("defenses", defense, key), f"not a key of a {entry['kind']} defense")
    out = {"name": defense, **kind.DEFAULTS, **entry}
    if "text" not in entry or "source" not in entry:  # the published text, or a text the user set
        out["source"] = entry.get("source") or (kind.SOURCE if "text" not in entry else "set in the config")
    return out


def defended_spec(spec: dict, name: str, defense: dict) -> dict:
    """The parent's spec as the model `name`: compared against the parent (its `base` for the paired
    statistics), with the resolved defense on it; refused where the kind cannot apply to the model."""
    parent = spec["name"]
    out = {**spec, "name": name, "base": parent, "defended_from": parent, "defense": dict(defense)}
    problem = KINDS[defense["kind"]].problem(out)
    if problem:
        raise DefenseError(("defenses", defense["name"]), f"{problem} (model '{name}')")
    return out


def defense_of(spec: Mapping) -> dict | None:
    return spec.get("defense")
