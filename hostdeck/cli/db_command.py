"""`hostdeck db status|upgrade|copy`: the store's engine and schema revision, upgrading it, and moving a SQLite store
into PostgreSQL. A database URL is only ever printed with its password masked."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import Any

from .context import CommandContext
from .output import emit_json
from .output import say
from .output import table
from .output import warn


def _url(ws: Any) -> str:
    return ws.config.general.database or f"sqlite:///{ws.database_file}"


@contextlib.contextmanager
def _opened(ws: Any, url: str, *, upgrade: bool) -> Iterator[Any]:
    """The store at `url`, closed after; a database error inside is a StoreError naming it (password masked)."""
    from sqlalchemy.exc import SQLAlchemyError

    from hostdeck.backends.store import Store

    store = Store(url, secrets=ws.secrets, upgrade=upgrade)
    try:
        yield store
    except SQLAlchemyError as exc:
        raise store.failure(exc) from None
    finally:
        store.close()


def _schema_of(store: Any) -> str | None:
    """The revision, or for a SQLite store from before Alembic its hand-written version ("v4")."""
    revision = store.revision()
    if revision is None and store.path is not None:
        import sqlite3

        from hostdeck.backends.store.check import stored_revision

        conn = sqlite3.connect(store.path)
        try:
            return stored_revision(conn)
        finally:
            conn.close()
    return revision


def db_status(args: argparse.Namespace) -> int:
    """What the store is and which schema it has. Like every command, it opens the store, which brings an older schema
    to the newest revision; `upgraded_from` says when that happened now."""
    from hostdeck.backends.store.urls import masked
    from hostdeck.backends.store.version import HEAD

    with CommandContext(args, check_store=False) as ws:
        with _opened(ws, _url(ws), upgrade=False) as store:
            found = _schema_of(store)
            if found != HEAD:
                store.upgrade()
            doc = {"engine": store.engine_name, "url": masked(store.url), "schema": store.revision(), "latest": HEAD,
                   "upgraded_from": found if found != HEAD else None}
    if args.json:
        emit_json(doc)
    else:
        for key in ("engine", "url", "schema", "latest"):
            say(f"{key:8} {doc[key]}")
        if doc["upgraded_from"] is not None or found is None:
            say(f"upgraded from {found or 'an empty store'} to {HEAD}")
    return 0 if doc["schema"] == HEAD else 1


def db_upgrade(args: argparse.Namespace) -> int:
    from hostdeck.backends.store.urls import masked
    from hostdeck.backends.store.version import HEAD

    with CommandContext(args, check_store=False) as ws:
        with _opened(ws, _url(ws), upgrade=False) as store:
            found = _schema_of(store)
            store.upgrade()
            now = store.revision()
            where = masked(store.url)
    doc = {"url": where, "from": found, "to": now, "latest": HEAD, "changed": found != now}
    if args.json:
        emit_json(doc)
    elif found == now:
        say(f"the store is at the newest schema ({now}): nothing to do.")
    else:
        say(f"upgraded the store from {found or 'an empty store'} to {now}.")
    return 0 if now == HEAD else 1


def db_copy(args: argparse.Namespace) -> int:
    from hostdeck.backends.store.copy import TableCopy
    from hostdeck.backends.store.copy import copy_store
    from hostdeck.backends.store.urls import has_password
    from hostdeck.backends.store.urls import masked
    from hostdeck.backends.store.urls import normalized

    target_url = normalized(args.to)
    if has_password(target_url):
        warn("the URL has a password, which other users of this machine can read in the process list: prefer "
             "`hostdeck secret set database password` or a PGPASSFILE entry.")
    with CommandContext(args, check_store=False) as ws:
        source_url = _url(ws)
        if normalized(source_url) == target_url:
            warn("the target is the store itself: nothing to copy.")
            return 2
        def progress(done: TableCopy) -> None:
            if not args.json:
                warn(f"{done.table}: {done.read} read, {done.written} written")

        with _opened(ws, source_url, upgrade=True) as source, _opened(ws, target_url, upgrade=True) as target:
            copied = copy_store(source, target, progress)
    doc = {"from": masked(source_url), "to": masked(target_url), "tables": [c.as_dict() for c in copied]}
    if args.json:
        emit_json(doc)
    else:
        table(["table", "read", "written", "already there"],
              [[c.table, c.read, c.written, c.already_there] for c in copied])
        say(f"copied {masked(source_url)} into {masked(target_url)}; running it again adds only what is new.")
    return 0


def add_db_parser(sub: Any, cmd: Any) -> None:
    """`hostdeck db ...` (registered by cli/main.py's build_parser)."""
    db = sub.add_parser("db", help="the store: engine and schema revision, upgrade, copy SQLite into PostgreSQL")
    dsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    cmd("status", "db_status", "the store's engine, URL (password masked), schema revision and the newest", True, dsub)
    cmd("upgrade", "db_upgrade", "bring the store's schema to the newest revision", True, dsub)
    p = cmd("copy", "db_copy", "copy every table of this store into another (e.g. the team's PostgreSQL); safe to run "
            "again: only what is missing is added", True, dsub)
    p.add_argument("--to", required=True, metavar="URL", help="the target database, e.g. postgresql+psycopg://user@host/db "
                   "(the password from `hostdeck secret set database password` or PGPASSFILE)")
