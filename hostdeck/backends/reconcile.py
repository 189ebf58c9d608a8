"""Reconcile instead of resend, shared by the adapters: after an unclear failure of a write, read the state back.

"Unclear" comes in two strengths. When the service answered (an error page, a garbled 200) one look is enough. When
nothing came back (timeout, reset) or a gateway gave up (502/504), the request may still be running over there, so
look a few times before concluding, and never claim "nothing was made" then. The wording of what was found stays
with each backend (its reconcile module).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from collections.abc import Callable
from typing import TypeVar

from .errors import BackendError

T = TypeVar("T")
LOOKS = 3


def still_running(exc: BackendError) -> bool:
    """True when the service may still be processing the request after the client gave up on it."""
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


def reworded(exc: BackendError, text: str, *, backend: str, operation: str) -> BackendError:
    """The original error (its type, status and code) saying what the read-back found."""
    return type(exc)(text, backend=backend, operation=operation, http_status=exc.http_status, code=exc.code)


def may_still_run(exc: BackendError, finding: str, *, backend: str, operation: str) -> BackendError:
    return reworded(exc, f"{exc.message} It was not sent again. hostdeck checked: {finding}; the request may still be "
                    "running or may have failed, so check again before trying it again.", backend=backend,
                    operation=operation)


def could_not_check(exc: BackendError, check: BackendError, where: str, *, backend: str,
                    operation: str) -> BackendError:
    return reworded(exc, f"{exc.message} It was not sent again, and hostdeck could not check what happened "
                    f"({check.message}): look in {where} before trying again.", backend=backend, operation=operation)
