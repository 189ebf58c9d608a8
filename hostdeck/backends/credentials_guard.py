"""The credential guard: a credential a backend rejected is not sent to it again, by any process, until it changes.

WHMCS bans an address after three failed logins, and other backends (fail2ban in front of SSH or a panel) do the
same, so every process that talks to a backend (the TUI, each CLI run, cron) consults one list of rejections kept in
the store's `credential_rejections` table. A rejection is kept as a keyed fingerprint, HMAC-SHA256 of the backend's
secret values with a random key that never leaves this machine (`<data dir>/credential.key`, 0600): the table
alone tells nothing about the secrets, not even whether a guess is right. A corrected secret has another fingerprint
and is used at once; an explicit `hostdeck test BACKEND` may send a rejected one once, and its success clears it.

Within one process the first request to a backend authenticates alone: the others wait for its answer, so a wrong
secret costs one rejected login, not one per page in flight. Across processes sharing a data dir, a first login holds
a file lock (`credential-<backend>.lock`), so two cron jobs started together do not both try a wrong secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import secrets as random_bytes
import sqlite3
import threading
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from .errors import AuthError
from .paths import private_dir
from .secrets import env_name
from .store import fast

if TYPE_CHECKING:
    from .events import EventLog

T = TypeVar("T")
KEY_FILE = "credential.key"
LOCK_WAIT = 120.0   # seconds a process waits for another's first login before it goes ahead anyway
REFUSED = "credential_rejected_before"
# AuthErrors that are a rejection without an HTTP status (an HTTP answer with one always is)
REJECTION_CODES = frozenset({"ssh_auth_failed"})


@dataclass(frozen=True, slots=True)
class Rejection:
    rejected_at: datetime
    message: str


# --------------------------------------------------------------------------- where rejections are kept


class Rejections:
    """The rejections of this process only (adapters built without a workspace, tests)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], Rejection] = {}
        self._lock = threading.Lock()
        self._key: bytes | None = None

    def key(self) -> bytes:
        if self._key is None:
            self._key = random_bytes.token_bytes(32)
        return self._key

    def fingerprint(self, backend: str, values: Mapping[str, str], identity: str = "") -> str:
        """`identity`: what else names the credential and is not secret (a Proxmox token id, an SSH user@host)."""
        message = "\0".join([backend, identity, *(f"{field}={values[field]}" for field in sorted(values))]).encode()
        return hmac.new(self.key(), message, hashlib.sha256).hexdigest()

    def find(self, backend: str, fingerprint: str) -> Rejection | None:
        with self._lock:
            return self._rows.get((backend, fingerprint))

    def record(self, backend: str, fingerprint: str, rejection: Rejection) -> bool:
        """True when kept for other processes too."""
        with self._lock:
            self._rows[(backend, fingerprint)] = rejection
        return False

    def clear(self, backend: str, fingerprint: str) -> None:
        with self._lock:
            self._rows.pop((backend, fingerprint), None)

    @contextlib.asynccontextmanager
    async def first_login(self, backend: str) -> AsyncIterator[None]:
        """Held while a process's first request to `backend` is in flight (other processes wait for its answer)."""
        yield


class StoredRejections(Rejections):
    """Rejections in the store, seen by every process. SQLite is read and written with the stdlib sqlite3 (no
    SQLAlchemy on the way to a request); a database URL (PostgreSQL) goes through the workspace's Store. A store that
    cannot be written keeps the rejection in this process and says so."""

    def __init__(self, data_dir: Path, *, db_path: Path | None = None, database_url: str | None = None,
                 store: Callable[[], Any] | None = None) -> None:
        """`db_path`: the workspace's SQLite file (`Workspace.database_file`); `data_dir` holds the key file."""
        super().__init__()
        self.data_dir = data_dir
        self.db_path = db_path or data_dir / "hostdeck.db"
        self.database_url = database_url
        self._store = store

    def key(self) -> bytes:
        if self._key is None:
            try:
                self._key = _load_or_create_key(self.data_dir / KEY_FILE)
            except OSError:   # an unreadable data dir (the store check names it): this process still guards itself
                self._key = random_bytes.token_bytes(32)
        return self._key

    def find(self, backend: str, fingerprint: str) -> Rejection | None:
        found = super().find(backend, fingerprint)
        if found is not None:
            return found
        if self.database_url:
            return self._find_sqlalchemy(backend, fingerprint)
        try:
            conn = fast.connect(self.db_path)
            if conn is None:
                return None
            try:
                row = conn.execute("SELECT rejected_at, message FROM credential_rejections WHERE backend = ? AND "
                                   "fingerprint = ?", (backend, fingerprint)).fetchone()
            finally:
                conn.close()
        except sqlite3.DatabaseError:   # no such table yet (an older schema), or not a database: nothing recorded
            return None
        return _rejection(*row) if row else None

    def record(self, backend: str, fingerprint: str, rejection: Rejection) -> bool:
        super().record(backend, fingerprint, rejection)
        try:
            if self.database_url:
                self._write_sqlalchemy(backend, fingerprint, rejection)
                return True
            if not self._write_sqlite(backend, fingerprint, rejection):
                self._open_store()          # creates or upgrades the schema (a cold path: SQLAlchemy is fine here)
                if not self._write_sqlite(backend, fingerprint, rejection):
                    return False
        except Exception:  # a broken store must not hide the rejection itself; the caller reports "not kept"
            return False
        with self._lock:                     # kept in the store now: the store decides from here on
            self._rows.pop((backend, fingerprint), None)
        return True

    def clear(self, backend: str, fingerprint: str) -> None:
        super().clear(backend, fingerprint)
        try:
            if self.database_url:
                from sqlalchemy import text

                with self._store().engine.begin() as conn:  # type: ignore[misc]
                    conn.execute(text("DELETE FROM credential_rejections WHERE backend = :b AND fingerprint = :f"),
                                 {"b": backend, "f": fingerprint})
                return
            conn = fast.connect(self.db_path)
            if conn is None:
                return
            try:
                conn.execute("DELETE FROM credential_rejections WHERE backend = ? AND fingerprint = ?",
                             (backend, fingerprint))
                conn.commit()
            finally:
                conn.close()
        except Exception:
            pass

    @contextlib.asynccontextmanager
    async def first_login(self, backend: str) -> AsyncIterator[None]:
        try:
            import fcntl
        except ImportError:   # not a POSIX system: one process at a time is not enforced
            yield
            return
        fd = None
        try:
            private_dir(self.data_dir)
            fd = os.open(self.data_dir / f"credential-{backend}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:   # an unwritable data dir: the store check reports it; this login goes ahead
            pass
        try:
            if fd is not None:
                waited = 0.0
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if waited >= LOCK_WAIT:
                            break
                        await asyncio.sleep(0.05)
                        waited += 0.05
            yield
        finally:
            if fd is not None:
                os.close(fd)   # closing releases the lock

    # the two engines -----------------------------------------------------------------------------------------------
    def _write_sqlite(self, backend: str, fingerprint: str, rejection: Rejection) -> bool:
        conn = fast.connect(self.db_path)
        if conn is None:
            return False
        try:
            conn.execute("INSERT OR REPLACE INTO credential_rejections (backend, fingerprint, message, rejected_at) "
                         "VALUES (?, ?, ?, ?)", (backend, fingerprint, rejection.message,
                                                   fast.sqlite_timestamp(rejection.rejected_at)))
            conn.commit()
            return True
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return False
            raise
        finally:
            conn.close()

    def _open_store(self) -> None:
        if self._store is not None:
            self._store()
            return
        from .store import Store

        Store(path=self.db_path).close()

    def _find_sqlalchemy(self, backend: str, fingerprint: str) -> Rejection | None:
        from sqlalchemy import text

        try:
            with self._store().engine.connect() as conn:  # type: ignore[misc]
                row = conn.execute(text("SELECT rejected_at, message FROM credential_rejections WHERE backend = :b AND "
                                        "fingerprint = :f"), {"b": backend, "f": fingerprint}).first()
        except Exception:
            return None
        return _rejection(row[0], row[1]) if row else None

    def _write_sqlalchemy(self, backend: str, fingerprint: str, rejection: Rejection) -> None:
        """Keyed by (backend, fingerprint): two processes rejected at once leave one row, the newer word."""
        from .store.tables import CredentialRejectionRow
        from .store.tables import tables_of
        from .store.upsert import upsert

        engine = self._store().engine  # type: ignore[misc]
        (table,) = tables_of(CredentialRejectionRow)
        with engine.begin() as conn:
            conn.execute(upsert(engine.dialect.name, table, ["backend", "fingerprint"]),
                         {"backend": backend, "fingerprint": fingerprint, "message": rejection.message,
                          "rejected_at": rejection.rejected_at.astimezone(UTC)})


def _rejection(rejected_at: Any, message: Any) -> Rejection:
    return Rejection(fast.parse_timestamp(rejected_at) or datetime.now(UTC), str(message or ""))


def _load_or_create_key(path: Path) -> bytes:
    """The local fingerprint key: 32 random bytes in a file only this user may read, made on first use. It appears
    whole or not at all (written aside, then linked into place), so a process starting at the same time reads the
    same key, never half of one."""
    key = _read_key(path)
    if key is not None:
        return key
    # missing or damaged: a new key only means old rejections no longer match (each costs one login again)
    private_dir(path.parent)
    aside = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(random_bytes.token_bytes(32).hex())
    try:
        try:
            os.link(aside, path)              # fails if another process got there first: theirs is used
        except FileExistsError:
            if _read_key(path) is None:       # a damaged key: replace it
                os.replace(aside, path)
    finally:
        aside.unlink(missing_ok=True)
    key = _read_key(path)
    if key is None:
        raise OSError(f"{path} could not be written")
    return key


def _read_key(path: Path) -> bytes | None:
    try:
        key = bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        return None
    except ValueError:
        return None
    return key if len(key) == 32 else None


# --------------------------------------------------------------------------- the guard


class CredentialGuard:
    """One backend's credentials in one process: refuses them when they were rejected before, lets the first request
    authenticate alone, and records a rejection for every process."""

    def __init__(self, backend: str, values: Mapping[str, str], book: Rejections, *, identity: str = "",
                 events: EventLog | None = None, change: str | None = None) -> None:
        self.backend = backend
        self.change = change   # how to change credentials that are not secrets hostdeck stores (an SSH key file)
        self.identity = identity
        self.fields = tuple(values)
        self._values = dict(values)
        self.book = book
        self.events = events
        self.accepted = False               # a request with these credentials got an answer other than "rejected"
        self._rejection: Rejection | None = None
        self._fingerprint: str | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._try_once = False

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = self.book.fingerprint(self.backend, self._values, self.identity)
        return self._fingerprint

    def same_credentials(self, values: Mapping[str, str], identity: str = "") -> bool:
        return dict(values) == self._values and identity == self.identity

    @property
    def secret_values(self) -> list[str]:
        return list(self._values.values())

    def allow_once(self, allowed: bool = True) -> None:
        """An explicit test: the next request may send these credentials once even though they were rejected."""
        self._try_once = allowed

    @property
    def rejection(self) -> Rejection | None:
        return self._rejection

    # the gate ------------------------------------------------------------------------------------------------------
    async def run(self, send: Callable[[], Awaitable[T]], *, operation: str,
                  judge: Callable[[T], AuthError | None] | None = None) -> T:
        """Send one request under the guard. `judge` finds a rejection in an answer the transport took as a success
        (WHMCS and Matomo say "wrong credentials" in a 200 body)."""
        if self.accepted:
            return await self._observe(send, judge)
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:   # a lock belongs to one event loop
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:             # the first request authenticates alone; the rest wait for its answer
            if not self.accepted:
                async with self.book.first_login(self.backend):   # and so does this process, among others
                    self.check(operation)
                    return await self._observe(send, judge)
        return await self._observe(send, judge)

    def check(self, operation: str) -> None:
        """Raise the refusal when these credentials were rejected (here or by another process) and not corrected."""
        found = self.book.find(self.backend, self.fingerprint)
        if found is None:
            self._rejection = None          # cleared meanwhile (an explicit test elsewhere succeeded)
            return
        self._rejection = found
        if self._try_once:
            self._try_once = False
            return
        raise self.refusal(operation)

    def refusal(self, operation: str) -> AuthError:
        rejection = self._rejection
        assert rejection is not None
        when = rejection.rejected_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        sets = " / ".join(f"`hostdeck secret set {self.backend} {f}`" for f in self.fields)
        envs = " / ".join(env_name(self.backend, f) for f in self.fields)
        change = self.change or f"set a new one with {sets} or the environment variable {envs}"
        if self.change is None and self._from_environment():
            change = f"change {envs}: it is set in this environment and overrides the keyring"
        said = f": {rejection.message.rstrip('.')}." if rejection.message else "."
        return AuthError(
            f"credentials rejected at {when}{said} They are not sent again until they change, because every failed "
            f"login counts towards the backend locking this machine out ({operation} was not sent). Fix: {change}; "
            f"once it is mended on the backend's side, "
            f"`hostdeck test {self.backend}` tries the current one once.",
            backend=self.backend, operation=operation, code=REFUSED,
            details={"rejected_at": rejection.rejected_at.isoformat()})

    def _from_environment(self) -> list[str]:
        """The environment variables among these credentials' sources (they win over the keyring, so the keyring fix
        alone would change nothing)."""
        return [name for name in (env_name(self.backend, f) for f in self.fields) if os.environ.get(name)]

    async def _observe(self, send: Callable[[], Awaitable[T]], judge: Callable[[T], AuthError | None] | None) -> T:
        try:
            answer = await send()
        except AuthError as exc:
            if is_rejection(exc):
                self._rejected(exc)
            raise
        failure = judge(answer) if judge is not None else None
        if failure is not None:   # a rejection said in a success answer (WHMCS, Matomo): raised here, like any other
            self._rejected(failure)
            raise failure
        self.accept()
        return answer

    def _rejected(self, exc: AuthError) -> None:
        """Record the rejection; when the value came from HOSTDECK_SECRET_…, say that is what to change."""
        self.reject(exc.message)
        if self.change is None and self._from_environment():
            exc.message += (f" The rejected value comes from {' / '.join(self._from_environment())}, which overrides "
                            "the keyring: change it there.")
            exc.args = (exc.message,)

    def accept(self) -> None:
        if not self.accepted:
            self.accepted = True
            if self._rejection is not None:   # an explicit retry of a rejected credential worked
                self.book.clear(self.backend, self.fingerprint)
                self._rejection = None

    def reject(self, message: str) -> None:
        self.accepted = False
        said = message.split(" Fix: ", 1)[0]   # the refusal names its own fix: the backend's is not repeated
        rejection = Rejection(datetime.now(UTC), _scrub(said, self._values.values())[:500])
        self._rejection = rejection
        kept = self.book.record(self.backend, self.fingerprint, rejection)
        if not kept and isinstance(self.book, StoredRejections) and self.events is not None:
            from .models import Event
            from .models import EventKind

            self.events.record(Event(backend=self.backend, kind=EventKind.AUDIT, level="warning",
                                     message="the credential rejection could not be written to the store; other "
                                             "processes may send the same credentials again."))


def is_rejection(exc: AuthError) -> bool:
    """The backend itself refused the credentials (not a local problem such as a missing passphrase or an unknown
    host key, which are AuthErrors too)."""
    return exc.code != REFUSED and (exc.http_status is not None or exc.code in REJECTION_CODES)


def _scrub(text: str, values: Any) -> str:
    from .redact import ValueRedactor

    return ValueRedactor(list(values)).text(text)
