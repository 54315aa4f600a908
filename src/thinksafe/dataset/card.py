"""The dataset card: what the set is, who wrote its targets, and the counts at every stage."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from thinksafe.dataset.output import BuiltSet


def _table(rows: list[tuple[str, object]], head: tuple[str, str]) -> list[str]:
    lines = [f"| {head[0]} | {head[1]} |", "|---|---:|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    return lines


def render_card(built: BuiltSet) -> str:
    meta = built.meta
    lines = [f"# Tuning set `{built.name}`", "", f"- kind: `{built.kind}`"]
    for key in ("sources", "release", "teacher", "captioner", "judge", "think", "policy_sha256", "note"):
        if meta.get(key) is not None:
            value = ", ".join(meta[key]) if isinstance(meta[key], list) else meta[key]
            lines.append(f"- {key}: {value}")
    lines += ["", f"**{len(built.records)} records kept, {len(built.dropped)} dropped.**", ""]
    lines += ["## Counts at every stage", ""]
    lines += _table([(s, n) for s, n in built.stages], ("stage", "records"))
    if built.dropped:
        lines += ["", "## Dropped, by reason", ""]
        by = Counter((d["stage"], d["reason"]) for d in built.dropped)
        lines += _table(
            [(f"{stage}: {reason}", n) for (stage, reason), n in by.most_common()], ("reason", "n")
        )
        lines += ["", "Every dropped record, with its lineage and detail, is in `dropped.jsonl`."]
    categories = Counter(r["lineage"].get("category") for r in built.records if r["lineage"].get("category"))
    if categories:
        lines += ["", "## Request categories (kept records)", ""]
        lines += _table(list(categories.most_common()), ("category", "n"))
    warnings = meta.get("warnings")
    if warnings:
        lines += ["", "## Kept with warnings", ""]
        lines += _table(list(warnings.items()), ("warning", "n"))
    lines += [
        "",
        "## Format",
        "",
        "LLaMA-Factory sharegpt (`dataset_info.json` beside this card): `conversations` (human/gpt, one",
        "`<image>` per image), `images` (paths relative to this folder), and `lineage` per record",
        "(source item, teacher, verdicts). Targets: `<think>\\n…\\n</think>\\n` followed by the answer.",
        "",
    ]
    return "\n".join(lines)
