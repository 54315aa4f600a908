"""Contamination guard: no tuning image or prompt may appear in an evaluation item file in use.

Three kinds of overlap, each listed with both sides:
- `image_exact`: the same sha256;
- `image_perceptual`: dHash and pHash both within a few bits (re-encoded, resized, lightly edited);
- `prompt`: the same normalized prompt, or character 5-gram Jaccard similarity at or above a threshold.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thinksafe.dataset.filters import normalize_prompt
from thinksafe.dataset.imagehash import dhash, hamming_matrix, phash
from thinksafe.dataset.sharegpt import BadRecord, prompt_of, turns
from thinksafe.errors import located
from thinksafe.io import read_json, read_jsonl
from thinksafe.records import sha256_file

log = logging.getLogger("thinksafe")


@dataclass(frozen=True)
class Thresholds:
    dhash_bits: int = 24  # of 256 (imagehash.py: copies within 16, different cards at 16+ and 44+)
    phash_bits: int = 40
    prompt_jaccard: float = 0.7
    # Generic instructions recur across data sets with other images and are no contamination by
    # themselves (VLGuard train and test share 5,091 near-duplicate prompt pairs such as "What product is
    # being advertised in the image?"). Not compared: prompts shorter than `min_prompt_chars`, short
    # prompts that point at the image (the image carries the request; images are compared above), and
    # templates repeated `template_repeats` times or more within their own set.
    min_prompt_chars: int = 25
    image_prompt_words: int = 12
    template_repeats: int = 3


@dataclass
class Entry:
    where: str  # "train.json[12]" or "data/items/x.jsonl:4 (id)"
    prompt: str
    image: Path | None
    sha256: str | None = None
    dhash: np.ndarray | None = None
    phash: np.ndarray | None = None

    def hash_image(self) -> None:
        if self.image is None or not self.image.is_file():
            return
        self.sha256 = self.sha256 or sha256_file(self.image)
        try:
            self.dhash, self.phash = dhash(self.image), phash(self.image)
        except (OSError, ValueError):
            pass  # an undecodable image (or one over images.MAX_PIXELS) can still match by sha256


def tuning_entries(sft: Path) -> list[Entry]:
    path = sft / "train.json"
    records = read_json(path)
    if not isinstance(records, list):
        raise located(path, "expected a JSON list of records")
    out = []
    for n, rec in enumerate(records):
        try:
            human, _, images = turns(rec)
        except BadRecord as e:
            raise located(path, str(e), key=f"[{n}]") from None
        for image in images or [None]:
            out.append(Entry(f"{path}[{n}]", prompt_of(human), sft / image if image else None))
    return out


def item_entries(path: Path) -> list[Entry]:
    out = []
    for n, item in enumerate(read_jsonl(path, kind="item"), 1):
        image = Path(item["image"]) if item.get("image") else None
        if image is not None and not image.is_absolute() and not image.exists():
            image = path.parent.parent / "raw" / item.get("benchmark", "") / image
        out.append(
            Entry(
                f"{path}:{n} ({item.get('id')})", str(item.get("prompt", "")), image, item.get("image_sha256")
            )
        )
    return out


SHINGLE = 5  # characters: one changed word in a sentence keeps most 5-grams, unlike word trigrams


def _shingles(text: str) -> set[str]:
    norm = normalize_prompt(text)
    return {norm[i : i + SHINGLE] for i in range(max(len(norm) - SHINGLE + 1, 1))} if norm else set()


def _prefix(grams: set[str], df: Counter, threshold: float) -> list[str]:
    """Prefix filtering: sets with Jaccard >= t share a gram among each one's rarest |s| - ceil(t|s|) + 1."""
    ordered = sorted(grams, key=lambda g: (df[g], g))
    return ordered[: len(ordered) - math.ceil(threshold * len(ordered)) + 1]


# Words that point at the picture or at someone or something in it ("this person", "the dog s").
_IMAGE_WORDS = re.compile(
    r"\b(image|picture|photo|photograph|figure|depicted|shown|pictured|scene|visible)\b"
    r"|\b(this|these|the|that|those) (person|people|individuals?|man|men|woman|women|child|children|kid|"
    r"boy|girl|dog|cat|animal|object|item|product|place|building|sign|text|logo)\b"
)


def generic_prompts(entries: list[Entry], th: Thresholds) -> dict[str, str]:
    """Prompt → why it is not compared (short, image_referring, template)."""
    norms = {e.prompt: normalize_prompt(e.prompt) for e in entries}
    repeats = Counter(norms[e.prompt] for e in entries)
    out = {}
    for prompt, norm in norms.items():
        if len(norm) < th.min_prompt_chars:
            out[prompt] = "short"
        elif repeats[norm] >= th.template_repeats:
            out[prompt] = "template"
        elif _IMAGE_WORDS.search(norm) and len(norm.split()) <= th.image_prompt_words:
            out[prompt] = "image_referring"
    return out


def prompt_overlaps(train: list[Entry], evals: list[Entry], th: Thresholds) -> tuple[list[dict], dict]:
    """Exact and near-duplicate prompts; candidates come from rare shared 5-grams, then exact Jaccard."""
    threshold = th.prompt_jaccard
    skipped_train, skipped_eval = generic_prompts(train, th), generic_prompts(evals, th)
    evals = [e for e in evals if e.prompt not in skipped_eval]
    train = [t for t in train if t.prompt not in skipped_train]
    not_compared = {
        "tuning": dict(Counter(skipped_train.values())),
        "eval": dict(Counter(skipped_eval.values())),
    }
    eval_grams = [_shingles(e.prompt) for e in evals]
    train_grams = {t.prompt: _shingles(t.prompt) for t in train}
    df = Counter(g for grams in [*eval_grams, *train_grams.values()] for g in grams)
    index: dict[str, list[int]] = defaultdict(list)
    for i, grams in enumerate(eval_grams):
        for g in _prefix(grams, df, threshold):
            index[g].append(i)
    out, seen = [], set()
    for t in train:
        if t.where in seen:
            continue
        seen.add(t.where)
        grams = train_grams[t.prompt]
        for i in sorted({i for g in _prefix(grams, df, threshold) for i in index.get(g, ())}):
            exact = normalize_prompt(evals[i].prompt) == normalize_prompt(t.prompt)
            jaccard = 1.0 if exact else len(grams & eval_grams[i]) / len(grams | eval_grams[i])
            if jaccard >= threshold:
                out.append({"kind": "prompt", "tuning": t.where, "eval": evals[i].where,
                            "similarity": round(jaccard, 3), "prompt": t.prompt})  # fmt: skip
    return out, not_compared


def image_overlaps(train: list[Entry], evals: list[Entry], th: Thresholds) -> list[dict]:
    by_sha: dict[str, list[Entry]] = defaultdict(list)
    for e in evals:
        if e.sha256:
            by_sha[e.sha256].append(e)
    out = []
    for t in train:
        for e in by_sha.get(t.sha256 or "", []):
            out.append({"kind": "image_exact", "tuning": t.where, "eval": e.where, "sha256": t.sha256})
    ts = [t for t in train if t.dhash is not None]
    es = [e for e in evals if e.dhash is not None]
    if not ts or not es:
        return out
    d = hamming_matrix(np.stack([t.dhash for t in ts]), np.stack([e.dhash for e in es]))
    p = hamming_matrix(np.stack([t.phash for t in ts]), np.stack([e.phash for e in es]))
    for i, j in zip(*np.nonzero((d <= th.dhash_bits) & (p <= th.phash_bits)), strict=True):
        t, e = ts[i], es[j]
        if t.sha256 != e.sha256:  # exact copies are listed above
            out.append(
                {
                    "kind": "image_perceptual",
                    "tuning": t.where,
                    "eval": e.where,
                    "dhash_bits": int(d[i, j]),
                    "phash_bits": int(p[i, j]),
                }
            )
    return out


def check(sft: Path, item_files: list[Path], th: Thresholds | None = None) -> dict:
    """The guard's report; `overlaps` is empty when the set is clean."""
    th = th or Thresholds()
    train = tuning_entries(sft)
    evals = [e for f in item_files for e in item_entries(f)]
    for e in [*train, *evals]:
        e.hash_image()
    prompts, not_compared = prompt_overlaps(train, evals, th)
    overlaps = image_overlaps(train, evals, th) + prompts
    return {
        "dataset": str(sft),
        "item_files": [str(f) for f in item_files],
        "checked": {
            "tuning_records": len({t.where for t in train}),
            "tuning_images": sum(t.sha256 is not None for t in train),
            "eval_items": len(evals),
            "eval_images": sum(e.sha256 is not None for e in evals),
            "eval_images_missing": sum(e.image is not None and e.sha256 is None for e in evals),
        },
        "thresholds": th.__dict__,
        "prompts_not_compared": not_compared,
        "overlaps": overlaps,
        "counts": dict(Counter(o["kind"] for o in overlaps)),
    }
