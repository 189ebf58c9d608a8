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
