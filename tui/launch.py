"""Starting the TUI: build the workspace (the user's config or the demo simulators) and run the app."""

from __future__ import annotations

import argparse


def run_app(args: argparse.Namespace) -> int:
    from .cli.context import CommandContext

    context = CommandContext(args, defer_demo=True)
    with context as workspace:
        from .app import HostdeckApp

        # The demo simulators start in a thread after the first paint.
        prepare = context.demo.start if context.demo is not None else None
        app = HostdeckApp(workspace, demo=context.demo is not None, prepare=prepare)
        app.run()
        return app.return_code or 0
