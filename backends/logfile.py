"""The event log as JSON lines on disk (in the log dir), rotated by size. Events are redacted before they get here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from .models import Event

MAX_BYTES = 5 * 1024 * 1024
KEEP = 3


def append_events(directory: Path, events: Iterable[Event]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "hostdeck.log"
    if path.exists() and path.stat().st_size > MAX_BYTES:
        for n in range(KEEP - 1, 0, -1):
            older = directory / f"hostdeck.log.{n}"
            if older.exists():
                older.replace(directory / f"hostdeck.log.{n + 1}")
        path.replace(directory / "hostdeck.log.1")
    with path.open("a", encoding="utf-8") as fh:
        for event in events:
            fh.write(json.dumps(event.as_dict(), default=str) + "\n")
