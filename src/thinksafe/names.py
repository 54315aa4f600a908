"""The one safe pattern for names that become path components (models, benchmarks, judges, datasets,
sources, shards): a letter or digit first, then letters, digits, `.`, `_`, `-`, so `.`, `..`, hidden
names and slashes are impossible. A tuned model joins two names with `+`; a defended model adds `@` and a
defense's name (`model@defense`, `model+dataset@defense`). config/schema.yaml carries the same two
patterns (a test checks that they agree)."""

from __future__ import annotations

import re

from thinksafe.errors import ThinksafeError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
TUNED = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(\+[A-Za-z0-9][A-Za-z0-9._-]{0,127})?(@[A-Za-z0-9][A-Za-z0-9._-]{0,127})?$"
)


def check_name(value: object, key: str, tuned: bool = False) -> str:
    """`value` when it is a safe name; otherwise one line naming the key."""
    pattern = TUNED if tuned else NAME
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ThinksafeError(
            f"{key}: name {value!r} is not allowed (letters, digits, '.', '_', '-'; "
            f"starting with a letter or digit{'; + for a tuned model, @ for a defense' if tuned else ''})"
        )
    return value
