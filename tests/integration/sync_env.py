"""A WHMCS and a Convoy simulator, their adapters, and a store: the world the client sync runs in."""

from __future__ import annotations

from pathlib import Path

from hostdeck.backends.config import DEFAULT_FIELD_MAPPING
from hostdeck.backends.store import Store
from hostdeck.backends.sync.clients import ClientSync

from . import cv
from . import wh


def make_sync(whmcs_sim, convoy_sim, db: Path, *, concurrency: int = 8, mapping=None) -> ClientSync:
    billing = wh.make_adapter(whmcs_sim)
    panel = cv.make_adapter(convoy_sim, max_concurrency=16)
    panel.config.max_concurrency = 16
    return ClientSync(billing, panel, Store(path=db), mapping=mapping or dict(DEFAULT_FIELD_MAPPING),
                      concurrency=concurrency)
