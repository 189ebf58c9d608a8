"""Checks on every value that goes into a remote `clpctl` command line, made before anything is sent.

Each check returns the value exactly as it will be sent (domains as lower-case ASCII/punycode) or raises a
ValidationError in plain words. Quoting (`shlex.quote`) happens afterwards, in `commands.py`; these checks make
sure nothing surprising needs quoting in the first place, except in passwords and vhost template names.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

from ..errors import ValidationError

# Versions are checked for their form here; which ones a host offers is read from the host (runtimes.py): the lists
# change with every CloudPanel release and differ per OS.
_PHP_VERSION = re.compile(r"^[5-9]\.\d{1,2}$")
_NODEJS_VERSION = re.compile(r"^[1-9]\d?$")
_PYTHON_VERSION = re.compile(r"^3\.\d{1,2}$")
SITE_KINDS = ("static", "php", "nodejs", "python", "reverse-proxy")

# \Z, not $: $ also matches before a final newline
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{2,31}\Z")  # hostdeck's own rule for site users and databases (cloudpanel.md)
_PANEL_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
_TEMPLATE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._+-]| (?=[^ ]))*\Z")
_URL_PATH = re.compile(r"^[A-Za-z0-9._/%-]*\Z")
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._/-]*\Z")
RESERVED_USERS = frozenset({"root", "clp", "daemon", "bin", "sys", "sync", "games", "man", "mail", "news", "proxy",
                            "backup", "nobody", "www-data", "nginx", "mysql", "proftpd", "ubuntu", "debian", "admin",
                            "sshd", "systemd-network", "messagebus", "varnish", "redis", "postfix"})
# Scripts whose letters look alike: one label mixing two of them is almost always a lookalike (homograph).
_CONFUSABLE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"})
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _fail(what: str, value: object, problem: str) -> ValidationError:
    return ValidationError(f"invalid {what} {_show(value)}: {problem}.", operation="validate", code="invalid_input")


def _show(value: object) -> str:
    """The value for a message, with invisible and control characters made visible."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join(c if c.isprintable() and unicodedata.category(c) not in _BAD_CATEGORIES else f"\\u{ord(c):04x}"
                   for c in text[:80])
    return repr(text + ("..." if isinstance(value, str) and len(value) > 80 else ""))


def _hidden_characters(value: str) -> str | None:
    for c in value:
        cat = unicodedata.category(c)
        if cat in _BAD_CATEGORIES or (cat.startswith("Z") and c != " "):
            return f"it contains the invisible or control character U+{ord(c):04X}"
    return None


def _scripts(label: str) -> set[str]:
    found = set()
    for c in label:
        if c.isalpha():
            try:
                found.add(unicodedata.name(c).split(" ")[0])
            except ValueError:
                found.add("UNKNOWN")
    return found


def _require_str(what: str, value: object) -> str:
    if not isinstance(value, str):
        raise _fail(what, value, f"expected text, got {type(value).__name__}")
    return value


# domains ------------------------------------------------------------------------------------------------------------
def domain(value: object, what: str = "domain name") -> str:
    """A DNS name as CloudPanel and nginx will see it: IDNA 2008 (UTS 46) to punycode, lower case, RFC 1123 labels,
    at least two labels, a non-numeric top-level label. Anything else is refused, never repaired."""
    text = _require_str(what, value)
    if not text:
        raise _fail(what, text, "it is empty")
    if text != text.strip():
        raise _fail(what, text, "it has spaces around it")
    problem = _hidden_characters(text)
    if problem or " " in text:
        raise _fail(what, text, problem or "it contains a space")
    if text.endswith("."):
        raise _fail(what, text, "remove the trailing dot")
    if text.startswith("*"):
        raise _fail(what, text, "wildcards are not site names")
    for label in text.split("."):
        scripts = _scripts(label) & _CONFUSABLE_SCRIPTS
        if len(scripts) > 1:
            raise _fail(what, text, f"the part {label!r} mixes {' and '.join(sorted(s.title() for s in scripts))} "
                                    "letters (a lookalike of another name?)")
    if text.isascii():
        ascii_name = text.lower()
    else:
        import idna  # lazy; comes with httpx

        try:
            ascii_name = idna.encode(text, uts46=True, std3_rules=True, transitional=False).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise _fail(what, text, f"it is not a valid international domain name ({exc})") from None
    if len(ascii_name) > 253:
        raise _fail(what, text, "it is longer than 253 characters")
    labels = ascii_name.split(".")
    if len(labels) < 2:
        raise _fail(what, text, "it needs at least two parts, like example.com")
    for label in labels:
        if not label:
            raise _fail(what, text, "it has an empty part between dots")
        if len(label) > 63:
            raise _fail(what, text, f"the part {label[:20]!r}... is longer than 63 characters")
        if not _LABEL.match(label):
            bad = sorted({c for c in label if not (c.isalnum() or c == "-")})
            if bad:
                raise _fail(what, text, f"it contains {''.join(bad)!r}; use letters, digits, hyphens and dots only")
            raise _fail(what, text, "a part of it starts or ends with a hyphen")
        if label[2:4] == "--" and not label.startswith("xn--"):
            raise _fail(what, text, f"the part {label!r} has '--' in the third and fourth place")
        if label.startswith("xn--"):
            _check_a_label(what, text, label)
    if labels[-1].isdigit():
        raise _fail(what, text, "an IP address or a numeric top-level part is not a site name")
    return ascii_name


def _check_a_label(what: str, text: str, label: str) -> None:
    import idna

    try:
        unicode_label = idna.decode(label)
    except (idna.IDNAError, UnicodeError) as exc:
        raise _fail(what, text, f"{label!r} is not valid punycode ({exc})") from None
    scripts = _scripts(unicode_label) & _CONFUSABLE_SCRIPTS
    if len(scripts) > 1:
        raise _fail(what, text, f"{label!r} ({unicode_label}) mixes {' and '.join(sorted(s.title() for s in scripts))} "
                                "letters (a lookalike of another name?)")


def alternative_names(values: object, main: str) -> tuple[str, ...]:
    """Subject alternative names for a certificate: each a valid domain, without duplicates or the main domain."""
    if isinstance(values, str):
        values = [v for v in values.split(",") if v.strip()] if "," in values else [values]
    if not isinstance(values, (list, tuple, set, frozenset)):
        raise _fail("alternative names", values, "expected a list of domain names")
    out: list[str] = []
    for value in values:
        name = domain(value, "alternative name")
        if name != main and name not in out:
            out.append(name)
    if len(out) > 99:
        raise _fail("alternative names", f"{len(out)} names", "Let's Encrypt allows at most 100 names per certificate")
    return tuple(out)


# names --------------------------------------------------------------------------------------------------------------
def _name(value: object, what: str) -> str:
    text = _require_str(what, value)
    if not _NAME.match(text):
        raise _fail(what, text, "use 3 to 32 characters: lower-case letters, digits, '_' or '-', starting with a letter")
    return text


def site_user(value: object) -> str:
    name = _name(value, "site user")
    if name in RESERVED_USERS:
        raise _fail("site user", name, "that is a system user name; choose another")
    return name


def database_name(value: object) -> str:
    return _name(value, "database name")


def database_user(value: object) -> str:
    name = _name(value, "database user")
    if name in ("root", "mysql", "clp", "debian-sys-maint", "mariadb.sys"):
        raise _fail("database user", name, "that is a built-in database account; choose another")
    return name


def panel_user(value: object) -> str:
    text = _require_str("panel user", value)
    if not _PANEL_USER.match(text):
        raise _fail("panel user", text, "use letters, digits, '.', '_' or '-' (up to 64), starting with a letter or digit")
    return text


# versions, ports, templates, URLs -------------------------------------------------------------------------------------
def _version(value: object, what: str, allowed: tuple[str, ...]) -> str:
    text = str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    text = _require_str(what, text)
    if text not in allowed:
        raise _fail(what, text, f"choose one of {', '.join(allowed)}")
    return text


def _runtime(value: object, what: str, form: re.Pattern[str], example: str,
             offered: tuple[str, ...] | list[str] | None) -> str:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    text = _require_str(what, text)
    if not form.match(text):
        raise _fail(what, text, f"write a version like {example}")
    if offered is not None and text not in offered:
        raise _fail(what, text, f"this host offers {', '.join(offered)}" if offered else
                    "this host offers none (no such program in /usr/bin)")
    return text


def php_version(value: object, offered: tuple[str, ...] | list[str] | None = None) -> str:
    """`8.4`; with `offered` (the host's versions, runtimes.py) it must be one of them."""
    return _runtime(value, "PHP version", _PHP_VERSION, "8.4", offered)


def nodejs_version(value: object) -> str:
    """A major version like `22`: nvm on the host installs it or says it cannot (no list to check against)."""
    return _runtime(value, "Node.js version", _NODEJS_VERSION, "22", None)


def python_version(value: object, offered: tuple[str, ...] | list[str] | None = None) -> str:
    return _runtime(value, "Python version", _PYTHON_VERSION, "3.12", offered)


def site_kind(value: object) -> str:
    return _version(value, "site type", SITE_KINDS)


def app_port(value: object) -> int:
    """The port the site's app listens on. Site apps run as the site user, who cannot bind below 1024."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _fail("app port", value, "expected a whole number")
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit() or len(value) > 5:
            raise _fail("app port", value, "expected a whole number from 1024 to 65535")
        value = int(value)
    if not 1024 <= value <= 65535:
        raise _fail("app port", value, "use a port from 1024 to 65535 (the app runs as the site user)")
    return value


def vhost_template(value: object, known: tuple[str, ...] | list[str] | None = None) -> str:
    """A name from `clpctl vhost-templates:list`, matched exactly (case and spaces) when the list is known."""
    text = _require_str("vhost template", value)
    problem = _hidden_characters(text)
    if problem:
        raise _fail("vhost template", text, problem)
    if not text or len(text) > 64 or not _TEMPLATE.match(text):
        raise _fail("vhost template", text, "use up to 64 letters, digits, single spaces and . _ + -")
    if known is not None and text not in known:
        close = [k for k in known if k.lower() == text.lower()]
        hint = f"did you mean {close[0]!r}? names must match exactly" if close else "it is not in `clpctl vhost-templates:list`"
        raise _fail("vhost template", text, hint)
    return text


def reverse_proxy_url(value: object) -> str:
    """An http(s) URL with a host (IP, `localhost` or a domain), an optional port and a plain path."""
    text = _require_str("reverse proxy URL", value)
    problem = _hidden_characters(text)
    if problem or any(c.isspace() for c in text) or not text.isascii():
        raise _fail("reverse proxy URL", text, problem or "it contains spaces or non-ASCII characters")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise _fail("reverse proxy URL", text, "it must start with http:// or https://")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise _fail("reverse proxy URL", text, "it must not contain a user name or password")
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise _fail("reverse proxy URL", text, "it must not have a query (?) or fragment (#)")
    if not _URL_PATH.match(parts.path):
        raise _fail("reverse proxy URL", text, "its path may contain letters, digits and . _ / % - only")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise _fail("reverse proxy URL", text, "its port must be a number from 1 to 65535") from None
    if not host:
        raise _fail("reverse proxy URL", text, "it has no host")
    if port is not None and not 1 <= port <= 65535:
        raise _fail("reverse proxy URL", text, "its port must be a number from 1 to 65535")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            domain(host, "reverse proxy host")
    netloc = parts.netloc
    expected = f"[{host}]" if ":" in host else host
    if netloc.lower() not in (expected, f"{expected}:{port}"):
        raise _fail("reverse proxy URL", text, "its host part is not a plain host[:port]")
    return text


def password(value: object, what: str = "password") -> str:
    """A password given by the caller (hostdeck generates its own otherwise): 8-128 characters, no control or
    invisible characters. Quotes, `$`, `!` and spaces are fine: the value is quoted on the command line."""
    text = _require_str(what, value)
    if not 8 <= len(text) <= 128:
        raise ValidationError(f"invalid {what}: use 8 to 128 characters.", operation="validate", code="invalid_input")
    if _hidden_characters(text) or any(c in "\r\n\t" for c in text):
        raise ValidationError(f"invalid {what}: it contains a control or invisible character.", operation="validate",
                              code="invalid_input")
    if text.startswith("-"):
        # Harmless after `--option=`, but CloudPanel's own option parser is not public: do not find out.
        raise ValidationError(f"invalid {what}: it must not start with '-'.", operation="validate", code="invalid_input")
    return text


def remote_path(value: object, what: str) -> str:
    """An absolute path on the CloudPanel host (config values such as vhost_dir): plain characters only."""
    text = _require_str(what, value)
    if not _SAFE_PATH.match(text) or "/../" in f"{text}/" or "//" in text:
        raise _fail(what, text, "use an absolute path of letters, digits, '.', '_', '-' and '/'")
    return text.rstrip("/") or "/"
