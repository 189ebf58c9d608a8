"""Errors every HTTP backend words alike: a server error and a proxy's rate limit, named for the service."""

from __future__ import annotations

from ..errors import RateLimitedError, UnavailableError


def server_error(service: str, status: int, message: str | None, *, always_retry: bool = False) -> UnavailableError:
    """HTTP 5xx. Resent when a gateway gave up or the service is busy (502-504), or always when `always_retry`."""
    said = f": {message}" if message else ""
    return UnavailableError(f"{service} had a server error (HTTP {status}{said}); try again shortly.", http_status=status,
                            code="server_error", retryable=always_retry or status in (502, 503, 504))


def proxy_rate_limited(service: str) -> RateLimitedError:
    """HTTP 429 from a service that has no rate limit of its own: a proxy in front of it said so."""
    return RateLimitedError(f"a proxy in front of {service} is rate limiting this client (429).", http_status=429,
                            code="rate_limited", retryable=True)
