"""One run at a time: a sync that writes (client push/update, panel sync) holds an exclusive lock next to its
SQLite store, so cron and the TUI never run the same sync side by side. With a shared PostgreSQL store the lock
is per machine only."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ConflictError


def _lock_dir(store: Any) -> Path | None:
    url = str(getattr(store, "url", ""))
    if not url.startswith("sqlite:///"):
        return None
    return Path(url.removeprefix("sqlite:///")).parent


@contextlib.contextmanager
def sync_lock(store: Any, name: str) -> Iterator[None]:
    directory = _lock_dir(store)
    if directory is None:
        yield
        return
    from ..paths import open_private

    path = directory / f"{name}.lock"
    with open_private(path, "a+") as fh:  # 0600: it names the process that holds it
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise ConflictError(f"another {name.replace('-', ' ')} is running ({holder}); wait for it to finish, or "
                                "stop it (a stopped sync is finished by the next run).", operation=name) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)
