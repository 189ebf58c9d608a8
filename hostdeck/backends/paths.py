"""Where hostdeck keeps its config, data and logs (DESIGN.md: config and HOSTDECK_DATA_DIR), and keeping them private:
directories 0700 and files 0600 whatever the umask, wider modes of existing ones tightened when hostdeck opens them."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO
from typing import Any

APP = "hostdeck"
DIR_MODE = 0o700
FILE_MODE = 0o600


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


def _tighten(path: Path, mode: int) -> None:
    """Drop the group and other bits of an existing path we own. A path we may not change (another owner, an
    immutable file) is left as it is: opening it for writing then fails with its own clear error."""
    try:
        st = path.stat()
        if stat.S_IMODE(st.st_mode) & 0o077 and st.st_uid == os.geteuid():
            os.chmod(path, stat.S_IMODE(st.st_mode) & mode)
    except (FileNotFoundError, PermissionError):
        return


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as 0700; an existing one is tightened to 0700."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        os.chmod(path, DIR_MODE)  # mkdir's mode passes through the umask
    elif not path.stat().st_mode & stat.S_ISVTX:  # never a shared sticky folder such as /tmp
        _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Make sure `path` exists as a 0600 file (created empty when missing, tightened when wider)."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        _tighten(path, FILE_MODE)
        return path
    try:
        os.fchmod(fd, FILE_MODE)  # os.open's mode passes through the umask
    finally:
        os.close(fd)
    return path


def open_private(path: Path, mode: str = "a", encoding: str | None = "utf-8") -> IO[Any]:
    """`open()` for a file only its owner may read: created 0600 (not 0666 minus the umask), tightened when wider."""
    private_file(path)
    return open(path, mode, encoding=encoding)


def tighten_files(*paths: Path) -> None:
    """Tighten existing files (e.g. a database's -wal and -shm) to 0600; missing ones are skipped."""
    for path in paths:
        _tighten(Path(path), FILE_MODE)
