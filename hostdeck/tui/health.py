"""A backend's health, read from the event log: every API call, every failure and every connection test passes there.

The header shows the latest word of each backend: an answer means ok, no answer or a 5xx failing, a refusal degraded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hostdeck.backends.models import Event


def health_from(event: Event) -> tuple[str, str] | None:
    """(state, detail) this event says about its backend, or None when it says nothing about health."""
    explicit = event.detail.get("health") if isinstance(event.detail, dict) else None
    if explicit:
        return explicit, "" if explicit == "ok" else event.message
    if event.kind != "api":
        return None
    status = event.status
    if status is None:
        if event.level == "info":
            return "ok", ""  # an SSH command that ran (SSH has no status code)
        if event.level == "warning":
            return None
        return "failing", event.message  # not reachable, timed out, connection dropped
    if status >= 500 or status == 401:
        return "failing", event.message
    if status in (403, 429):
        return "degraded", event.message
    return "ok", ""  # it answered (a 404 or a validation error is about the request, not the backend)
