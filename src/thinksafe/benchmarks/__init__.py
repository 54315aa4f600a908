"""Benchmarks and tuning sources: one adapter module per source.

Each adapter module states SOURCE (pinned repo and revision), LICENSE, FILES (with sha256) and PROTOCOL
(the benchmark's native scoring protocol, written into every item's `reference["protocol"]`), OPTIONS
(the config keys it reads besides COMMON_OPTIONS: any other key is refused, never ignored in silence),
and has `download(spec, out, mirror)` and `normalize(spec, raw_dir, seed, skips=None) -> list[Item]`.
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
COMMON_OPTIONS = ("adapter", "name", "revision")


def get_adapter(name: str) -> ModuleType:
    if name not in ADAPTERS:
        raise ThinksafeError(f"unknown benchmark adapter '{name}' (one of: {', '.join(ADAPTERS)})")
    return importlib.import_module(f"thinksafe.benchmarks.{name}")


def unsupported_option(entry: dict) -> tuple[str, str] | None:
    """(key, message) for the first key of a benchmarks/sources entry its adapter does not read."""
    import difflib

    if entry.get("adapter") not in ADAPTERS:
        return None  # the schema names an unknown adapter
    options = (*COMMON_OPTIONS, *get_adapter(entry["adapter"]).OPTIONS)
    for key in sorted(set(entry) - set(options)):
        close = difflib.get_close_matches(key, options, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return key, f"not an option of adapter '{entry['adapter']}' ({hint}its options: {', '.join(options)})"
    return None


def check_options(spec: dict) -> None:
    """The CLI's check of a spec (the Snakefile's config check does the same before any job)."""
    bad = unsupported_option(spec)
    if bad:
        raise ThinksafeError(f"config key benchmarks.{spec.get('name')}.{bad[0]}: {bad[1]}")
