"""The event log as JSON lines on disk (in the log dir), rotated by size. Events are redacted before they get here.

The folder is 0700 and every log file 0600, whatever the umask."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from .models import Event
from .paths import open_private
from .paths import private_dir
from .paths import tighten_files

MAX_BYTES = 5 * 1024 * 1024
KEEP = 3
NAME = "hostdeck.log"


def append_events(directory: Path, events: Iterable[Event]) -> Path:
    """Append the events; returns the file written."""
    private_dir(directory)
    path = directory / NAME
    if path.exists() and path.stat().st_size > MAX_BYTES:
        for n in range(KEEP - 1, 0, -1):
            older = directory / f"{NAME}.{n}"
            if older.exists():
                older.replace(directory / f"{NAME}.{n + 1}")
        path.replace(directory / f"{NAME}.1")
    tighten_files(*(directory / f"{NAME}.{n}" for n in range(1, KEEP + 1)))
    with open_private(path, "a") as fh:
        for event in events:
            fh.write(json.dumps(event.as_dict(), default=str) + "\n")
    return path
