"""Small formatting helpers shared by the screens."""

from __future__ import annotations


def _span(seconds: float) -> str | None:
    """'4 min', '3 h', '2 days'; None under a minute. Coarse, so the words do not change every second."""
    if seconds < 60:
        return None
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def age_text(seconds: float | None) -> str:
    """How old something is: 'just now', '4 min old' (stable for snapshots too)."""
    if seconds is None:
        return "age unknown"
    span = _span(seconds)
    return f"{span} old" if span else "just now"


def ago(seconds: float, *, fine: bool = False) -> str:
    """When something was fetched: 'just now', '4 min ago', '3 h ago', '2 days ago'. `fine`: seconds under a minute
    ('12 s ago'), for the command line, whose output does not need to stay still."""
    span = _span(seconds)
    if span:
        return f"{span} ago"
    return f"{seconds:.0f} s ago" if fine else "just now"
