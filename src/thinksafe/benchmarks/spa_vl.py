"""SPA-VL (Zhang et al., 2024): a safety preference set of 93.3k image-question pairs with a chosen and a
rejected answer, organized by a 3-level harm taxonomy (class1 > class2 > class3). A tuning baseline:
`categories: [...]` keeps only those class1 domains, `sample: N` draws N records with the run's seed.

Upstream ships parquet with the images inside; download unpacks them to `images/` and the rows (without
image bytes) to `train.jsonl`, so normalize reads plain files. Protocol `spa-vl`: `reference.chosen` is
the preferred (safe) answer, `reference.rejected` the other.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from thinksafe.benchmarks import jailbreakbench
from thinksafe.benchmarks.base import (
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
from thinksafe.benchmarks.fetch import fetch
from thinksafe.errors import ThinksafeError, located
from thinksafe.records import Item

SOURCE = Source("hf", "sqrti/SPA-VL", "a06c4cd430153777f56e6ced9cbd723ea9587512", "spa-vl")
LICENSE = "CC BY 4.0"
PROTOCOL = "spa-vl"
JUDGING = jailbreakbench.dataset_filter(PROTOCOL, "SPA-VL (tuning source)", "harm")
FILES = [RemoteFile(f"data/train-{i:05d}-of-00008.parquet", None) for i in range(8)]
ROWS = "train.jsonl"
COLUMNS = ("image", "question", "chosen", "rejected")


def unpack(parquet: Path, out: Path, start: int) -> int:
    """Write each row's image to images/ and the row (image bytes dropped) to train.jsonl."""
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(parquet)
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise ThinksafeError(f"{parquet}: not a readable parquet file ({e})") from None
    missing = [c for c in COLUMNS if c not in table.schema_arrow.names]
    if missing:
        raise ThinksafeError(f"{parquet}: missing column(s) {', '.join(missing)}")
    n = start
    with (out / ROWS).open("a", encoding="utf-8") as f:
        for batch in table.iter_batches(batch_size=256):
            for row in batch.to_pylist():
                image = row.pop("image") or {}
                name = (
                    row.get("image_name")
                    or (image.get("path") if isinstance(image, dict) else None)
                    or f"{n}.jpg"
                )
                data = image.get("bytes") if isinstance(image, dict) else None
                if data:
                    target = out / "images" / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                row.update(row_id=n, image_file=f"images/{name}")
                f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
                n += 1
    return n


def download(spec: dict, out: Path, mirror: Path | None) -> None:
    check_choice(spec.get("subset", "train"), ("train",), f"sources.{spec['name']}.subset")
    cache = out.parent / ".downloads" / spec["name"]
    rev = revision(spec, SOURCE)
    (out / ROWS).touch()
    n = 0
    for rf in FILES:
        if mirror is not None:
            parquet = mirror / SOURCE.mirror_dir / rf.path
            if not parquet.is_file():
                raise ThinksafeError(f"mirror {mirror} lacks {SOURCE.mirror_dir}/{rf.path}")
        else:
            parquet = fetch(SOURCE.url(rf.path, rev), cache / rf.path, rf.sha256)
        n = unpack(parquet, out, n)


def normalize(spec: dict, raw_dir: Path, seed: int, skips: Skips | None = None) -> list[Item]:
    raw_dir = Path(raw_dir)
    path = raw_dir / ROWS
    rows = []
    with path.open(encoding="utf-8") as f:
        for line, text in enumerate(f, 1):
            try:
                rows.append((line, json.loads(text)))
            except json.JSONDecodeError as e:
                raise located(path, f"malformed JSON ({e.msg})", line=line) from None
    if spec.get("categories"):
        rows = [r for r in rows if r[1].get("class1") in set(spec["categories"])]
    if spec.get("sample") and spec["sample"] < len(rows):
        keep = set(random.Random(f"{seed}:spa_vl").sample(range(len(rows)), spec["sample"]))
        rows = [r for i, r in enumerate(rows) if i in keep]
    rev = revision(spec, SOURCE)
    items: list[Item] = []
    for line, rec in rows:
        where = f"{path}:{line}"
        try:
            image, sha = checked_image(raw_dir / need(rec, "image_file", where), where)
            taxonomy = [str(rec.get(k) or "") for k in ("class1", "class2", "class3")]
            items.append(
                Item(
                    id=f"{spec['name']}:{rec['row_id']}",
                    benchmark=spec["name"],
                    family="jailbreak",
                    category="/".join(t for t in taxonomy if t) or "unknown",
                    subset="train",
                    prompt=need(rec, "question", where),
                    image=image,
                    image_sha256=sha,
                    reference={
                        "protocol": PROTOCOL,
                        "chosen": need(rec, "chosen", where),
                        "rejected": need(rec, "rejected", where),
                        "taxonomy": taxonomy,
                    },
                    source=source_ref(SOURCE, "data/train-*.parquet", rev),
                )
            )
        except ThinksafeError as e:
            skip_or_raise(skips, e)
    return items
