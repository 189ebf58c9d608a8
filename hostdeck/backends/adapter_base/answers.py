"""Errors every HTTP backend words alike, named for the service: a server error, a proxy's rate limit, a URL that
is not the API."""

from __future__ import annotations

from ..errors import BackendError
from ..errors import ProtocolError
from ..errors import RateLimitedError
from ..errors import UnavailableError


def server_error(service: str, status: int, message: str | None, *, always_retry: bool = False) -> UnavailableError:
    """HTTP 5xx. Resent when a gateway gave up or the service is busy (502-504), or always when `always_retry`."""
    said = f": {message}" if message else ""
    return UnavailableError(f"{service} had a server error (HTTP {status}{said}); try again shortly.", http_status=status,
                            code="server_error", retryable=always_retry or status in (502, 503, 504))


def proxy_rate_limited(service: str) -> RateLimitedError:
    """HTTP 429 from a service that has no rate limit of its own: a proxy in front of it said so."""
    return RateLimitedError(f"a proxy in front of {service} is rate limiting this client (429).", http_status=429,
                            code="rate_limited", retryable=True)


def not_an_api(exc: ProtocolError, *, service: str, endpoint: str, operation: str, backend: str,
               redirect_note: str = "", web_page: bool = False) -> BackendError:
    """A redirect or a web page where the API should answer: the configured URL is not the installation's root (the
    folder that holds `endpoint`). `web_page`: the answer was a page even with a success status."""
    status = exc.http_status
    if status in (301, 302, 303, 307, 308):
        return ProtocolError(f"{service} redirected {operation} (HTTP {status}) instead of answering it. Fix: set url "
                             f"to the {service} root as the browser shows it after redirects (https://, the folder that "
                             f"holds {endpoint}){redirect_note}.", backend=backend, operation=operation,
                             http_status=status)
    if status in (404, 405) or web_page:
        return ProtocolError(f"there is no {service} API at this URL ({operation} answered HTTP {status} with a web "
                             f"page). Fix: set url to the {service} root, the folder that holds {endpoint}.",
                             backend=backend, operation=operation, http_status=status)
    return exc
