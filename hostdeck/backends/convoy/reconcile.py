"""Reconcile instead of resend: after an unclear failure of a mutation, read the state back and say what was found.

"Unclear" comes in two strengths. When the panel answered (a 500/503 from Laravel, a garbled 200) one look is
enough. When nothing came back (timeout, reset) or a gateway gave up (502/504), the request may still be running
on the panel, so look a few times before concluding, and never claim "nothing was made" then.
"""

from __future__ import annotations

from ..errors import BackendError
from ..reconcile import look_again as look_again  # re-exported for the adapter
from ..reconcile import still_running


def nothing_found(exc: BackendError, finding: str, *, backend: str, operation: str) -> BackendError:
    """The original error, reworded with what the reconcile found (`finding`, e.g. "no account with x exists")."""
    if still_running(exc):
        text = (f"{exc.message} hostdeck looked again: {finding} yet, but the request may still be running on the "
                "panel; check again in a minute before trying again.")
    else:
        text = f"{exc.message} hostdeck checked: {finding}, so nothing was done; it is safe to try again."
    return type(exc)(text, backend=backend, operation=operation, http_status=exc.http_status, code=exc.code)


def check_failed(exc: BackendError, check: BackendError, *, backend: str, operation: str) -> BackendError:
    return type(exc)(f"{exc.message} hostdeck could not check what happened ({check.message}): look in the Convoy "
                     "panel before trying again.", backend=backend, operation=operation, http_status=exc.http_status,
                     code=exc.code)
