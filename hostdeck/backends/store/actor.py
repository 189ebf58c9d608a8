"""Who this process acts for, as the shared audit trail names it: the OS user at this machine ("alice@console2").
Stdlib only, worked out once per process."""

from __future__ import annotations

import functools
import getpass
import socket


@functools.cache
def current_actor() -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):   # no login name in the environment and none for this uid
        user = "unknown"
    return f"{user}@{socket.gethostname().split('.')[0] or 'localhost'}"
