"""A grid's last rows, kept in the store's snapshots table and painted at once on the next visit while the screen
loads (stale while revalidate). Read with the stdlib sqlite3; written in a thread after the rows are painted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from .format import ago
from .widgets.grid import Grid
from .widgets.grid import Row

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from hostdeck.backends.workspace import Workspace

ALL = "*"  # the snapshot's backend column: these rows join several backends


def _key(value):
    return tuple(_key(v) for v in value) if isinstance(value, list) else value


def paint_cached(grid: Grid, workspace: Workspace, scope: str) -> str | None:
    """Show the rows kept for `scope` in an empty grid; returns their age in words ("cached 4 min ago"), or None."""
    if grid.total_count:
        return None
    try:
        from hostdeck.backends.inventory import cached

        found = cached(workspace, scope, [ALL])
        if not found or not found[0].rows:
            return None
        snapshot = found[0]
        rows = [Row(key=_key(r["key"]), cells=tuple(r["cells"]), styles=tuple(r["styles"]) if r.get("styles") else None,
                    row_style=r.get("row_style")) for r in snapshot.rows]
        grid.set_rows(rows)
    except Exception:  # noqa: BLE001 - a damaged cache is no cache: the screen loads as it would without one
        return None
    return f"cached {ago((datetime.now(UTC) - snapshot.fetched_at).total_seconds())}"


def keep_rows(node: DOMNode, workspace: Workspace, scope: str, rows: Iterable[Row]) -> None:
    """Keep these rows for the next visit (in a thread, once the screen has painted them)."""
    from hostdeck.backends.inventory import save

    payload = [{"key": row.key, "cells": [str(c) for c in row.cells],
                "styles": list(row.styles) if row.styles else None, "row_style": row.row_style} for row in rows]
    node.call_after_refresh(node.run_worker, partial(save, workspace, scope, ALL, payload), thread=True,
                            group=f"keep-{scope}", exclusive=True, exit_on_error=False,
                            description=f"Keep the {scope} list for the next start")
