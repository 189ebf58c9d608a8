"""Reconcile instead of resend: after an unclear failure of a write, read the state back and say what was found.

When WHMCS answered (a 500 page, a garbled 200) one look is enough. When nothing came back (timeout, reset) or a
gateway gave up (502/504), PHP may still be running the request, so look a few times before concluding, and never
claim "nothing was done" then.
"""

from __future__ import annotations

from ..errors import BackendError
from ..reconcile import could_not_check
from ..reconcile import look_again as look_again  # re-exported for the adapter
from ..reconcile import may_still_run
from ..reconcile import reworded
from ..reconcile import still_running


def unclear(exc: BackendError, finding: str, *, backend: str, operation: str, safe_to_retry: bool) -> BackendError:
    """The original error, reworded with what the read-back found (`finding`)."""
    if safe_to_retry and not still_running(exc):
        return reworded(exc, f"{exc.message} hostdeck checked: {finding}, so nothing was done; it is safe to try again.",
                        backend=backend, operation=operation)
    return may_still_run(exc, finding, backend=backend, operation=operation)


def check_failed(exc: BackendError, check: BackendError, *, backend: str, operation: str) -> BackendError:
    return could_not_check(exc, check, "WHMCS", backend=backend, operation=operation)
