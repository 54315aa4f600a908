"""The demo's tuning pool (48 prompts with images): harmful, awareness-style and benign, for the demo
TiS rebuild. Disjoint from the demo benchmark in prompt and image, so the demo never tunes on what it
evaluates. Same item schema and protocol as `demo`.
"""

from __future__ import annotations

from pathlib import Path

from thinksafe.benchmarks import embedded
from thinksafe.benchmarks.base import RemoteFile, Skips, Source
from thinksafe.records import Item

PACKAGED = "demo_pool_items.json"
FILES = [RemoteFile("items.json", "70ec0e5991a36fa7bc8da5639146f7063974a61c08732c584eb6cf4a7a455f4f")]
SOURCE = Source(
    "embedded",
    "thinksafe",
    f"sha256:{FILES[0].sha256[:16]}",
    "demo-pool",
    f"src/thinksafe/benchmarks/{PACKAGED}",
)
LICENSE = "written for thinksafe; the project's license"
PROTOCOL = "demo"


# The config keys this adapter reads besides adapter, name and revision; any other is refused.
OPTIONS = ()


def download(spec: dict, out: Path, mirror: Path | None) -> dict[str, str]:
    return embedded.download(PACKAGED, FILES[0], out, framed=True)


def normalize(spec: dict, raw_dir: Path, seed: int, skips: Skips | None = None) -> list[Item]:
    return embedded.normalize(spec, Path(raw_dir), SOURCE, FILES[0], PROTOCOL, skips)
