"""Reconcile instead of resend, shared by the adapters: after an unclear failure of a write, read the state back.

"Unclear" comes in two strengths. When the service answered (an error page, a garbled 200) one look is enough. When
nothing came back (timeout, reset) or a gateway gave up (502/504), the request may still be running over there, so
look a few times before concluding, and never claim "nothing was made" then. The wording of what was found stays
with each backend (its reconcile module).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
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
