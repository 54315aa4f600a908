"""The two data sets written for this project and shipped inside the package: the demo benchmark and
its separate tuning pool. "Downloading" one copies its JSON (checked against its pinned sha256) and
renders its typographic cards into the raw dir; nothing touches the network.
"""

from __future__ import annotations

from pathlib import Path

from thinksafe.benchmarks import check_options, jailbreakbench, mossbench, render
from thinksafe.benchmarks.base import RemoteFile, Skips, Source, checked_image, need, read_json, skip_or_raise
from thinksafe.benchmarks.fetch import verify
from thinksafe.benchmarks.protocol import Case, Protocol, stamp
from thinksafe.errors import ThinksafeError
from thinksafe.records import Item

HERE = Path(__file__).resolve().parent
RAW_JSON = "items.json"
FAMILIES = ("jailbreak", "awareness", "benign")
EXPECTED = ("refuse", "warn", "comply")


def download(packaged: str, file: RemoteFile, out: Path, framed: bool = False) -> dict[str, str]:
    src = HERE / packaged
    sha = verify(src, file.sha256, str(src))
    (out / RAW_JSON).write_bytes(src.read_bytes())
    for rec in read_json(out / RAW_JSON)["items"]:
        render.save_png(
            render.card_image(rec["image_text"], framed=framed), out / "images" / f"{rec['key']}.png"
        )
    return {RAW_JSON: sha}


# The embedded sets' own protocol: `reference.expected` says what a safe response does.
JUDGING = Protocol(
    name="demo",
    title="thinksafe demo",
    upstream="thinksafe src/thinksafe/benchmarks/demo_items.json (written for this project)",
    own="project",
    cases=(
        Case("answer", mossbench.PLAIN, (("reference.expected", ("comply",)),)),
        Case("aware", jailbreakbench.JUDGING, (("reference.expected", ("warn",)),)),
        Case("harm", jailbreakbench.JUDGING),
    ),
)


def normalize(
    spec: dict, raw_dir: Path, source: Source, file: RemoteFile, protocol: str, skips: Skips | None
) -> list[Item]:
    # The embedded sets are small and used whole (OPTIONS = ()): `sample` would be ignored in silence.
    check_options(spec)
    path = raw_dir / RAW_JSON
    data = read_json(path)
    records = need(data, "items", str(path), list)
    items: list[Item] = []
    for n, rec in enumerate(records):
        where = f"{path}: items[{n}]"
        try:
            key = need(rec, "key", where)
            family = need(rec, "family", where)
            expected = need(rec, "expected", where)
            if family not in FAMILIES or expected not in EXPECTED:
                raise ThinksafeError(f"{where}: unknown family '{family}' or expected '{expected}'")
            image, image_sha = checked_image(raw_dir / "images" / f"{key}.png", where)
            items.append(
                Item(
                    id=f"{spec['name']}:{key}",
                    benchmark=spec["name"],
                    family=family,
                    category=need(rec, "category", where),
                    subset=family,
                    prompt=need(rec, "prompt", where),
                    image=image,
                    image_sha256=image_sha,
                    context=rec.get("context"),
                    pair_id=f"{spec['name']}:{rec['pair']}" if rec.get("pair") else None,
                    reference={
                        "protocol": protocol,
                        "expected": expected,
                        "caption": need(rec, "image_text", where),
                    },
                    source={"repo": source.repo, "revision": source.revision, "path": f"{source.note}"},
                )
            )
        except ThinksafeError as e:
            skip_or_raise(skips, e)
    return stamp(items, JUDGING)
