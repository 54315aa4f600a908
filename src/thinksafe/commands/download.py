"""`thinksafe download`: fetch a benchmark or tuning source (or copy it from a mirror), verify, and write
data/raw/NAME whole. A raw dir whose MANIFEST.json matches the spec and its files is left alone."""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

log = logging.getLogger("thinksafe")
MANIFEST = "MANIFEST.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", required=True, help="benchmarks/sources entry as JSON, plus `name`")
    parser.add_argument(
        "--mirror", type=Path, default=None, help="a local directory laid out like the sources"
    )
    parser.add_argument("--out", type=Path, required=True, help="data/raw/NAME")


def up_to_date(out: Path, spec: dict) -> bool:
    from thinksafe.records import sha256_file

    path = out / MANIFEST
    if not path.is_file():
        return False
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return False
    if manifest.get("spec") != spec:
        return False
    files = manifest.get("files", {})
    return all((out / rel).is_file() and sha256_file(out / rel) == sha for rel, sha in files.items())


def run(args: argparse.Namespace) -> int:
    from thinksafe import io
    from thinksafe.benchmarks import get_adapter
    from thinksafe.commands.specs import json_object
    from thinksafe.errors import ThinksafeError
    from thinksafe.names import check_name
    from thinksafe.progress import summary
    from thinksafe.records import sha256_file

    spec = json_object(args.spec)
    if "adapter" not in spec or "name" not in spec:
        raise ThinksafeError("--spec: needs keys 'adapter' and 'name'")
    check_name(spec["name"], "--spec name")
    # The raw dir is replaced whole: a name like `..` would replace its parent (data/ itself).
    check_name(args.out.name, f"--out {args.out}")
    if args.out.is_dir() and any(args.out.iterdir()) and not (args.out / MANIFEST).is_file():
        # Only a folder that download wrote (it has a manifest) is replaced: `--out data` would delete data/.
        raise ThinksafeError(
            f"--out {args.out}: not empty and has no {MANIFEST}, so not a folder download wrote; it would be "
            "replaced whole: give a new or empty folder (data/raw/NAME)"
        )
    adapter = get_adapter(spec["adapter"])
    mirror = args.mirror.resolve() if args.mirror else None
    if mirror is not None and not mirror.is_dir():
        raise ThinksafeError(f"--mirror {args.mirror}: not a directory")
    t0 = time.monotonic()
    if up_to_date(args.out, spec):
        log.info("%s: up to date (%s matches the spec and every file)", args.out, MANIFEST)
        summary(
            "download", name=spec["name"], files=0, up_to_date=True, seconds=f"{time.monotonic() - t0:.1f}"
        )
        return 0
    with io.atomic_dir(args.out) as tmp:
        try:
            adapter.download(spec, tmp, mirror)
        except ThinksafeError as e:
            # The adapter reads the copies it placed in the temporary dir: name the user's file instead
            # (the mirror's; without a mirror, the raw dir the download was for).
            origin = mirror / adapter.SOURCE.mirror_dir if mirror else args.out
            raise ThinksafeError(str(e).replace(str(tmp), str(origin))) from None
        files = {p.relative_to(tmp).as_posix(): sha256_file(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        io.write_json(
            tmp / MANIFEST,
            {
                "spec": spec,
                "source": {
                    "repo": adapter.SOURCE.repo,
                    "revision": spec.get("revision") or adapter.SOURCE.revision,
                },
                "license": adapter.LICENSE,
                "mirror": str(mirror) if mirror else None,
                "files": files,
            },
        )
    summary(
        "download",
        name=spec["name"],
        files=len(files),
        mirror=bool(mirror),
        seconds=f"{time.monotonic() - t0:.1f}",
    )
    return 0
