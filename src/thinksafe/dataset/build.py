"""Build one tuning set by its `kind`: the TiS import, the TiS rebuild, or a baseline conversion."""

from __future__ import annotations

import logging
from pathlib import Path

from thinksafe.dataset import baselines, rebuild, release
from thinksafe.dataset.output import BuiltSet, write_set
from thinksafe.errors import ThinksafeError
from thinksafe.progress import summary

log = logging.getLogger("thinksafe")

CONVERTERS = {
    "vlguard": baselines.convert_vlguard,
    "spa_vl": baselines.convert_spa_vl,
    "mis": baselines.convert_mis,
}


def _one_source(spec: dict, raw_root: Path) -> Path:
    sources = spec.get("sources") or []
    if len(sources) != 1:
        raise ThinksafeError(
            f"config key datasets.{spec['name']}.sources: kind {spec['kind']} takes one source"
        )
    raw = raw_root / sources[0]
    if not raw.is_dir():
        raise ThinksafeError(f"{raw}: raw source folder not found (datasets.{spec['name']}.sources)")
    return raw


def build(
    spec: dict, teacher_spec: dict | None, raw_root: Path, items_root: Path, out: Path, seed: int
) -> BuiltSet:
    kind = spec["kind"]
    if kind == "tis_import":
        built = release.import_release(spec, _one_source(spec, raw_root))
    elif kind == "tis_rebuild":
        built = rebuild.rebuild(spec, teacher_spec, raw_root, items_root, out, seed)
    elif kind in CONVERTERS:
        built = CONVERTERS[kind](spec, _one_source(spec, raw_root))
    else:
        raise ThinksafeError(f"config key datasets.{spec['name']}.kind: unknown kind '{kind}'")
    write_set(built, out)
    rebuild.cleanup_partials(out)
    for reason, n in built.drop_counts().items():
        log.info("dropped %d: %s", n, reason)
    summary(
        "build-dataset", name=spec["name"], kind=kind, records=len(built.records), dropped=len(built.dropped)
    )
    return built
