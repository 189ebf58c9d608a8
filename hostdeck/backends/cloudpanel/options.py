"""The `[[backends]]` keys of a CloudPanel backend, checked with the file, the key and the fix on error.

    [[backends]]
    name = "web1"
    kind = "cloudpanel"
    host = "web1.example.com"
    # port = 22
    # user = "root"                       # a sudoer works too: commands then run as `sudo -n clpctl ...`
    # key_file = "~/.ssh/hostdeck_ed25519"  # default: ssh-agent and ~/.ssh keys, like `ssh`
    # auth = "key"                        # or "password" (secret field `password`); keys use `key_passphrase`
    # sudo = true                         # default: true unless user = "root"
    # host_key_fingerprint = "SHA256:..." # trust this key without `hostdeck cloudpanel trust`
    # vhost_dir = "/etc/nginx/sites-enabled"
    # connect_timeout = 10; command_timeout = 60; create_timeout = 120; certificate_timeout = 300
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from ..config import BackendConfig
from ..errors import ConfigError
from ..errors import ValidationError
from . import validate
from .commands import DEFAULT_TIMEOUTS
from .commands import DEFAULT_VHOST_DIR
from .hostkeys import normalise_fingerprint

_HOST = re.compile(r"^[A-Za-z0-9.:_-]{1,253}$")
_USER = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")
_FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")
TIMEOUT_KEYS = {"command_timeout": "other", "create_timeout": "create", "certificate_timeout": "certificate"}


@dataclass(slots=True)
class CloudPanelOptions:
    host: str
    port: int = 22
    user: str = "root"
    key_file: str | None = None
    auth: str = "key"
    sudo: bool = False
    pinned: tuple[str, ...] = ()
    vhost_dir: str = DEFAULT_VHOST_DIR
    connect_timeout: float = 10.0
    timeouts: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TIMEOUTS))

    @property
    def secret_field(self) -> str:
        return "password" if self.auth == "password" else "key_passphrase"


def secret_field_of(config: BackendConfig) -> str:
    """The one secret this backend uses, known without checking the rest of the options."""
    return "password" if config.option("auth") == "password" else "key_passphrase"


def parse_options(config: BackendConfig) -> CloudPanelOptions:
    where = f"backends.{config.name}"

    def bad(key: str, message: str, fix: str) -> ConfigError:
        return ConfigError(message, key=f"{where}.{key}", fix=fix)

    host = config.option("host")
    if not isinstance(host, str) or not _HOST.match(host):
        raise bad("host", f"host {host!r} is missing or not a host name or IP address.",
                  'write the CloudPanel server, e.g. host = "web1.example.com".')
    port = config.option("port", 22)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise bad("port", f"port {port!r} is not a port number.", "write a whole number from 1 to 65535 (SSH: 22).")
    user = config.option("user", "root")
    if not isinstance(user, str) or not _USER.match(user):
        raise bad("user", f"user {user!r} is not a Unix user name.", 'write the SSH login, e.g. user = "root".')
    key_file = config.option("key_file")
    if key_file is not None and (not isinstance(key_file, str) or not key_file.strip()):
        raise bad("key_file", "key_file must be a path.", 'write the private key file, e.g. key_file = "~/.ssh/id_ed25519".')
    auth = config.option("auth", "key")
    if auth not in ("key", "password"):
        raise bad("auth", f"auth {auth!r} is not known.", 'write auth = "key" (default) or auth = "password".')
    sudo = config.option("sudo", user != "root")
    if not isinstance(sudo, bool):
        raise bad("sudo", f"sudo {sudo!r} is not true or false.", "write sudo = true or sudo = false.")
    raw_pins = config.option("host_key_fingerprint", ())
    raw_pins = [raw_pins] if isinstance(raw_pins, str) else raw_pins
    if not isinstance(raw_pins, (list, tuple)) or not all(isinstance(p, str) for p in raw_pins):
        raise bad("host_key_fingerprint", "host_key_fingerprint must be a string or a list of strings.",
                  'write host_key_fingerprint = "SHA256:..." as `ssh-keygen -lf` prints it.')
    pins = tuple(normalise_fingerprint(p) for p in raw_pins)
    for pin in pins:
        if not _FINGERPRINT.match(pin):
            raise bad("host_key_fingerprint", f"{pin!r} is not a SHA-256 key fingerprint.",
                      'write it as `ssh-keygen -lf` prints it, e.g. "SHA256:" followed by 43 characters.')
    try:
        vhost_dir = validate.remote_path(config.option("vhost_dir", DEFAULT_VHOST_DIR), "vhost_dir")
    except ValidationError as exc:
        raise bad("vhost_dir", exc.message, 'write an absolute path, e.g. "/etc/nginx/sites-enabled".') from None
    opts = CloudPanelOptions(host=host, port=port, user=user, key_file=key_file, auth=auth, sudo=sudo, pinned=pins,
                             vhost_dir=vhost_dir)
    opts.connect_timeout = _seconds(config, "connect_timeout", opts.connect_timeout, bad)
    for key, cls in TIMEOUT_KEYS.items():
        opts.timeouts[cls] = _seconds(config, key, opts.timeouts[cls], bad)
    return opts


def _seconds(config: BackendConfig, key: str, default: float, bad: Callable[[str, str, str], ConfigError]) -> float:
    value = config.option(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 3600:
        raise bad(key, f"{key} {value!r} is not a number of seconds.", f"write seconds from 0 to 3600, e.g. {default:g}.")
    return float(value)
