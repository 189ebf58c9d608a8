"""Reconcile instead of resend: after an unclear failure of addSite or deleteSite, read the state back and say what
was found.

When Matomo answered (an error page, a garbled 200) one look is enough. When nothing came back (timeout, reset) or a
gateway gave up (502/504), PHP may still be running the request, so look a few times before concluding, and never
claim "nothing was done" then.
"""

from __future__ import annotations

from ..errors import BackendError
from ..reconcile import LOOKS as LOOKS, look_again as look_again, still_running  # re-exported



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
