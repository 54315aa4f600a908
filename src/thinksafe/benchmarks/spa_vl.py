"""SPA-VL (Zhang et al., 2024): a safety preference set of 93.3k image-question pairs with a chosen and a
rejected answer, organized by a 3-level harm taxonomy (class1 domain > class2 category > class3
sub-category). A tuning baseline: `categories: [...]` keeps the rows whose class1, class2 or class3 is
one of them (an entry that matches no row is an error), `sample: N` draws N rows with the run's seed.

The train split's parquet columns are `image` (a struct of bytes and path), `question`, `chosen`,
`rejected` and `image_name`; class1/2/3 are columns only in the validation and test splits (HF card
sqrti/SPA-VL, dataset_info). The train split carries the taxonomy in `image_name` instead: its first
three folders are class1/class2/class3, e.g. "Representation & ToxicityHarms/Unfair/racial/170.jpg"
(EchoseChen/SPA-VL-RLHF README.md at cade637, its training-JSON example; the TiS release's SPA-VL image
paths have the same form, paper notes §7.3). `taxonomy()` reads the columns when a row has them and
the path otherwise.

Upstream ships parquet with the images inside; download unpacks them to `images/<image_name>` and the
rows (without image bytes, plus `row_id` and `image_file`) to `train.jsonl`, so normalize and the
baseline conversion both read plain files through `rows()`. Protocol `spa-vl`: `reference.chosen` is
the preferred (safe) answer, `reference.rejected` the other.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from thinksafe.benchmarks import jailbreakbench
from thinksafe.benchmarks.base import (
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
from thinksafe.benchmarks.fetch import fetch, from_mirror
from thinksafe.errors import ThinksafeError, located
from thinksafe.io import inside, numbered_jsonl
from thinksafe.records import Item

SOURCE = Source("hf", "sqrti/SPA-VL", "a06c4cd430153777f56e6ced9cbd723ea9587512", "spa-vl")
LICENSE = "CC BY 4.0"
PROTOCOL = "spa-vl"
JUDGING = jailbreakbench.dataset_filter(PROTOCOL, "SPA-VL (tuning source)", "harm")
FILES = [RemoteFile(f"data/train-{i:05d}-of-00008.parquet", None) for i in range(8)]
ROWS = "train.jsonl"
COLUMNS = ("image", "question", "chosen", "rejected")  # + image_name in train (class1/2/3 elsewhere)
CLASSES = ("class1", "class2", "class3")


def taxonomy(row: dict) -> list[str]:
    """[class1, class2, class3]: the columns where a split has them, else image_name's folders."""
    columns = [str(row.get(k) or "") for k in CLASSES]
    if any(columns):
        return columns
    folders = list(PurePosixPath(str(row.get("image_name") or "")).parts[:-1])[:3]
    return folders + [""] * (3 - len(folders))


# The config keys this adapter reads besides adapter, name and revision; any other is refused.
OPTIONS = ("subset", "categories", "sample")


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
                    target = inside(out / "images", name, f"{parquet}: row {n - start}: image_name")
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
            parquet = from_mirror(mirror, SOURCE.mirror_dir, rf.path)
        else:
            parquet = fetch(SOURCE.url(rf.path, rev), cache / rf.path, rf.sha256)
        n = unpack(parquet, out, n)


def rows(raw_dir: Path) -> Iterator[tuple[str, dict]]:
    """(where, row) for every unpacked row, each with its `taxonomy`; a malformed line names its place."""
    path = Path(raw_dir) / ROWS
    if not path.exists():
        raise located(path, "file not found in the raw download (run download first)")
    for line, row in numbered_jsonl(path):
        if not isinstance(row, dict):
            raise located(path, "expected a JSON object", line=line)
        yield f"{path}:{line}", {**row, "taxonomy": taxonomy(row)}


def select(spec: dict, found: list[tuple[str, dict]], origin: Path) -> list[tuple[str, dict]]:
    """The rows whose class1, class2 or class3 is one of `categories`; an entry matching nothing stops."""
    wanted = spec.get("categories")
    if not wanted:
        return found
    levels = [{t.lower() for t in row["taxonomy"] if t} for _, row in found]
    for i, name in enumerate(wanted):
        if not any(name.lower() in have for have in levels):
            seen = sorted({t for _, row in found for t in row["taxonomy"] if t})
            raise ThinksafeError(
                f"config key sources.{spec['name']}.categories[{i}]: '{name}' matches no row of {origin} "
                f"(class1/2/3 there: {', '.join(seen[:12]) or 'none'}{', ...' if len(seen) > 12 else ''})"
            )
    keep = {w.lower() for w in wanted}
    return [r for r, have in zip(found, levels, strict=True) if have & keep]


def normalize(spec: dict, raw_dir: Path, seed: int, skips: Skips | None = None) -> list[Item]:
    raw_dir = Path(raw_dir)
    found = select(spec, list(rows(raw_dir)), raw_dir / ROWS)
    if spec.get("sample") and spec["sample"] < len(found):
        keep = set(random.Random(f"{seed}:spa_vl").sample(range(len(found)), spec["sample"]))
        found = [r for i, r in enumerate(found) if i in keep]
    rev = revision(spec, SOURCE)
    items: list[Item] = []
    for where, rec in found:
        try:
            image, sha = data_image(raw_dir, need(rec, "image_file", where), where)
            items.append(
                Item(
                    id=f"{spec['name']}:{rec['row_id']}",
                    benchmark=spec["name"],
                    family="jailbreak",
                    category="/".join(t for t in rec["taxonomy"] if t) or "unknown",
                    subset="train",
                    prompt=need(rec, "question", where),
                    image=image,
                    image_sha256=sha,
                    reference={
                        "protocol": PROTOCOL,
                        "chosen": need(rec, "chosen", where),
                        "rejected": need(rec, "rejected", where),
                        "taxonomy": rec["taxonomy"],
                        "image_name": rec.get("image_name"),
                    },
                    source=source_ref(SOURCE, "data/train-*.parquet", rev),
                )
            )
        except ThinksafeError as e:
            skip_or_raise(skips, e)
    return items
