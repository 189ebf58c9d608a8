"""Database URLs: the driver a PostgreSQL URL needs, the password kept out of everything printed, and the password
added from the keyring (`hostdeck secret set database password`) when the URL has none. Stdlib only."""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
SECRET_BACKEND, SECRET_FIELD = "database", "password"   # the keyring entry (or HOSTDECK_SECRET_DATABASE_PASSWORD)
# the password runs to the last "@" before the host (an unescaped "@" in it is still masked whole)
_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][\w+.-]*://[^:/@\s]*):(?P<password>[^\s/]*)@")


def normalized(url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg 3 (SQLAlchemy would pick psycopg2, which hostdeck does not use)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql", "postgres:"))


def masked(url: str) -> str:
    """The URL with its password replaced by ***: the only way a database URL is ever shown."""
    return mask_text(url)


def mask_text(text: str) -> str:
    """Every `scheme://user:password@` in a text (an error message, a log line) with the password masked."""
    return _PASSWORD.sub(lambda m: f"{m['head']}:{MASK}@", text)


def has_password(url: str) -> bool:
    match = _PASSWORD.search(url)
    return bool(match and match["password"])


def password_fix(url: str, detail: str) -> str | None:
    """The fix when PostgreSQL asked for a password and none was given (libpq: "no password supplied"): the ways a
    password reaches the store, or a user that needs none. None for any other failure."""
    if not is_postgres(url) or "no password supplied" not in detail:
        return None
    return (f"give the store a password: `hostdeck secret set {SECRET_BACKEND} {SECRET_FIELD}` (or "
            f"HOSTDECK_SECRET_{SECRET_BACKEND.upper()}_{SECRET_FIELD.upper()} for cron), or a line for this host in "
            "PGPASSFILE (default ~/.pgpass, mode 0600); or put a user in [general] database that the server lets in "
            "without one (peer or trust in pg_hba.conf).")


def with_keyring_password(url: str, secrets: Any) -> tuple[str, str | None]:
    """A PostgreSQL URL without a password gets the keyring's (when one is set); returns the URL and the password
    added (for redaction). Without either, libpq reads PGPASSFILE or ~/.pgpass by itself."""
    if not is_postgres(url) or has_password(url) or secrets is None:
        return url, None
    try:
        password, _source = secrets.get(SECRET_BACKEND, SECRET_FIELD)
    except Exception:   # no keyring on this machine: PGPASSFILE is the other way
        return url, None
    if not password:
        return url, None
    from sqlalchemy.engine import make_url

    return make_url(url).set(password=password).render_as_string(hide_password=False), password
