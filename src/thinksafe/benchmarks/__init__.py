"""Benchmarks and tuning sources: one adapter module per source.

Each adapter module states SOURCE (pinned repo and revision), LICENSE, FILES (with sha256) and PROTOCOL
(the benchmark's native scoring protocol, written into every item's `reference["protocol"]`), and has
`download(spec, out, mirror)` and `normalize(spec, raw_dir, seed, skips=None) -> list[Item]`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from thinksafe.errors import ThinksafeError

ADAPTERS = (
    "demo",
    "demo_pool",
    "mm_safetybench",
    "figstep",
    "jailbreakv_28k",
    "siuo",
    "mssbench",
    "vlguard",
    "spa_vl",
    "mis",
    "tis_release",
    "mossbench",
    "pope",
)


def get_adapter(name: str) -> ModuleType:
    if name not in ADAPTERS:
        raise ThinksafeError(f"unknown benchmark adapter '{name}' (one of: {', '.join(ADAPTERS)})")
    return importlib.import_module(f"thinksafe.benchmarks.{name}")
