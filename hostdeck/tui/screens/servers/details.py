"""The Servers screen's details pane as `Text`: built from data only (no Textual here)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Any

from rich.text import Text

from ...safe_text import as_text
from ...safe_text import visible

if TYPE_CHECKING:
    from hostdeck.backends.models import Event
    from hostdeck.backends.models import Server

DETAIL_LIMIT = 2_000  # characters of one value in the details pane; a 10,000-character name is clipped
RAW_LINE_LIMIT = 4_000


def details_text(server: Server, sections: list[tuple[str, Any]], events: Iterable[Event]) -> Text:
    """Everything from the backend as plain `Text` (never markup), control characters shown escaped: the server's
    fields and labels, the adapter's (and billing's) detail sections, this session's actions on it, its raw record."""
    text = Text()
    text.append_text(as_text(server.name, "bold", limit=DETAIL_LIMIT))
    text.append("  ")
    text.append_text(as_text(f"{server.backend} · id {server.id}", "dim", limit=DETAIL_LIMIT))
    text.append("\n\n")
    for key, value in server.summary().items():
        if key in ("backend", "id", "name", "labels") or value in (None, "", {}):
            continue
        text.append(f"{key:16}", "dim")
        text.append(" ")
        if isinstance(value, bool):   # as people write it, not Python's True/False
            value = "yes" if value else "no"
        text.append_text(as_text(value, limit=DETAIL_LIMIT))
        text.append("\n")
    if server.labels:
        text.append("labels\n", "dim")
        for k, v in sorted(server.labels.items()):
            text.append_text(as_text(f"  {k}={v}", limit=DETAIL_LIMIT))
            text.append("\n")
    for title, rows in sections:
        text.append("\n")
        text.append_text(as_text(title, "bold", limit=DETAIL_LIMIT))
        text.append("\n")
        for k, v in rows:
            text.append_text(as_text(f"{visible(k, limit=DETAIL_LIMIT):16}", "dim"))
            text.append(" ")
            text.append_text(as_text(v, limit=DETAIL_LIMIT))
            text.append("\n")
    events = [e for e in events if e.target == server.id and e.backend == server.backend]
    text.append("\nRecent actions\n", "bold")
    for e in events[-8:]:
        text.append(f"{e.ts:%H:%M:%S} ")
        text.append_text(as_text(e.message, limit=DETAIL_LIMIT))
        text.append("\n")
    if not events:
        text.append("none in this session\n", "dim")
    text.append("\nRaw record\n", "bold")
    # json.dumps escapes control characters itself; long values are clipped line by line
    raw = json.dumps(server.raw, indent=2, default=str)
    clipped = "\n".join(visible(line, limit=RAW_LINE_LIMIT) for line in raw.splitlines())
    text.append_text(as_text(clipped, multiline=True))
    return text
