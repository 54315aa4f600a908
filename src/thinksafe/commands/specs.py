"""Specs arrive on the command line as canonical JSON (the rules pass registry entries as params)."""

from __future__ import annotations

import json

from thinksafe.errors import ThinksafeError


def json_object(text: str, flag: str = "--spec", nullable: bool = False) -> dict | None:
    """Parse one spec argument; a malformed or non-object value stops with one line naming the flag."""
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
    return value


def _not_a_number(word: str) -> None:
    """Python's json reads NaN and Infinity, which are not JSON and pass every range check."""
    raise ValueError(f"{word} is not a finite number (not JSON)")
