"""Reading `clpctl` results. The output is human text with no documented format, so success is "exit 0 and no
failure marker" (the wording is ignored), "already exists" is a result of its own even with exit 0, and output is
parsed only where hostdeck relies on it (vhost template names, panel users): there, anything unexpected is a
ProtocolError, never an empty list.
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

from ..errors import BackendError
from ..errors import NotFoundError
from ..errors import PermissionDenied
from ..errors import ProtocolError
from ..errors import UnavailableError
from ..errors import ValidationError
from .commands import Command
from .commands import RawResult
from .commands import mask_text
from .errors import AlreadyExistsError
from .spec import PanelUser

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_ALREADY = re.compile(r"(?:^|\s|\[ERROR\]\s*)([A-Za-z][A-Za-z0-9_]*)\s*:\s*(?:This value )?already exists", re.IGNORECASE)
_ERROR_LINE = re.compile(r"^\s*(?:\[ERROR\]|error\b|fatal\b|\[critical\])", re.IGNORECASE)
_RUNTIME_MISSING = re.compile(r"version\s+['\"]?([\w.]+)['\"]?\s+(?:is\s+)?not found", re.IGNORECASE)
_NOT_FOUND = re.compile(r"not found|does not exist|doesn't exist|no such site|unknown site", re.IGNORECASE)
_DNS_PROBLEM = re.compile(r"dns problem|nxdomain|no valid ip addresses|domain validation|could not validate|"
                          r"invalid response from|timeout during connect|unauthorized.*acme|challenge", re.IGNORECASE)
SUDO_FIX = ("allow NOPASSWD for clpctl on {host} (e.g. /etc/sudoers.d/hostdeck: `{user} ALL=(root) NOPASSWD: "
            "/usr/bin/clpctl`), or connect as root")
FIELD_WORDS = {"domainName": "the domain", "siteUser": "the site user", "databaseName": "the database",
               "databaseUserName": "the database user", "userName": "the user name"}


def clean(text: str) -> str:
    """Output without ANSI colour codes and carriage-return redraws."""
    text = _ANSI.sub("", text)
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.splitlines())


def tail(text: str, lines: int = 20) -> str:
    kept = [line.rstrip() for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def check(result: RawResult, command: Command, *, backend: str, host: str, user: str = "root") -> str:
    """The cleaned, masked output of a command that succeeded; otherwise the typed error (cloudpanel.md, "Reading
    results"). Every message is masked: no password given to the command can appear in it."""
    out = mask_text(clean(result.stdout), command.secrets)
    err = mask_text(clean(result.stderr), command.secrets)
    text = "\n".join(t for t in (out, err) if t.strip())
    op = command.operation
    common: dict[str, Any] = {"backend": backend, "operation": op, "http_status": result.exit_status,
                              "details": tail(text)}
    low = text.lower()
    if result.exit_status == 127 or ("command not found" in low and "clpctl" in low):
        return _raise(ProtocolError(f"{op}: clpctl is not installed on {host} (command not found): is this a CloudPanel "
                                    "server?", code="not_cloudpanel", **common))
    if "a password is required" in low and "sudo" in low:
        return _raise(PermissionDenied(f"{op}: sudo needs a password: {SUDO_FIX.format(user=user, host=host)}.",
                                       code="sudo_password", **common))
    if "sudo:" in low and ("not allowed" in low or "not in the sudoers" in low or "may not run sudo" in low):
        return _raise(PermissionDenied(f"{op}: {user} may not run clpctl through sudo: {SUDO_FIX.format(user=user, host=host)}.",
                                       code="sudo_denied", **common))
    found = _ALREADY.search(text)
    if found or "already exists" in low:
        field = found.group(1) if found else None
        what = FIELD_WORDS.get(field or "", field or "a value")
        return _raise(AlreadyExistsError(f"{op}: {what} already exists on {host} ({_first_line(text, 'already exists')}); "
                                         "nothing new was made.", field=field, **common))
    if "could not resolve host" in low:
        return _raise(UnavailableError(f"{op}: {host} has no working outbound DNS or internet "
                                       f"({_first_line(text, 'could not resolve host')}). Fix the server's network "
                                       "or resolver, then retry.", code="no_outbound_dns", **common))
    missing = _RUNTIME_MISSING.search(text)
    if missing:
        return _raise(ValidationError(f"{op}: the requested runtime version {missing.group(1)} is not available on "
                                      f"{host} ({_first_line(text, 'not found')}).", code="runtime_missing", **common))
    failed = result.exit_status != 0 or any(_ERROR_LINE.match(line) for line in text.splitlines())
    if not failed:
        return out
    summary = tail(text) or f"exit status {result.exit_status} and no output"
    if command.name == "clpctl lets-encrypt:install:certificate" and _DNS_PROBLEM.search(text):
        return _raise(UnavailableError(f"{op}: Let's Encrypt could not validate the domain: its DNS does not point at "
                                       f"{host} yet, or is not public. Point the A/AAAA records at the server and "
                                       f"retry later. CloudPanel said: {summary}", code="dns_not_ready", **common))
    if _NOT_FOUND.search(text):
        return _raise(NotFoundError(f"{op}: not found on {host}. CloudPanel said: {summary}", code="not_found", **common))
    return _raise(BackendError(f"{op} failed on {host} (exit status {result.exit_status}). CloudPanel said: {summary}",
                               code="command_failed", **common))


def _raise(error: BackendError) -> str:
    raise error


def _first_line(text: str, needle: str) -> str:
    for line in text.splitlines():
        if needle in line.lower():
            return line.strip()
    return needle


# tables ----------------------------------------------------------------------------------------------------------------
def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def table(text: str) -> tuple[list[str], list[list[str]]] | None:
    """A Symfony console table (`+---+` borders with `|` rows, or the borderless style with `---` rules) as
    (header, rows); None when the text holds no table."""
    lines = [line.rstrip() for line in clean(text).splitlines() if line.strip()]
    boxed = [line for line in lines if line.lstrip().startswith("|")]
    if boxed and any(re.match(r"^\s*\+[-+]+\+\s*$", line) for line in lines):
        header, *rows = [_cells(line) for line in boxed]
        return header, [r for r in rows if len(r) == len(header)]
    rules = [i for i, line in enumerate(lines) if re.match(r"^\s*-{3,}(\s+-{3,})*\s*$", line)]
    if len(rules) >= 2 and rules[0] + 2 == rules[1]:
        spans = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[rules[0]])]

        def cut(line: str) -> list[str]:
            return [line[a:b if i < len(spans) - 1 else None].strip() for i, (a, b) in enumerate(spans)]

        body = [cut(line) for line in lines[rules[1] + 1:] if not re.match(r"^\s*-{3,}", line)]
        return cut(lines[rules[0] + 1]), body
    return None


def vhost_templates(text: str, *, backend: str, host: str) -> list[str]:
    """Template names from `clpctl vhost-templates:list`: the table's name column, or one name per line."""
    return vhost_template_names(text, backend=backend, host=host)[0]


def vhost_template_names(text: str, *, backend: str, host: str) -> tuple[list[str], list[str]]:
    """(names hostdeck can offer, names it skips). One custom template with an odd name (a quote, a control character,
    65 characters...) is skipped, not fatal: the list fails only when no name at all can be read."""
    from . import validate

    found = table(text)
    if found:
        header, rows = found
        keys = [h.lower() for h in header]
        column = next((i for i, k in enumerate(keys) if k in ("name", "template", "template name")), 0)
        names = [row[column] for row in rows if row[column]]
    else:
        names = [line.strip() for line in clean(text).splitlines() if line.strip()]
    good = [n for n in names if not _template_problem(n, validate)]
    if not good:
        why = "it printed nothing" if not names else f"{names[0]!r} is not a template name"
        raise ProtocolError(f"`clpctl vhost-templates:list` on {host} printed something hostdeck cannot read ({why}).",
                            backend=backend, operation="list vhost templates", code="unparseable_output",
                            details=tail(text))
    return list(dict.fromkeys(good)), list(dict.fromkeys(n for n in names if n not in good))


def _template_problem(name: str, validate: ModuleType) -> bool:
    try:
        validate.vhost_template(name)
    except BackendError:
        return True
    return False


_USER_COLUMNS = {"user_name": ("user name", "username", "user", "name", "login"),
                 "email": ("e-mail", "email", "e-mail address", "mail"), "first_name": ("first name", "firstname"),
                 "last_name": ("last name", "lastname"), "role": ("role",), "status": ("status", "active")}


def panel_users(text: str, *, backend: str, host: str) -> list[PanelUser]:
    """Rows of `clpctl user:list` (a table whose header names a user-name column)."""
    found = table(text)
    if found is None or not any(h.lower() in _USER_COLUMNS["user_name"] for h in found[0]):
        raise ProtocolError(f"`clpctl user:list` on {host} printed no user table hostdeck can read.", backend=backend,
                            operation="list panel users", code="unparseable_output", details=tail(text))
    header, rows = found
    keys = [h.lower() for h in header]
    index = {field: next((i for i, k in enumerate(keys) if k in names), None) for field, names in _USER_COLUMNS.items()}
    users = []
    for row in rows:
        values = {field: (row[i] if i is not None else "") for field, i in index.items()}
        if values["user_name"]:
            users.append(PanelUser(raw=dict(zip(header, row)), **values))
    return users
