"""Specs arrive on the command line as canonical JSON (the rules pass registry entries as params).

This is the one parser of spec arguments, so it is where a spec from a hand-typed command meets the
same rules as a validated config: the security switches below must be JSON booleans wherever they sit
in the spec (a model entry, a captioner or judge spec nested in a dataset spec). Read by truthiness,
the string "false" would turn remote code on; so anything but true or false stops with the key named.
"""

from __future__ import annotations

import json
from typing import Any

from thinksafe.errors import ThinksafeError

# Switches that open the process to a model folder's code or pickles, or show unredacted harmful text.
SECURITY_SWITCHES = ("trust_remote_code", "allow_pickle_weights", "redact")


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
