"""One run at a time: a sync that writes (client push/update, panel sync) or a site pipeline holds a lock, so two
consoles and a cron job never run the same job side by side. On PostgreSQL it is an advisory lock, which holds across
every machine on the store; on SQLite an exclusive file lock next to the store (one machine shares one file). A second
run is told who holds it (user@host, since when) and stops with a ConflictError."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import ConflictError


def _lock_dir(store: Any) -> Path | None:
    url = str(getattr(store, "url", ""))
    if not url.startswith("sqlite:///"):
        return None
    return Path(url.removeprefix("sqlite:///")).parent


def _busy(name: str, holder: str) -> ConflictError:
    return ConflictError(f"another {name.replace('-', ' ')} is running ({holder}); wait for it to finish, or stop it "
                         "(a stopped run is finished by the next one).", operation=name)


@contextlib.contextmanager
def sync_lock(store: Any, name: str, *, sqlite: bool = True) -> Iterator[None]:
    """`sqlite=False`: on SQLite, no lock (a job that took none before there was a shared store)."""
    from ..contract import _actor

    if getattr(store, "is_postgres", False):
        from ..store.advisory import LockHeld
        from ..store.advisory import advisory_lock

        try:
            with advisory_lock(store.engine, name, _actor()):
                yield
        except LockHeld as held:
            raise _busy(name, held.holder) from None
        return
    directory = _lock_dir(store) if sqlite else None
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
            raise _busy(name, fh.read().strip() or "another process") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{_actor()}, pid {os.getpid()}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%SZ}")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)
