"""Where hostdeck keeps its config, data and logs (DESIGN.md: config and HOSTDECK_DATA_DIR)."""

from __future__ import annotations

import os
from pathlib import Path

APP = "hostdeck"


def config_path(explicit: str | os.PathLike[str] | None = None) -> tuple[Path, bool]:
    """The config file and whether the user named it (a named file must exist)."""
    if explicit:
        return Path(explicit).expanduser(), True
    env = os.environ.get("HOSTDECK_CONFIG")
    if env:
        return Path(env).expanduser(), True
    import platformdirs

    return Path(platformdirs.user_config_dir(APP)) / "config.toml", False


def data_dir() -> Path:
    env = os.environ.get("HOSTDECK_DATA_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP))


def log_dir() -> Path:
    if os.environ.get("HOSTDECK_DATA_DIR"):
        return data_dir() / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP))


def database_path() -> Path:
    return data_dir() / "hostdeck.db"
