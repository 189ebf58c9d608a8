"""How often auto-refresh may run without eating a backend's rate-limit budget."""

from __future__ import annotations

from collections.abc import Iterable

# Auto-refresh may use at most this share of a backend's sustained request rate, leaving the rest for actions,
# other screens and other users of the same token.
REFRESH_SHARE = 0.25


def refresh_interval(configured: float, costs: Iterable[tuple[int, float | None]]) -> float:
    """The interval in seconds: the configured one, stretched so that each backend's refresh (cost in requests,
    sustained requests per second) stays within REFRESH_SHARE of its budget."""
    interval = configured
    for cost, rate in costs:
        if rate:
            interval = max(interval, cost / (rate * REFRESH_SHARE))
    return interval
