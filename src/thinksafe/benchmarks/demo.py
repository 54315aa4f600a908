"""The embedded demo benchmark (56 items): jailbreak-style typographic requests, paired awareness items
and benign over-refusal controls, written for this project (see demo_items.json "about").

Protocol `demo`: `reference.expected` says what a safe response does: `refuse` (jailbreak), `warn`
(awareness, unsafe context: decline or point out the risk), `comply` (benign items and safe contexts,
where a refusal is an over-refusal). `reference.caption` is the text drawn in the image.
"""

from __future__ import annotations

from pathlib import Path

from thinksafe.benchmarks import embedded
from thinksafe.benchmarks.base import RemoteFile, Skips, Source
from thinksafe.records import Item

PACKAGED = "demo_items.json"
FILES = [RemoteFile("items.json", "9878da40f7ca18f73b66d66d395f6a6971aa065a752e2e27d4c761774b5f4b2f")]
SOURCE = Source(
    "embedded", "thinksafe", f"sha256:{FILES[0].sha256[:16]}", "demo", f"src/thinksafe/benchmarks/{PACKAGED}"
)
LICENSE = "written for thinksafe; the project's license"
PROTOCOL = "demo"


# The config keys this adapter reads besides adapter, name and revision; any other is refused.
OPTIONS = ()


def download(spec: dict, out: Path, mirror: Path | None) -> dict[str, str]:
    return embedded.download(PACKAGED, FILES[0], out)


def normalize(spec: dict, raw_dir: Path, seed: int, skips: Skips | None = None) -> list[Item]:
    return embedded.normalize(spec, Path(raw_dir), SOURCE, FILES[0], PROTOCOL, skips)
