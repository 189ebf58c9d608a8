"""Run by test_crash.py in a subprocess: the real app, whose handler crashes while a server record is in its locals."""

from __future__ import annotations

import sys
from pathlib import Path

from hostdeck.backends.config import Config
from hostdeck.backends.config import GeneralConfig
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.workspace import Workspace
from hostdeck.tui.app import HostdeckApp
from hostdeck.tui.launch import run

SENTINEL = "LOCALS-SENTINEL-root-pw-4411"


class CrashingApp(HostdeckApp):
    def on_ready(self) -> None:
        super().on_ready()
        self.set_timer(0.05, self.highlight)

    def highlight(self) -> None:
        record = {"name": "old [x=1", "root_password": SENTINEL}  # what a handler holds when it meets a bad name
        raise ValueError(f"cannot render row {record['name']!r}")


def main(data_dir: str, stock: bool) -> int:
    if stock:  # the control: Textual's own crash output, with locals
        from textual.app import App

        CrashingApp._fatal_error = App._fatal_error
    workspace = Workspace(Config(path=None, general=GeneralConfig()), Secrets(overlay={}), data_dir=Path(data_dir))
    app = CrashingApp(workspace, initial_mode="connections", auto_refresh=False)
    return run(app, headless=True, size=(100, 30))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], "--stock" in sys.argv))
