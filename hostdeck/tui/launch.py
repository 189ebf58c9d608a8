"""Starting the TUI: build the workspace (the user's config or the demo simulators) and run the app."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import HostdeckApp


def run_app(args: argparse.Namespace) -> int:
    from ..cli.context import CommandContext

    context = CommandContext(args, defer_demo=True)
    with context as workspace:
        from .app import HostdeckApp

        # The demo simulators start in a thread after the first paint.
        prepare = context.demo.start if context.demo is not None else None
        app = HostdeckApp(workspace, demo=context.demo is not None, prepare=prepare)
        return run(app)


def run(app: HostdeckApp, **options) -> int:
    """Run the app; after a crash, print its short report (the log file's path), never a traceback."""
    app.run(**options)
    if app.crash_report:
        sys.stderr.write(app.crash_report)
    return app.return_code or 0
