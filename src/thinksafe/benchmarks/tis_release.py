"""The released Think-in-Safety tuning set (Lou et al., EMNLP 2025): safety-oriented long chain-of-thought
answers over images, in LLaMA-Factory sharegpt layout (`train_data.json` + `images.zip`). A tuning
source: the TiS import builds its SFT set from these items (`reference.conversations` keeps the
record as released; `reference.target` is the assistant turn with its `<think>` block).
"""

from __future__ import annotations

from pathlib import Path

from thinksafe.benchmarks import jailbreakbench
from thinksafe.benchmarks.base import (
    ImageArchive,
    RemoteFile,
    Skips,
    Source,
    checked_image,
    read_json,
    revision,
    skip_or_raise,
    source_ref,
)
from thinksafe.benchmarks.conversations import read_turns
from thinksafe.benchmarks.fetch import get_files, get_images
from thinksafe.errors import ThinksafeError
from thinksafe.io import inside
from thinksafe.records import Item

# train_data.json was uploaded in commit 7043f71 (short id, not resolvable on its own); set `revision:`
# to the full commit to pin it.
SOURCE = Source("hf", "Holly301/Think-in-Safety", "main", "tis-release")
LICENSE = "Apache-2.0"
PROTOCOL = "tis"
JUDGING = jailbreakbench.dataset_filter(PROTOCOL, "TiS release (tuning source)", "aware")
FILES = [RemoteFile("train_data.json", None)]
IMAGES = ImageArchive(
    archive="images.zip",
    folder="images",
    strip="images",
    url=None,  # filled per revision in download()
    how="put images.zip (or its unpacked images/ folder) in the mirror's tis-release/ folder",
)


# The config keys this adapter reads besides adapter, name and revision; any other is refused.
OPTIONS = ()


def resolve_image(raw: Path, rel: str) -> Path:
    """Image paths in the release are relative to the repo root or to the unpacked images/ folder."""
    for root, sub in ((raw, rel), (raw / IMAGES.folder, rel), (raw / IMAGES.folder, Path(rel).name)):
        candidate = inside(root, sub, f"{raw}: image")
        if candidate.is_file():
            return candidate
    return raw / rel


def download(spec: dict, out: Path, mirror: Path | None) -> None:
    rev = revision(spec, SOURCE)
    cache = out.parent / ".downloads" / spec["name"]
    get_files(SOURCE, FILES, out, mirror, cache, rev)
    archive = ImageArchive(
        IMAGES.archive, IMAGES.folder, SOURCE.url(IMAGES.archive, rev), IMAGES.strip, IMAGES.how
    )
    get_images(SOURCE, archive, out, mirror, cache)


def normalize(spec: dict, raw_dir: Path, seed: int, skips: Skips | None = None) -> list[Item]:
    raw_dir = Path(raw_dir)
    path = raw_dir / FILES[0].path
    records = read_json(path)
    if not isinstance(records, list):
        raise ThinksafeError(f"{path}: expected a JSON list")
    rev = revision(spec, SOURCE)
    items: list[Item] = []
    for n, rec in enumerate(records):
        where = f"{path}: [{n}]"
        try:
            turns = read_turns(rec, where)
            if not turns.images:
                raise ThinksafeError(f"{where}: no image")
            image, sha = checked_image(resolve_image(raw_dir, turns.images[0]), where)
            items.append(
                Item(
                    id=f"{spec['name']}:{rec.get('id', n)}",
                    benchmark=spec["name"],
                    family="awareness",
                    category=str(rec.get("category", "tis")),
                    subset="train",
                    prompt=turns.prompt,
                    image=image,
                    image_sha256=sha,
                    reference={
                        "protocol": PROTOCOL,
                        "target": turns.target,
                        "conversations": rec.get("conversations", rec.get("messages")),
                    },
                    source=source_ref(SOURCE, FILES[0].path, rev),
                )
            )
        except ThinksafeError as e:
            skip_or_raise(skips, e)
    return items
