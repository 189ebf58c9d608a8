"""Building the workspace a command runs in: the user's config, or freshly started simulators with --demo."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from hostdeck.backends.config import load_config
from hostdeck.backends.secrets import secrets_for
from hostdeck.backends.workspace import Workspace

if TYPE_CHECKING:
    from hostdeck.backends.demo import DemoEnvironment


class CommandContext:
    def __init__(self, args: argparse.Namespace, *, defer_demo: bool = False, check_store: bool = True) -> None:
        """`defer_demo`: plan the demo but leave starting the simulators to the caller (`self.demo.start()`).
        `check_store`: check the store before anything is sent (a StoreError naming the file and the fix)."""
        self.args = args
        self.defer_demo = defer_demo
        self.check_store = check_store
        self.demo: DemoEnvironment | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.workspace: Workspace | None = None

    def __enter__(self) -> Workspace:
        read_only = bool(getattr(self.args, "read_only", False))
        if getattr(self.args, "demo", False):
            from hostdeck.backends.demo import plan_demo

            demo = self.demo = plan_demo(servers=getattr(self.args, "demo_servers", 300), read_only=read_only)
            if not self.defer_demo:
                demo.start()
            import os

            data_dir = None
            if not os.environ.get("HOSTDECK_DATA_DIR"):
                # A demo run keeps nothing: its store lives in a temporary folder.
                self._tmp = tempfile.TemporaryDirectory(prefix="hostdeck-demo-")
                data_dir = Path(self._tmp.name)
            self.workspace = Workspace(demo.config, demo.secrets, read_only=read_only, data_dir=data_dir)
        else:
            config = load_config(getattr(self.args, "config", None))
            self.workspace = Workspace(config, secrets_for(config), read_only=read_only)
        if self.check_store:
            try:
                self.workspace.check_store()
            except BaseException:
                self.__exit__(None, None, None)
                raise
        return self.workspace

    def __exit__(self, *exc) -> None:
        if self.workspace is not None:
            self.workspace.close_store()
            from .output import warn

            for problem in self.workspace.record_problems:
                warn(f"{problem} (whatever was done above is done).")
        if self.demo is not None:
            self.demo.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
def no_backends_message() -> str:
    """What to do when the config names no backend (the config file's path included)."""
    from hostdeck.backends import paths

    where, _found = paths.config_path()
    return (f"no backends configured: add [[backends]] tables to {where} (see the README), point HOSTDECK_CONFIG at "
            "a config, or try `hostdeck --demo` and `hostdeck sim` (which prints a config for its simulators).")
