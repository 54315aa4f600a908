"""Specs arrive on the command line as canonical JSON, or as `@path` to a file holding it.

The rules pass `@results/specs/<kind>/<sha256>.json` (rules/common.smk spec_file): a spec of a 200-model
run is far beyond Linux's 128 KB limit for one argument, and a content-addressed path is still a
Snakemake param that changes exactly when the spec does. A hand-typed command may pass the JSON itself.

This is the one parser of spec arguments, so it is where a spec from a hand-typed command meets the
same rules as a validated config: the security switches below must be JSON booleans wherever they sit
in the spec (a model entry, a captioner or judge spec nested in a dataset spec). Read by truthiness,
the string "false" would turn remote code on; so anything but true or false stops with the key named.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from thinksafe.errors import ThinksafeError

# Switches that open the process to a model folder's code or pickles, or show unredacted harmful text.
SECURITY_SWITCHES = ("trust_remote_code", "allow_pickle_weights", "redact")


def json_object(text: str, flag: str = "--spec", nullable: bool = False) -> dict | None:
    """Parse one spec argument (JSON, or `@path` to a JSON file); a malformed or non-object value stops
    with one line naming the flag (and the file)."""
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            reason = getattr(e, "strerror", None) or e
            raise ThinksafeError(f"{flag}: cannot read spec file {path}: {reason}") from None
        flag = f"{flag} {path}"
    try:
        value = json.loads(text, parse_constant=_not_a_number)
    except json.JSONDecodeError as e:
        raise ThinksafeError(f"{flag}: malformed JSON ({e.msg})") from None
    except ValueError as e:
        raise ThinksafeError(f"{flag}: {e}") from None
    if value is None and nullable:
        return None
    if not isinstance(value, dict):
        raise ThinksafeError(f"{flag}: expected a JSON object")
    check_switches(value, flag)
    return value


def _not_a_number(word: str) -> None:
    """Python's json reads NaN and Infinity, which are not JSON and pass every range check."""
    raise ValueError(f"{word} is not a finite number (not JSON)")


def check_switches(value: Any, flag: str, where: str = "") -> None:
    """Every security switch anywhere in `value` is exactly true or false."""
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if key in SECURITY_SWITCHES and type(item) is not bool:  # 0, 1, "false", null: all refused
                raise ThinksafeError(f"{flag}: key {path}: must be true or false, not {json.dumps(item)}")
            check_switches(item, flag, path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_switches(item, flag, f"{where}[{i}]")


def write_spec(root: str | Path, kind: str, text: str) -> Path:
    """The spec `text` (canonical JSON) as `root/kind/<sha256>.json`, written once and never changed.

    Named by its content, so the path passed to the CLI changes exactly when the spec does: a Snakemake
    param holding it reruns what the spec itself rerun before, and a file once written is never
    rewritten, so parallel plans (the submitting node and each cluster job parse the Snakefile) agree."""
    from thinksafe.io import write_text

    digest = hashlib.sha256(text.encode()).hexdigest()
    path = Path(root) / kind / f"{digest}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, text)  # atomic: a reader never sees half a spec
    return path
