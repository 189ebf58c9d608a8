"""Another process's write lock on the store, taken while the command under test is in the middle of its work."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class StoreLockThief:
    """`take()` (from a simulator's request hook, any thread) starts an exclusive transaction on `db` the first time
    it is called, as another process would, and holds it until `release()`. `taken` says whether it happened."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self._conn: sqlite3.Connection | None = None
        self._guard = threading.Lock()
        self.taken = False

    def take(self) -> None:
        with self._guard:
            if not self.taken:
                self._conn = sqlite3.connect(self.db, check_same_thread=False, isolation_level=None)
                self._conn.execute("BEGIN EXCLUSIVE")
                self.taken = True

    def release(self) -> None:
        with self._guard:
            if self._conn is not None:
                self._conn.execute("ROLLBACK")
                self._conn.close()
                self._conn = None
