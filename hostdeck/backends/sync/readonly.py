"""Read-only mode in the sync engines: anything that would write the sync map is refused up front, before any
request and before any row (not even an error row) is written."""

from __future__ import annotations

from typing import Any

from ..errors import ReadOnlyError


def refuse_in_read_only(adapter: Any, operation: str) -> None:
    """`adapter`: the engine's billing adapter (every adapter of a workspace shares its read-only flag)."""
    if getattr(adapter, "read_only", False):
        raise ReadOnlyError(f"read-only mode is on: {operation} refused; the sync map was not changed.",
                            operation=operation)
