"""Lenient numbers: the APIs send ids and counts as ints, strings or floats (see api/README.md, "Units and numbers")."""

from __future__ import annotations

from typing import Any


def as_int(value: Any) -> int | None:
    """12, "12" and 12.0 -> 12; None, "", booleans and garbage -> None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None
