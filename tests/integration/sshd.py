"""A real OpenSSH server for the CloudPanel tests: the system `sshd` on a free loopback port, with its own host key,
its own config in a temp dir (no PAM, key authentication only, the test's authorized_keys), and a `clpctl` test
double first on the PATH of every session (sshd's `SetEnv`). The double records its argv, one JSON line per call,
and answers like a tiny CloudPanel (templates, users, a vhost file per site in `vhost_dir`).

Tests using it are skipped, with the reason, only when /usr/sbin/sshd is absent.
"""

from __future__ import annotations

import getpass
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .net import free_port

SSHD = "/usr/sbin/sshd"
needs_sshd = pytest.mark.skipif(not Path(SSHD).exists(), reason=f"{SSHD} is not installed (apt-get install openssh-server)")

DOUBLE = '''#!{python}
"""clpctl test double: records argv as one JSON line, answers like a tiny CloudPanel."""
import json, os, sys

args = sys.argv[1:]
with open(os.environ["CLPCTL_DOUBLE_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\\n")
verb = args[0] if args else ""
options = dict(a[2:].split("=", 1) for a in args[1:] if a.startswith("--") and "=" in a)
vhosts = os.environ["CLPCTL_DOUBLE_VHOST_DIR"]
if verb == "vhost-templates:list":
    print("+------------+\\n| Name       |\\n+------------+\\n| Generic    |\\n| Laravel 12 |\\n+------------+")
elif verb == "user:list":
    print("+-----------+------------+-----------+------------------+-------+--------+")
    print("| User Name | First Name | Last Name | E-Mail           | Role  | Status |")
    print("+-----------+------------+-----------+------------------+-------+--------+")
    print("| john.doe  | John       | Doe       | john@example.com | Admin | Active |")
    print("+-----------+------------+-----------+------------------+-------+--------+")
elif verb.startswith("site:add:"):
    open(os.path.join(vhosts, options["domainName"] + ".conf"), "w").close()
    print("Site has been created.")
elif verb == "site:delete":
    os.remove(os.path.join(vhosts, options["domainName"] + ".conf"))
    print("Site has been deleted.")
else:
    print("Done.")
'''


LS_DOUBLE = '''#!{python}
import os, sys
if sys.argv[1:] == ["-1", "/usr/bin"]:
    print("\\n".join(["bash", "clpctl", "php8.3", "php8.4", "php-config8.4", "python3", "python3.10"]))
else:
    os.execv("/bin/ls", ["ls", *sys.argv[1:]])
'''


def keygen(path: Path, comment: str) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)], check=True)
    return path


def fingerprint_of(pub: Path) -> str:
    """`ssh-keygen -lf`'s SHA256 fingerprint: the one an administrator reads out on the server."""
    out = subprocess.run(["ssh-keygen", "-lf", str(pub)], check=True, capture_output=True, text=True).stdout
    return out.split()[1]


class Sshd:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = root / "bin"
        self.vhost_dir = root / "vhosts"
        self.log = root / "clpctl.jsonl"
        for d in (self.bin, self.vhost_dir):
            d.mkdir(parents=True)
        self.log.touch()
        self.user = getpass.getuser()
        self.client_key = keygen(root / "client_key", "hostdeck-test-client")
        (root / "authorized_keys").write_text((root / "client_key.pub").read_text())
        double = self.bin / "clpctl"
        double.write_text(DOUBLE.format(python=sys.executable))
        double.chmod(0o755)
        # `ls -1 /usr/bin` is how hostdeck reads a host's PHP and Python versions: this host has none, so the
        # session's `ls` answers for /usr/bin like a CloudPanel host would (anything else goes to the real ls)
        ls = self.bin / "ls"
        ls.write_text(LS_DOUBLE.format(python=sys.executable))
        ls.chmod(0o755)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.host_key = self.new_host_key()

    def new_host_key(self) -> Path:
        """Generate another host key; takes effect at the next start()."""
        n = len(list(self.root.glob("host_key_*.pub")))
        self.host_key = keygen(self.root / f"host_key_{n}", f"hostdeck-test-host-{n}")
        return self.host_key

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.host_key.with_suffix(".pub"))

    def config(self) -> Path:
        path = self.root / "sshd_config"
        path.write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {self.host_key}", f"PidFile {self.root}/sshd.pid",
            f"AuthorizedKeysFile {self.root}/authorized_keys", "PubkeyAuthentication yes", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "UsePAM no", "PermitRootLogin prohibit-password", "StrictModes no",
            "PrintMotd no", "LogLevel ERROR",
            f"SetEnv PATH={self.bin}:/usr/local/bin:/usr/bin:/bin CLPCTL_DOUBLE_LOG={self.log} "
            f"CLPCTL_DOUBLE_VHOST_DIR={self.vhost_dir}", ""]))
        return path

    def start(self) -> Sshd:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        config = self.config()
        subprocess.run([SSHD, "-t", "-f", str(config)], check=True, capture_output=True)
        self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited: {self.process.stderr.read().decode(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    if s.recv(8).startswith(b"SSH-"):
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("sshd did not answer within 10 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process.stderr.close()
            self.process = None

    def restart_with_new_host_key(self) -> None:
        self.stop()
        self.new_host_key()
        self.start()

    def calls(self) -> list[list[str]]:
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines() if line.strip()]

    def clear_calls(self) -> None:
        self.log.write_text("")


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    if not Path(SSHD).exists():
        pytest.skip(f"{SSHD} is not installed (apt-get install openssh-server)")
    server = Sshd(tmp_path_factory.mktemp("sshd")).start()
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)
