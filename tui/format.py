"""Small formatting helpers shared by the screens."""

from __future__ import annotations


def age_text(seconds: float | None) -> str:
    """How old something is, in words that do not change every second (stable for snapshots too)."""
    if seconds is None:
        return "age unknown"
    if seconds < 60:
        return "just now"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min old"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h old"
    return f"{seconds / 86400:.0f} days old"
