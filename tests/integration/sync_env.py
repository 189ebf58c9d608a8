"""A WHMCS and a Convoy simulator, their adapters, and a store: the world the client sync runs in."""

from __future__ import annotations

from pathlib import Path

from hostdeck.backends.config import DEFAULT_FIELD_MAPPING
from hostdeck.backends.store import Store
from hostdeck.backends.sync.clients import ClientSync

from . import cv
from . import wh


def make_sync(whmcs_sim, convoy_sim, db: Path | str, *, concurrency: int = 8, mapping=None) -> ClientSync:
    """`db`: a SQLite file, or a database URL (PostgreSQL)."""
    billing = wh.make_adapter(whmcs_sim)
    panel = cv.make_adapter(convoy_sim, max_concurrency=16)
    panel.config.max_concurrency = 16
    store = Store(db) if isinstance(db, str) else Store(path=db)
    return ClientSync(billing, panel, store, mapping=mapping or dict(DEFAULT_FIELD_MAPPING),
                      concurrency=concurrency)


def write_sync_config(path: Path, whmcs_sim, convoy_sim, *, concurrency: int, database: str | None = None) -> Path:
    """A config naming the two simulators as the sync's billing ("billing") and panel ("vps"); `database`: a store
    URL under [general] (else the data dir's SQLite file)."""
    general = f'[general]\ndatabase = "{database}"\n\n' if database else ""
    path.write_text(f"""{general}[sync]
billing = "billing"
panel = "vps"
concurrency = {concurrency}

[[backends]]
name = "billing"
kind = "whmcs"
url = "{whmcs_sim.base_url}"

[[backends]]
name = "vps"
kind = "convoy"
url = "{convoy_sim.base_url}"
poll_seconds = 0.05
""")
    return path
