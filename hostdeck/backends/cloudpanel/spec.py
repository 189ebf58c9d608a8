"""What a CloudPanel site, database or panel user is made of, and what the adapter hands back."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from dataclasses import field

from ..errors import ValidationError
from ..models import Site
from . import commands
from . import validate
from .commands import Command

# No quotes or backslashes: easy to copy; `!#%+=@^_.-` are quoted safely anyway (commands.py).
PASSWORD_SYMBOLS = "!#%+=@^_.-"


def new_password(length: int = 24) -> str:
    """A strong random password from `secrets`: lower, upper, digit and symbol, never starting with '-'."""
    if length < 12:
        raise ValueError("a password needs at least 12 characters")
    pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits, PASSWORD_SYMBOLS]
    alphabet = "".join(pools)
    rng = secrets.SystemRandom()
    while True:
        chars = [rng.choice(pool) for pool in pools] + [rng.choice(alphabet) for _ in range(length - len(pools))]
        rng.shuffle(chars)
        value = "".join(chars)
        if value[0].isalnum():
            return value


@dataclass(slots=True)
class SiteSpec:
    """A new site. Only the fields of its `kind` are used; the site user password is generated when not given."""

    domain: str
    kind: str                                  # static | php | nodejs | python | reverse-proxy
    site_user: str
    php_version: str = "8.3"
    vhost_template: str = "Generic"
    nodejs_version: str = "22"
    python_version: str = "3.12"
    app_port: int | None = None                # nodejs default 3000, python default 8080
    reverse_proxy_url: str | None = None
    site_user_password: str | None = field(default=None, repr=False)

    def command(self, password: str, known_templates: tuple[str, ...] | list[str] | None = None) -> Command:
        """The `clpctl site:add:<kind>` command for this spec (validates every field it uses)."""
        kind = validate.site_kind(self.kind)
        if kind == "static":
            return commands.site_add_static(self.domain, self.site_user, password)
        if kind == "php":
            return commands.site_add_php(self.domain, self.php_version, self.vhost_template, self.site_user, password,
                                         known_templates)
        if kind == "nodejs":
            return commands.site_add_nodejs(self.domain, self.nodejs_version, self.app_port or 3000, self.site_user, password)
        if kind == "python":
            return commands.site_add_python(self.domain, self.python_version, self.app_port or 8080, self.site_user, password)
        if not self.reverse_proxy_url:
            raise ValidationError("a reverse proxy site needs its target URL, e.g. http://127.0.0.1:8000.",
                                  operation="validate", code="invalid_input")
        return commands.site_add_reverse_proxy(self.domain, self.reverse_proxy_url, self.site_user, password)

    @property
    def runtime(self) -> str | None:
        return {"php": f"PHP {self.php_version}", "nodejs": f"Node.js {self.nodejs_version}",
                "python": f"Python {self.python_version}"}.get(self.kind)


@dataclass(slots=True)
class SiteResult:
    """A site that was made (and confirmed by its vhost file). The site user password is shown once, never stored."""

    site: Site
    spec: SiteSpec
    site_user_password: str = field(repr=False)
    confirmed: bool = True                     # the vhost file was found afterwards
    message: str = ""


@dataclass(slots=True)
class DatabaseResult:
    """A database that was added. The password is shown once, never stored."""

    backend: str
    domain: str
    database: str
    user: str
    password: str = field(repr=False)


@dataclass(slots=True)
class PanelUser:
    """A row of `clpctl user:list` (the output format is not documented: parsed from its table)."""

    user_name: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    role: str = ""
    status: str = ""
    raw: dict[str, str] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, str]:
        return {"user_name": self.user_name, "email": self.email, "first_name": self.first_name,
                "last_name": self.last_name, "role": self.role, "status": self.status}
