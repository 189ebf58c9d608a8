"""Reconcile instead of resend: after an unclear failure of addSite or deleteSite, read the state back and say what
was found.

When Matomo answered (an error page, a garbled 200) one look is enough. When nothing came back (timeout, reset) or a
gateway gave up (502/504), PHP may still be running the request, so look a few times before concluding, and never
claim "nothing was done" then.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, TypeVar

from ..errors import BackendError

T = TypeVar("T")
LOOKS = 3


def still_running(exc: BackendError) -> bool:
    """True when Matomo may still be processing the request after the client gave up on it."""
    return exc.http_status is None or exc.http_status in (502, 504)


async def look_again(check: Callable[[], Awaitable[T | None]], exc: BackendError, *, spacing: float) -> T | None:
    tries = LOOKS if still_running(exc) else 1
    for n in range(tries):
        found = await check()
        if found is not None:
            return found
        if n < tries - 1:
            await asyncio.sleep(spacing)
    return None


def unclear(exc: BackendError, finding: str, *, backend: str, operation: str) -> BackendError:
    """The original error, reworded with what the read-back found (`finding`)."""
    if not still_running(exc):
        text = (f"{exc.message} It was not sent again. hostdeck checked: {finding}, so nothing was done; it is safe to "
                "try again.")
    else:
        text = (f"{exc.message} It was not sent again. hostdeck checked: {finding}; the request may still be running "
                "or may have failed, so check again before trying it again.")
    return type(exc)(text, backend=backend, operation=operation, http_status=exc.http_status, code=exc.code)


def check_failed(exc: BackendError, check: BackendError, *, backend: str, operation: str) -> BackendError:
    return type(exc)(f"{exc.message} It was not sent again, and hostdeck could not check what happened "
                     f"({check.message}): look in Matomo before trying again.", backend=backend, operation=operation,
                     http_status=exc.http_status, code=exc.code)
