"""POPE (Li et al., EMNLP 2023): yes/no object-presence questions on COCO val2014 images, a general-
capability check that safety tuning keeps the model useful. Three question sets (random, popular,
adversarial; 3,000 each); `sample: N` keeps N questions per set, drawn with the run's seed.

Protocol `pope`: accuracy of the yes/no answer against `reference.answer` (family `capability`).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from thinksafe.benchmarks import prompts
from thinksafe.benchmarks.base import (
    ImageArchive,
    RemoteFile,
    Skips,
    Source,
    check_choice,
    checked_image,
    need,
    revision,
    skip_or_raise,
    source_ref,
)
from thinksafe.benchmarks.fetch import get_files, get_images
from thinksafe.benchmarks.protocol import Case, Protocol, stamp
from thinksafe.errors import ThinksafeError, located
from thinksafe.records import Item

SOURCE = Source("github", "AoiDragon/POPE", "7ef3026faa9a89ed11fd508385fad652fdc6349f", "pope")
LICENSE = "MIT (questions); COCO images CC BY 4.0 / Flickr terms"
PROTOCOL = "pope"
SETS = ("random", "popular", "adversarial")
# Upstream scores the yes/no answer by string match; no judge call.
JUDGING = Protocol(
    name=PROTOCOL,
    title="POPE",
    upstream="AoiDragon/POPE@7ef3026faa9a89ed11fd508385fad652fdc6349f README.md (yes/no accuracy)",
    own="string-match",
    cases=(Case("answer"),),
)
FILES = {s: RemoteFile(f"output/coco/coco_pope_{s}.json", None) for s in SETS}
IMAGES = ImageArchive(
    archive="val2014.zip",
    folder="val2014",
    strip="val2014",
    url="http://images.cocodataset.org/zips/val2014.zip",
    how="put COCO val2014.zip, or its unpacked val2014/ folder, in the mirror's pope/ folder",
)


def sets(spec: dict) -> list[str]:
    chosen = spec.get("subsets") or list(SETS)
    for i, name in enumerate(chosen):
        check_choice(name, SETS, f"benchmarks.{spec['name']}.subsets[{i}]")
    return chosen


def questions(path: Path) -> list[tuple[int, dict]]:
    """POPE files are JSON lines."""
    out = []
    with path.open(encoding="utf-8") as f:
        for line, text in enumerate(f, 1):
            if text.strip():
                try:
                    out.append((line, json.loads(text)))
                except json.JSONDecodeError as e:
                    raise located(path, f"malformed JSON ({e.msg})", line=line) from None
    return out


def sampled(spec: dict, raw: Path, seed: int, name: str) -> list[tuple[int, dict]]:
    rows = questions(raw / FILES[name].path)
    n = spec.get("sample")
    if n and n < len(rows):
        keep = set(random.Random(f"{seed}:{name}").sample(range(len(rows)), n))
        rows = [r for i, r in enumerate(rows) if i in keep]
    return rows


def download(spec: dict, out: Path, mirror: Path | None) -> None:
    chosen = sets(spec)
    cache = out.parent / ".downloads" / spec["name"]
    get_files(SOURCE, [FILES[s] for s in chosen], out, mirror, cache, revision(spec, SOURCE))
    # The sample is drawn again in normalize with the run's seed, so every image of the set is kept.
    wanted = {
        need(r, "image", f"{FILES[s].path}:{line}")
        for s in chosen
        for line, r in questions(out / FILES[s].path)
    }
    get_images(SOURCE, IMAGES, out, mirror, cache, wanted)


def normalize(spec: dict, raw_dir: Path, seed: int, skips: Skips | None = None) -> list[Item]:
    raw_dir = Path(raw_dir)
    rev = revision(spec, SOURCE)
    items: list[Item] = []
    for name in sets(spec):
        path = raw_dir / FILES[name].path
        for line, rec in sampled(spec, raw_dir, seed, name):
            where = f"{path}:{line}"
            try:
                answer = need(rec, "label", where)
                if answer not in ("yes", "no"):
                    raise ThinksafeError(f"{where}: label '{answer}' is not yes/no")
                image, sha = checked_image(raw_dir / IMAGES.folder / need(rec, "image", where), where)
                items.append(
                    Item(
                        id=f"{spec['name']}:{name}:{need(rec, 'question_id', where, int)}",
                        benchmark=spec["name"],
                        family="capability",
                        category=name,
                        subset=name,
                        prompt=prompts.POPE.format(question=need(rec, "text", where)),
                        image=image,
                        image_sha256=sha,
                        reference={"protocol": PROTOCOL, "answer": answer},
                        source=source_ref(SOURCE, FILES[name].path, rev),
                    )
                )
            except ThinksafeError as e:
                skip_or_raise(skips, e)
    return stamp(items, JUDGING)
