"""The `clpctl` command lines hostdeck runs, built exactly as cloudpanel.md documents them.

Every builder validates its values (validate.py) and keeps the command as an argv tuple; the line sent over SSH is
that argv with each word passed through `shlex.quote` and joined by spaces, so the remote shell sees exactly these
words and nothing else. Passwords are unavoidably on the remote command line (CloudPanel has no other way); the
`masked()` form, which replaces them with `***`, is the only form hostdeck records anywhere.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Literal

from ..errors import ValidationError
from . import validate

SECRET_OPTIONS = ("siteUserPassword", "databaseUserPassword", "password")
MASK = "***"
DEFAULT_VHOST_DIR = "/etc/nginx/sites-enabled"
TimeoutClass = Literal["create", "certificate", "other"]
# Seconds, from cloudpanel.md: site:add:* and db:add 120 s, Let's Encrypt 300 s (ACME and DNS), others 60 s.
DEFAULT_TIMEOUTS: dict[str, float] = {"create": 120.0, "certificate": 300.0, "other": 60.0}
_SECRET_WORD = re.compile(r"^--(" + "|".join(SECRET_OPTIONS) + r")=")
_SECRET_IN_TEXT = re.compile(r"(--(?:" + "|".join(SECRET_OPTIONS) + r")=)('[^']*'|\"[^\"]*\"|\S+)")


@dataclass(frozen=True, slots=True)
class Command:
    """One remote command: its argv, what it does in plain words, and how it may be run."""

    operation: str                               # plain words for events and errors, e.g. "add PHP site a.com"
    argv: tuple[str, ...] = field(repr=False)
    timeout_class: TimeoutClass = "other"
    root: bool = True                            # needs root: prefixed with `sudo -n` when the login user is not root
    writes: bool = False                         # changes the host: never resent automatically
    secrets: tuple[str, ...] = field(default=(), repr=False)  # values to mask in anything recorded
    stdin: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for word in self.argv:
            if not isinstance(word, str) or "\x00" in word or "\n" in word or "\r" in word:
                raise ValidationError(f"refusing to send {self.operation}: a value contains a NUL or line break.",
                                      operation="validate", code="invalid_input")

    def words(self, sudo: bool) -> tuple[str, ...]:
        return (("sudo", "-n") if sudo and self.root else ()) + self.argv

    def line(self, sudo: bool) -> str:
        """The exact command line sent over SSH (contains passwords: never record it)."""
        return " ".join(shlex.quote(w) for w in self.words(sudo))

    def masked(self, sudo: bool = False) -> str:
        """The command line with password values replaced by `***`: the only form that is ever recorded."""
        out = []
        for word in self.words(sudo):
            found = _SECRET_WORD.match(word)
            out.append(shlex.quote(found.group(0)) + shlex.quote(MASK) if found else shlex.quote(word))
        return mask_text(" ".join(out), self.secrets)

    @property
    def name(self) -> str:
        """`clpctl site:add:php`, `test`, ...: the command without its values."""
        return " ".join(self.argv[:2]) if self.argv and self.argv[0] == "clpctl" else (self.argv[0] if self.argv else "")

    def __repr__(self) -> str:
        return f"Command({self.operation!r}, {self.masked()!r})"


@dataclass(frozen=True, slots=True)
class RawResult:
    """What came back from one remote command: exit status and output, not yet cleaned or masked."""

    exit_status: int
    stdout: str
    stderr: str
    duration_ms: float


def mask_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace known secret values and any `--…Password=value` in free text (output, error messages) with `***`."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
        quoted = shlex.quote(secret)
        if quoted != secret:
            text = text.replace(quoted, MASK)
    return _SECRET_IN_TEXT.sub(lambda m: m.group(1) + MASK, text)


def _opt(name: str, value: object) -> str:
    return f"--{name}={value}"


def _clpctl(operation: str, verb: str, *options: str, timeout_class: TimeoutClass = "other", writes: bool = False,
            secrets: tuple[str, ...] = ()) -> Command:
    return Command(operation, ("clpctl", verb, *options), timeout_class=timeout_class, writes=writes, secrets=secrets)


# sites ----------------------------------------------------------------------------------------------------------------
def _site_user_options(site_user: str, password: str) -> tuple[tuple[str, str], str]:
    user = validate.site_user(site_user)
    secret = validate.password(password, "site user password")
    return (_opt("siteUser", user), _opt("siteUserPassword", secret)), secret


def site_add_static(domain: str, site_user: str, password: str) -> Command:
    d = validate.domain(domain)
    user_opts, secret = _site_user_options(site_user, password)
    return _clpctl(f"add static site {d}", "site:add:static", _opt("domainName", d), *user_opts,
                   timeout_class="create", writes=True, secrets=(secret,))


def site_add_php(domain: str, php_version: str, vhost_template: str, site_user: str, password: str,
                 known_templates: tuple[str, ...] | list[str] | None = None) -> Command:
    d = validate.domain(domain)
    version = validate.php_version(php_version)
    template = validate.vhost_template(vhost_template, known_templates)
    user_opts, secret = _site_user_options(site_user, password)
    return _clpctl(f"add PHP site {d}", "site:add:php", _opt("domainName", d), _opt("phpVersion", version),
                   _opt("vhostTemplate", template), *user_opts, timeout_class="create", writes=True, secrets=(secret,))


def site_add_nodejs(domain: str, nodejs_version: str, app_port: int | str, site_user: str, password: str) -> Command:
    return _site_add_app("Node.js", "nodejs", validate.nodejs_version, domain, nodejs_version, app_port, site_user,
                         password)


def site_add_python(domain: str, python_version: str, app_port: int | str, site_user: str, password: str) -> Command:
    return _site_add_app("Python", "python", validate.python_version, domain, python_version, app_port, site_user,
                         password)


def _site_add_app(label: str, runtime: str, check_version: Callable[[str], str], domain: str, version: str,
                  app_port: int | str, site_user: str, password: str) -> Command:
    """`site:add:<runtime>`: an application site behind a reverse proxy on `app_port`."""
    d = validate.domain(domain)
    checked = check_version(version)
    port = validate.app_port(app_port)
    user_opts, secret = _site_user_options(site_user, password)
    return _clpctl(f"add {label} site {d}", f"site:add:{runtime}", _opt("domainName", d),
                   _opt(f"{runtime}Version", checked), _opt("appPort", port), *user_opts, timeout_class="create",
                   writes=True, secrets=(secret,))


def site_add_reverse_proxy(domain: str, reverse_proxy_url: str, site_user: str, password: str) -> Command:
    d = validate.domain(domain)
    url = validate.reverse_proxy_url(reverse_proxy_url)
    user_opts, secret = _site_user_options(site_user, password)
    return _clpctl(f"add reverse proxy site {d}", "site:add:reverse-proxy", _opt("domainName", d),
                   _opt("reverseProxyUrl", url), *user_opts, timeout_class="create", writes=True, secrets=(secret,))


def install_certificate(domain: str, alternative_names: Iterable[str] = ()) -> Command:
    d = validate.domain(domain)
    alt = validate.alternative_names(list(alternative_names), d)
    options = [_opt("domainName", d)] + ([_opt("subjectAlternativeName", ",".join(alt))] if alt else [])
    return _clpctl(f"install Let's Encrypt certificate for {d}", "lets-encrypt:install:certificate", *options,
                   timeout_class="certificate", writes=True)


def site_delete(domain: str) -> Command:
    """Always with --force: without it clpctl waits for `yes` on stdin."""
    d = validate.domain(domain)
    return _clpctl(f"delete site {d}", "site:delete", _opt("domainName", d), "--force", writes=True)


def vhost_exists(domain: str, vhost_dir: str = DEFAULT_VHOST_DIR) -> Command:
    """`test -f <vhost_dir>/<domain>.conf`: exit 0 when the site's nginx vhost is there. Runs without sudo (the file
    is world-readable and sudo may be allowed for clpctl only)."""
    d = validate.domain(domain)
    directory = validate.remote_path(vhost_dir, "vhost_dir")
    return Command(f"check whether site {d} exists", ("test", "-f", f"{directory}/{d}.conf"), root=False)


# users, databases, templates, presence ---------------------------------------------------------------------------------
def user_list() -> Command:
    return _clpctl("list panel users", "user:list")


def user_reset_password(user: str, password: str) -> Command:
    name = validate.panel_user(user)
    secret = validate.password(password)
    return _clpctl(f"reset the password of panel user {name}", "user:reset:password", _opt("userName", name),
                   _opt("password", secret), writes=True, secrets=(secret,))


def db_add(domain: str, database: str, database_user: str, password: str) -> Command:
    d = validate.domain(domain)
    name = validate.database_name(database)
    user = validate.database_user(database_user)
    secret = validate.password(password, "database user password")
    return _clpctl(f"add database {name} to {d}", "db:add", _opt("domainName", d), _opt("databaseName", name),
                   _opt("databaseUserName", user), _opt("databaseUserPassword", secret), timeout_class="create",
                   writes=True, secrets=(secret,))


def vhost_templates_list() -> Command:
    return _clpctl("list vhost templates", "vhost-templates:list")


def clpctl_present() -> Command:
    """`command -v clpctl`: a path and exit 0 on a CloudPanel host. A shell builtin, so never under sudo."""
    return Command("look for clpctl", ("command", "-v", "clpctl"), root=False)
