"""Run as a script: start the TUI headless as `hostdeck` does (config from HOSTDECK_CONFIG, store in HOSTDECK_DATA_DIR)
and print, as JSON, which heavy modules are loaded at the moment the first server row is drawn."""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace

HEAVY = ("sqlalchemy", "sqlmodel", "paramiko", "httpx")


def main() -> None:
    from hostdeck.cli.context import CommandContext
    from hostdeck.tui.widgets.grid import Grid

    seen: dict = {}
    draw_row = Grid._render_row

    def first_row(grid, position, line_width):
        if not seen and grid.id == "servers-grid":
            seen["heavy"] = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
            seen["rows"] = grid.total_count
            seen["status"] = grid.get_row(grid.cursor_row_key).cells[2]
            grid.app.call_later(grid.app.exit, 0)
        return draw_row(grid, position, line_width)

    Grid._render_row = first_row
    with CommandContext(SimpleNamespace(demo=False, read_only=False, config=None)) as workspace:
        from hostdeck.tui.app import HostdeckApp

        app = HostdeckApp(workspace)
        app.run(headless=True)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
