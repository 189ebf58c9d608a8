"""An app started without a config, as a new user starts it: the welcome screen, and a config file to be written."""

from __future__ import annotations

import os
from pathlib import Path

from hostdeck.backends.config import Config
from hostdeck.backends.config import GeneralConfig
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.workspace import Workspace
from hostdeck.tui.app import HostdeckApp

from .settling import settle


def app_without_config(tmp_path: Path, monkeypatch, *, config: Config | None = None,
                       config_file: str | None = None) -> HostdeckApp:
    """`config_file`: the path the app names (a fixed one keeps snapshots the same); default: one in tmp_path."""
    monkeypatch.setenv("HOSTDECK_CONFIG", config_file or str(tmp_path / "config.toml"))
    for name in [k for k in os.environ if k.startswith("HOSTDECK_SECRET_")]:
        monkeypatch.delenv(name)
    workspace = Workspace(config or Config(path=None, general=GeneralConfig()), Secrets(), data_dir=tmp_path / "data")
    return HostdeckApp(workspace, demo=False, auto_refresh=False)


async def fill(app: HostdeckApp, pilot, **values: str) -> None:
    """Type into the add form's fields (`name`, `option_url`, `secret_token`, ...) and press Test and save."""
    from textual.widgets import Input

    for ident, value in values.items():
        app.screen.query_one("#" + ident.replace("_", "-", 1), Input).value = value
    await pilot.click("#save")
    await settle(app, pilot)
