"""MIS, Multi-Image Safety (Ding et al., 2025). `train` (HF Tuwhy/MIS_Train: mis_train.json +
images.zip) is a tuning baseline with safety chains of thought; `test` (HF Tuwhy/MIS_Test) has the
`easy` (1,675), `hard` (510) and `real` (100) sets, two images per question. Items carry the first
image in `image` and both in `reference.images`.

Protocol `mis`: a GPT-4o judge labels the response safe/unsafe (MIS evaluation/gpt_eval.py).
"""

from __future__ import annotations

from pathlib import Path

from thinksafe.benchmarks import jailbreakbench
from thinksafe.benchmarks.base import (
    ImageArchive,
    RemoteFile,
    Skips,
    Source,
    check_choice,
    checked_image,
    data_image,
    need,
    read_json,
    revision,
    skip_or_raise,
    source_ref,
)
from thinksafe.benchmarks.conversations import read_turns
from thinksafe.benchmarks.fetch import get_files, get_images, get_listed
from thinksafe.errors import ThinksafeError
from thinksafe.io import inside
from thinksafe.records import Item

# Not yet pinned to commits; set `revision:` to pin.
SOURCE = Source("hf", "Tuwhy/MIS_Train", "main", "mis")
TEST_SOURCE = Source("hf", "Tuwhy/MIS_Test", "main", "mis")
LICENSE = "Apache-2.0"
PROTOCOL = "mis"
JUDGING = jailbreakbench.dataset_filter(PROTOCOL, "MIS (tuning source)", "harm")
TRAIN = RemoteFile("mis_train.json", None)
TEST = {s: RemoteFile(f"mis_{s}.json", None) for s in ("easy", "hard", "real")}
FILES = [TRAIN, *TEST.values()]
IMAGES = ImageArchive(
    archive="images.zip",
    folder="images",
    strip="images",
    url=None,
    how="put images.zip (10.6 GB) or its unpacked images/ folder in the mirror's mis/ folder",
)


# The config keys this adapter reads besides adapter, name and revision; any other is refused.
OPTIONS = ("subset", "subsets")


def split_of(spec: dict) -> str:
    return check_choice(spec.get("subset", "train"), ("train", "test"), f"sources.{spec['name']}.subset")


def test_sets(spec: dict) -> list[str]:
    chosen = spec.get("subsets") or list(TEST)
    for i, name in enumerate(chosen):
        check_choice(name, tuple(TEST), f"benchmarks.{spec['name']}.subsets[{i}]")
    return chosen


def download(spec: dict, out: Path, mirror: Path | None) -> None:
    cache = out.parent / ".downloads" / spec["name"]
    if split_of(spec) == "train":
        rev = revision(spec, SOURCE)
        get_files(SOURCE, [TRAIN], out, mirror, cache, rev)
        archive = ImageArchive(
            IMAGES.archive, IMAGES.folder, SOURCE.url(IMAGES.archive, rev), IMAGES.strip, IMAGES.how
        )
        get_images(SOURCE, archive, out, mirror, cache)
        return
    rev = revision(spec, TEST_SOURCE)
    files = [TEST[s] for s in test_sets(spec)]
    get_files(TEST_SOURCE, files, out, mirror, cache, rev)
    paths = []
    for f in files:
        for n, rec in enumerate(read_json(out / f.path)):
            paths += [need(rec, k, f"{f.path}: [{n}]") for k in ("image_path1", "image_path2")]
    get_listed(TEST_SOURCE, paths, out, mirror, cache, rev)


def _train_items(spec: dict, raw: Path, skips: Skips | None) -> list[Item]:
    path = raw / TRAIN.path
    records = read_json(path)
    if not isinstance(records, list):
        raise ThinksafeError(f"{path}: expected a JSON list")
    items = []
    for n, rec in enumerate(records):
        where = f"{path}: [{n}]"
        try:
            turns = read_turns(rec, where)
            checked = [checked_image(_image(raw, p, where), where) for p in turns.images]
            if not checked:
                raise ThinksafeError(f"{where}: no image")
            items.append(
                Item(
                    id=f"{spec['name']}:train:{rec.get('id', n)}",
                    benchmark=spec["name"],
                    family="jailbreak",
                    category=str(rec.get("category", "mis")),
                    subset="train",
                    prompt=turns.prompt,
                    image=checked[0][0],
                    image_sha256=checked[0][1],
                    reference={
                        "protocol": PROTOCOL,
                        "target": turns.target,
                        "images": [c[0] for c in checked],
                    },
                    source=source_ref(SOURCE, TRAIN.path, revision(spec, SOURCE)),
                )
            )
        except ThinksafeError as e:
            skip_or_raise(skips, e)
    return items


def _image(raw: Path, rel: str, where: str) -> Path:
    path = inside(raw, rel, where)
    return path if path.is_file() else inside(raw / IMAGES.folder, rel, where)


def _test_items(spec: dict, raw: Path, skips: Skips | None) -> list[Item]:
    items = []
    for name in test_sets(spec):
        path = raw / TEST[name].path
        records = read_json(path)
        if not isinstance(records, list):
            raise ThinksafeError(f"{path}: expected a JSON list")
        for n, rec in enumerate(records):
            where = f"{path}: [{n}]"
            try:
                checked = [
                    data_image(raw, need(rec, k, where), where) for k in ("image_path1", "image_path2")
                ]
                items.append(
                    Item(
                        id=f"{spec['name']}:{name}:{need(rec, 'id', where, (str, int))}",
                        benchmark=spec["name"],
                        family="jailbreak",
                        category=need(rec, "category", where),
                        subset=name,
                        prompt=need(rec, "question", where),
                        image=checked[0][0],
                        image_sha256=checked[0][1],
                        reference={
                            "protocol": PROTOCOL,
                            "sub_category": rec.get("sub_category", ""),
                            "images": [c[0] for c in checked],
                            "image_sha256s": [c[1] for c in checked],
                        },
                        source=source_ref(TEST_SOURCE, TEST[name].path, revision(spec, TEST_SOURCE)),
                    )
                )
            except ThinksafeError as e:
                skip_or_raise(skips, e)
    return items


def normalize(spec: dict, raw_dir: Path, seed: int, skips: Skips | None = None) -> list[Item]:
    raw_dir = Path(raw_dir)
    if split_of(spec) == "train":
        return _train_items(spec, raw_dir, skips)
    return _test_items(spec, raw_dir, skips)
