"""Starting the TUI: build the workspace (the user's config or the demo simulators) and run the app."""

from __future__ import annotations

import argparse


def run_app(args: argparse.Namespace) -> int:
    from .cli.context import CommandContext

    with CommandContext(args) as workspace:
        from .app import HostdeckApp

        app = HostdeckApp(workspace, demo=bool(getattr(args, "demo", False)))
        app.run()
        return app.return_code or 0
