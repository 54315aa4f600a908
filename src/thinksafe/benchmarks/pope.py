"""POPE (Li et al., EMNLP 2023): yes/no object-presence questions on COCO val2014 images, a general-
capability check that safety tuning keeps the model useful. Three question sets (random, popular,
adversarial; 3,000 each); `sample: N` keeps N questions per set, drawn with the run's seed.

Protocol `pope`: accuracy of the yes/no answer against `reference.answer` (family `capability`).
"""

from __future__ import annotations

import random
from pathlib import Path

from thinksafe.benchmarks import prompts
from thinksafe.benchmarks.base import (
    ImageArchive,
    RemoteFile,
    Skips,
    Source,
    check_choice,
    data_image,
    need,
    revision,
    skip_or_raise,
    source_ref,
)
from thinksafe.benchmarks.fetch import get_files, get_images
from thinksafe.benchmarks.protocol import Case, Protocol, stamp
from thinksafe.errors import ThinksafeError
from thinksafe.io import numbered_jsonl
from thinksafe.records import Item

# The question files changed after 7ef3026 (new questions, spelling fixes in edebdda); pinned to the head
# 08d957b, whose files are the ones in ../shared/benchmarks/pope, by revision and by sha256.
SOURCE = Source("github", "AoiDragon/POPE", "08d957b917e5a378a2f99d35b6293c536a66298b", "pope")
LICENSE = "MIT (questions); COCO images CC BY 4.0 / Flickr terms"
PROTOCOL = "pope"
SETS = ("random", "popular", "adversarial")
SHA256 = {
    "random": "ac25245170b975a5bdf9080b23fd431dfe6be458bc038259c1f4f09a6bef7994",
    "popular": "72c1a8ad45d0c13514f5f22598261df41d3b533854d29682e924db50ed8aa753",
    "adversarial": "420b3407db1fa9f1187a805dca41cb7b97fd91504e6c2179706188c107fb8ef8",
}
FILES = {s: RemoteFile(f"output/coco/coco_pope_{s}.json", SHA256[s]) for s in SETS}
# Upstream scores the yes/no answer by string match; no judge call.
JUDGING = Protocol(
    name=PROTOCOL,
    title="POPE",
    upstream="AoiDragon/POPE@08d957b917e5a378a2f99d35b6293c536a66298b README.md (yes/no accuracy)",
    own="string-match",
    cases=(Case("answer"),),
)
IMAGES = ImageArchive(
    archive="val2014.zip",
    folder="val2014",
    strip="val2014",
    url="http://images.cocodataset.org/zips/val2014.zip",
    how="put COCO val2014.zip, or its unpacked val2014/ folder, in the mirror's pope/ folder",
)


# The config keys this adapter reads besides adapter, name and revision; any other is refused.
OPTIONS = ("subsets", "sample")


def sets(spec: dict) -> list[str]:
    chosen = spec.get("subsets") or list(SETS)
    for i, name in enumerate(chosen):
        check_choice(name, SETS, f"benchmarks.{spec['name']}.subsets[{i}]")
    return chosen


def questions(path: Path) -> list[tuple[int, dict]]:
    """POPE files are JSON lines."""
    return numbered_jsonl(path)


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
                image, sha = data_image(raw_dir / IMAGES.folder, need(rec, "image", where), where)
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
