"""Data dir and log dir 0700; database (with its -wal and -shm), log, lock and known_hosts files 0600, whatever the
umask; existing wider ones tightened when hostdeck opens them. Each case runs in a subprocess with its own umask."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, os, stat, sys
from pathlib import Path
os.umask(int(sys.argv[2], 8))
data = Path(sys.argv[1])
from hostdeck.backends.store import Store
from hostdeck.backends.logfile import append_events
from hostdeck.backends.models import Event, EventKind
from hostdeck.backends.sync.lock import sync_lock
from hostdeck.backends.cloudpanel.hostkeys import KnownHosts

store = Store(path=data / "hostdeck.db")
store.add_events([Event(backend="hz", kind=EventKind.API, message="x")])
modes = {}
def mode(p):
    return oct(stat.S_IMODE(os.stat(p).st_mode))
with store.engine.connect() as conn:   # -wal and -shm exist while a connection is open
    for name in ("hostdeck.db", "hostdeck.db-wal", "hostdeck.db-shm"):
        modes[name] = mode(data / name)
append_events(data / "logs", [Event(backend="hz", kind=EventKind.API, message="y")])
with sync_lock(store, "client-sync"):
    modes["client-sync.lock"] = mode(data / "client-sync.lock")
with KnownHosts(data / "ssh" / "known_hosts")._locked():
    modes["ssh/.known_hosts.lock"] = mode(data / "ssh" / ".known_hosts.lock")
modes["ssh"] = mode(data / "ssh")
modes["."] = mode(data)
modes["logs"] = mode(data / "logs")
modes["logs/hostdeck.log"] = mode(data / "logs" / "hostdeck.log")
print(json.dumps(modes))
"""

EXPECTED = {"hostdeck.db": "0o600", "hostdeck.db-wal": "0o600", "hostdeck.db-shm": "0o600", "client-sync.lock": "0o600",
            "ssh/.known_hosts.lock": "0o600", "ssh": "0o700", ".": "0o700", "logs": "0o700",
            "logs/hostdeck.log": "0o600"}


def _modes(data: Path, umask: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTDECK_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(data), umask], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("umask", ["022", "000"])
def test_new_files_are_private_whatever_the_umask(tmp_path, umask):
    assert _modes(tmp_path / "data", umask) == EXPECTED


def test_existing_wide_files_are_tightened(tmp_path):
    data = tmp_path / "data"
    _modes(data, "022")
    os.chmod(data, 0o755)
    for name in ("hostdeck.db", "client-sync.lock", "logs/hostdeck.log", "ssh/.known_hosts.lock"):
        os.chmod(data / name, 0o644)
    os.chmod(data / "logs", 0o777)
    (data / "hostdeck.db-wal").write_bytes(b"")  # a leftover sidecar with the umask's mode
    os.chmod(data / "hostdeck.db-wal", 0o666)
    assert _modes(data, "000") == EXPECTED


def test_known_hosts_written_and_loaded_private(tmp_path):
    from hostdeck.backends.cloudpanel.hostkeys import KnownHosts

    path = tmp_path / "ssh" / "known_hosts"
    path.parent.mkdir(mode=0o755)
    path.write_text("")
    os.chmod(path, 0o644)
    KnownHosts(path).load()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_shared_sticky_folder_is_left_alone(tmp_path):
    from hostdeck.backends.paths import private_dir

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    private_dir(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    private_dir(shared / "mine")
    assert stat.S_IMODE((shared / "mine").stat().st_mode) == 0o700
