"""Reading the shape of an answer: a field that should hold an object, as a dict (empty when it holds anything else)."""

from __future__ import annotations

from typing import Any


def as_mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
