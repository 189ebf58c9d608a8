"""Running the `hostdeck` command line in a child process, as a person would, with an environment of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NO_KEYRING = "keyring.backends.null.Keyring"
FILE_KEYRING = "tests.memkeyring.FileKeyring"


def cli_env(*, config: Path | None = None, data: Path | None = None, keyring: str | None = NO_KEYRING,
            keyring_file: Path | None = None, **settings: str) -> dict[str, str]:
    """None of the caller's HOSTDECK_ settings; the repository on PYTHONPATH; a keyring that is never the OS one
    (`keyring_file`: the tests' file keyring, kept in that file); then `settings` (secrets as HOSTDECK_SECRET_...)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTDECK_")}
    env["PYTHONPATH"] = str(ROOT)
    if config is not None:
        env["HOSTDECK_CONFIG"] = str(config)
    if data is not None:
        env["HOSTDECK_DATA_DIR"] = str(data)
    if keyring_file is not None:
        keyring = FILE_KEYRING
        env["HOSTDECK_TEST_KEYRING_FILE"] = str(keyring_file)
    if keyring is not None:
        env["PYTHON_KEYRING_BACKEND"] = keyring
    env.update(settings)
    return env


def run_cli(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 120,
            text: bool = True) -> subprocess.CompletedProcess[Any]:
    """`hostdeck <args>` in the repository, its output captured (bytes when not `text`)."""
    return subprocess.run([sys.executable, "-m", "hostdeck.cli.main", *args], env=env, cwd=ROOT, capture_output=True,
                          text=text, input=stdin, timeout=timeout)


def demo_env(tmp_path: Path) -> dict[str, str]:
    """A `--demo` run's environment with a data dir of the test's own, so what it wrote can be read afterwards."""
    return cli_env(data=tmp_path / "data", XDG_CONFIG_HOME=str(tmp_path / "xdg"))


def store_rows(env: dict[str, str], sql: str) -> list[Any]:
    """Rows of the store the run of `env` wrote (`demo_env`)."""
    import sqlite3

    with sqlite3.connect(Path(env["HOSTDECK_DATA_DIR"]) / "hostdeck.db") as conn:
        return conn.execute(sql).fetchall()


def sim_env(tmp_path: Path, sim: Any, backend: str, token: str, *, kind: str = "hetzner", **options: Any) -> dict[str, str]:
    """The environment of a run against one simulator: a config naming it as backend `backend` (lower case) with
    `options`, its token in HOSTDECK_SECRET_<BACKEND>_TOKEN, and a data dir and file keyring of the test's own."""
    config = tmp_path / "config.toml"
    extra = "".join(f"{key} = {value!r}\n" if isinstance(value, str) else f"{key} = {value}\n"
                    for key, value in {"action_poll_seconds": 0.05, **options}.items())
    config.write_text(f'[[backends]]\nname = "{backend.lower()}"\nkind = "{kind}"\nurl = "{sim.base_url}"\n{extra}')
    return cli_env(config=config, data=tmp_path / "data", keyring_file=tmp_path / "keyring.json",
                   XDG_CONFIG_HOME=str(tmp_path / "xdg"), **{f"HOSTDECK_SECRET_{backend.upper()}_TOKEN": token})
