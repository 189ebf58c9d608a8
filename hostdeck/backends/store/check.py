"""Checking the SQLite store before any remote call: it is a database, of a schema this hostdeck knows, and it can be
written. Stdlib only (no SQLAlchemy), so every command can afford it. Problems are a StoreError that names the file
and the fix; the folder is made 0700 and the files 0600 on the way."""

from __future__ import annotations

import shlex
import sqlite3
from pathlib import Path

from ..errors import ConfigError
from ..paths import private_dir
from ..paths import private_file
from ..paths import tighten_files
from .version import HEAD
from .version import LEGACY_LAST
from .version import is_newer

WAIT_SECONDS = 5.0  # as long as the store's busy timeout


class StoreError(ConfigError):
    """The store cannot be used: unreadable, not a database, a newer schema, read-only or locked."""

    category = "store"


def is_store_error(exc: BaseException) -> bool:
    """An error of the store itself (a StoreError, or one of the sqlite3, psycopg or SQLAlchemy layers), told apart
    without importing SQLAlchemy."""
    return isinstance(exc, StoreError) or any(cls.__module__.split(".")[0] in ("sqlite3", "sqlalchemy", "psycopg")
                                              for cls in type(exc).__mro__)


def sqlite_file(url: str) -> Path | None:
    """The file of a `sqlite:///path` URL (None for memory databases and other engines)."""
    if not url.startswith("sqlite:///") or url in ("sqlite:///", "sqlite:///:memory:"):
        return None
    return Path(url.removeprefix("sqlite:///").split("?", 1)[0])


def sidecars(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


ELSEWHERE = "or point HOSTDECK_DATA_DIR (or [general] database) at another folder."


def _corrupt(path: Path, detail: str) -> StoreError:
    move = f"mv {shlex.quote(str(path))} {shlex.quote(str(path) + '.broken')}"
    return StoreError(f"the store is not a readable SQLite database ({detail}).", path=str(path),
                      fix=f"restore it from a backup, or move it aside (`{move}`) and hostdeck starts an empty one (its "
                          f"sync map, site jobs and history stay in the old file); {ELSEWHERE}")


def _unwritable(path: Path, detail: str) -> StoreError:
    return StoreError(f"the store cannot be opened for writing ({detail}).", path=str(path),
                      fix="make the file and its folder writable for this user (see `ls -l`, `lsattr` for the immutable "
                          f"flag, or a read-only mount); {ELSEWHERE}")


def _locked(path: Path) -> StoreError:
    return StoreError(f"the store stayed locked by another process for {WAIT_SECONDS:.0f} s.", path=str(path),
                      fix="wait for the other hostdeck (a sync or a cron run) to finish, then run this again.")


def newer_schema(path: str, found: str) -> StoreError:
    return StoreError(f"the store has schema revision {found}, newer than this hostdeck knows ({HEAD}).", path=path,
                      fix=f"upgrade hostdeck to the version that wrote it; {ELSEWHERE}")


def stored_revision(conn: sqlite3.Connection) -> str | None:
    """The Alembic revision of a SQLite store; for one from before Alembic its hand-written version as "v<N>"; None
    for an empty file. Raises sqlite3 errors for a file that is not a store."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "alembic_version" in tables:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(row[0]) if row else None
    if "meta" in tables:
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return f"v{int(row[0])}" if row else None
    if tables:
        raise sqlite3.OperationalError("no such table: alembic_version")   # a database, but not hostdeck's
    return None


def _newer(found: str | None) -> bool:
    if found is None:
        return False
    if found.startswith("v"):
        return int(found[1:]) > LEGACY_LAST   # the hand-written versions from before Alembic
    return is_newer(found)


def check_sqlite(path: Path) -> str | None:
    """Check (and if missing, create empty and private) the store at `path`; returns its schema (`stored_revision`)."""
    path = Path(path)
    try:
        private_dir(path.parent)
        private_file(path)
    except OSError as exc:
        raise _unwritable(path, exc.strerror or type(exc).__name__) from None
    tighten_files(*sidecars(path))
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=WAIT_SECONDS, isolation_level=None)
    except sqlite3.Error as exc:
        raise _unwritable(path, str(exc)) from None
    try:
        try:
            found = stored_revision(conn)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise _locked(path) from None
            if str(exc).startswith("no such"):  # a database, but not hostdeck's
                raise _corrupt(path, str(exc)) from None
            raise _unwritable(path, str(exc)) from None  # e.g. its -wal or -shm cannot be made in a read-only folder
        except (sqlite3.DatabaseError, ValueError) as exc:
            raise _corrupt(path, str(exc)) from None
        if _newer(found):
            raise newer_schema(str(path), str(found))
        try:  # a real write, rolled back: what root, an immutable file or a read-only mount really allow
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("CREATE TABLE hostdeck_write_check (x)")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise _locked(path) from None
            raise _unwritable(path, str(exc)) from None
        except sqlite3.DatabaseError as exc:
            raise _corrupt(path, str(exc)) from None
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        return found
    finally:
        conn.close()
