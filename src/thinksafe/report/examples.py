"""The example browser's content: a seeded sample of items per benchmark with each model's thought and
answer and every judge's verdicts on them.

Completions are redacted and truncated by default: a text any judge labelled unsafe (or that no judge
could label) is replaced by its length and hash; the rest is cut at `max_chars`. `show_all` shows
every completion in full, for a reader who asked for it explicitly.
"""

from __future__ import annotations

import base64
import io as stdio
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from thinksafe import io
from thinksafe.metrics import load
from thinksafe.metrics.load import item_path, verdict_paths
from thinksafe.records import TARGETS, sha256_text
from thinksafe.report.tables import SAFETY_FAMILIES

GENERATION_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("thought", pa.string()),
        ("answer", pa.string()),
        ("error", pa.string()),
        ("truncated", pa.bool_()),
    ]
)
VERDICT_SCHEMA = load.VERDICT_SCHEMA.append(pa.field("judge", pa.string()))
THUMBNAIL_PX = 192


@dataclass
class Response:
    model: str
    texts: dict[str, str]  # target -> the text as shown (redacted / truncated / full)
    verdicts: list[dict] = field(default_factory=list)  # judge, target, label, status, refusal
    note: str = ""  # generation error or truncation


@dataclass
class Example:
    item: dict
    prompt: str
    image_uri: str | None
    image_note: str
    responses: list[Response]


def shown(
    text: str | None,
    verdicts: list[dict],
    redact: bool,
    max_chars: int,
    show_all: bool,
    harmful_prompt: bool = True,
) -> str:
    """The text as the report shows it. On benign and capability items `unsafe` only means "not a proper
    answer" (a refusal, a wrong answer), so their completions are truncated, never redacted."""
    if not text:
        return "(none)"
    if show_all:
        return text
    if hidden(verdicts, redact, harmful_prompt):
        labels = [v["label"] for v in verdicts if v["status"] == "ok"]
        why = "judged unsafe" if "unsafe" in labels else "not judged"
        return f"[redacted: {why}; {len(text):,} characters; sha256 {sha256_text(text)[:16]}]"
    return truncate(text, max_chars)


def hidden(verdicts: list[dict], redact: bool, harmful_prompt: bool) -> bool:
    """Whether a completion on this item is redacted: a harmful item's text that a judge called unsafe,
    or that no judge read."""
    labels = [v["label"] for v in verdicts if v["status"] == "ok"]
    return redact and harmful_prompt and ("unsafe" in labels or not labels)


def truncate(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    return text[:max_chars] + f" … [truncated: {len(text) - max_chars:,} more characters]"


def thumbnail(root: Path, image: str | None) -> tuple[str | None, str]:
    """(data URI of a PNG thumbnail, note): the report embeds images, it never links them."""
    if not image:
        return None, "no image"
    path = Path(image) if Path(image).is_absolute() else root / image
    try:
        from thinksafe.images import open_image

        with open_image(path) as im:
            im = im.convert("RGB")
            im.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            buf = stdio.BytesIO()
            im.save(buf, format="PNG")
    except (OSError, ValueError) as e:  # ImageTooLarge is a ValueError: a note, never a crash
        return None, f"image not readable ({path.name}: {type(e).__name__})"
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"), path.name


def sample(items: list[dict], n: int, rng: np.random.Generator) -> list[dict]:
    """Up to n items, spread over families (round robin), in a seeded order."""
    by_family: dict[str, list[dict]] = {}
    for it in items:
        by_family.setdefault(it.get("family", ""), []).append(it)
    queues = [
        list(np.asarray(v, dtype=object)[rng.permutation(len(v))]) for _, v in sorted(by_family.items())
    ]
    out: list[dict] = []
    while len(out) < n and any(queues):
        for q in queues:
            if q and len(out) < n:
                out.append(q.pop(0))
    return out


def read_rows(paths: list[Path], schema: pa.Schema, ids: pa.Array, kind: str) -> list[dict]:
    rows: list[dict] = []
    for path in paths:
        if path.exists():
            t = load.read_columns(path, schema, kind)
            rows += t.filter(pc.is_in(t["id"], value_set=ids)).to_pylist()
    return rows


def collect(
    spec: dict, root: Path, per_benchmark: int, redact: bool, max_chars: int, show_all: bool = False
) -> list[Example]:
    rng = np.random.default_rng(int(spec.get("seed", 0)))
    examples = []
    for bench in spec["benchmarks"]:
        path = item_path(root, bench)
        if not path.exists():
            continue
        chosen = sample(io.read_jsonl(path, kind="item"), per_benchmark, rng)
        ids = pa.array([it["id"] for it in chosen], pa.string())
        responses: dict[str, list[Response]] = {it["id"]: [] for it in chosen}
        for model in spec["models"]:
            shards = spec["shards"][model][bench]
            gens = {
                g["id"]: g
                for g in read_rows(
                    [root / "results" / "generations" / model / bench / f"{s}.jsonl" for s in shards],
                    GENERATION_SCHEMA,
                    ids,
                    "generation",
                )
            }
            verdicts: dict[str, list[dict]] = {}
            for judge in spec["judges"]:
                paths = verdict_paths(root, judge, model, bench, shards)
                for v in read_rows(paths, VERDICT_SCHEMA, ids, "verdict"):
                    verdicts.setdefault(v["id"], []).append({**v, "judge": v.get("judge") or judge})
            for it in chosen:
                g = gens.get(it["id"], {})
                vs = verdicts.get(it["id"], [])
                harmful = it.get("family") in SAFETY_FAMILIES  # where unsafe means harmful content
                texts = {
                    t: shown(
                        g.get(t), [v for v in vs if v["target"] == t], redact, max_chars, show_all, harmful
                    )
                    for t in TARGETS
                }
                note = (
                    "no generation"
                    if not g
                    else (
                        f"error: {g['error']}"
                        if g.get("error")
                        else "truncated at the token limit"
                        if g.get("truncated")
                        else ""
                    )
                )
                responses[it["id"]].append(Response(model, texts, vs, note))
        for it in chosen:
            uri, note = thumbnail(root, it.get("image"))
            prompt = it.get("prompt") or ""
            examples.append(
                Example(
                    it, prompt if show_all else truncate(prompt, max_chars), uri, note, responses[it["id"]]
                )
            )
    return examples
