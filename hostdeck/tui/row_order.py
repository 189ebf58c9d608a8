"""The order of a grid's rows by a column: natural, so "web-2" comes before "web-10" (no Textual here)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"((?<![\d.])\d+\.\d+(?![.\d])|\d+)")


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


@lru_cache(maxsize=1 << 17)
def natural_key(value: str) -> tuple[str | int | float, ...]:
    """A sort key that orders "web-2" before "web-10" and 10.0.0.2 before 10.0.0.10.

    The key alternates text and numbers (text first), so keys of any two values
    compare without type errors. Text compares case-insensitively. A value that is
    just a number compares as one ("-5" < "1.25" < "1.3" < "10").
    """
    parts: list[Any] = _TOKEN.split(value.lower().strip())
    if len(parts) == 1:
        return (parts[0],)
    parts[1::2] = map(_number, parts[1::2])
    if len(parts) == 3 and parts[0] == "-" and not parts[2]:
        return ("", -parts[1], "")
    return tuple(parts)
