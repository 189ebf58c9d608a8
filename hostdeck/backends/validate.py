"""Checks on user input made before any call: names, labels."""

from __future__ import annotations

import re

from .errors import ValidationError

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)


def hostname_problem(name: str) -> str | None:
    """Why `name` is not a valid RFC 1123 host name (as Hetzner requires for server names), or None."""
    if not name:
        return "the name is empty"
    if len(name) > 253:
        return "the name is longer than 253 characters"
    if name != name.strip():
        return "the name has spaces around it"
    for label in name.split("."):
        if not label:
            return "the name has an empty part between dots"
        if len(label) > 63:
            return f"the part {label[:20]!r}... is longer than 63 characters"
        if not _LABEL.match(label):
            bad = sorted({c for c in label if not (c.isascii() and (c.isalnum() or c == "-"))})
            if bad:
                return f"the name contains {''.join(bad)!r}; use letters, digits, hyphens and dots only"
            return "a part of the name starts or ends with a hyphen"
    return None


def check_hostname(name: str, *, backend: str | None = None) -> str:
    problem = hostname_problem(name)
    if problem:
        raise ValidationError(f"invalid server name {name!r}: {problem}.", backend=backend, operation="validate")
    return name


_LABEL_KEY = re.compile(r"^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?/)?[a-z0-9A-Z]([a-z0-9A-Z._-]{0,61}[a-z0-9A-Z])?$")
_LABEL_VALUE = re.compile(r"^([a-z0-9A-Z]([a-z0-9A-Z._-]{0,61}[a-z0-9A-Z])?)?$")


def check_labels(labels: dict[str, str], *, backend: str | None = None) -> dict[str, str]:
    for key, value in labels.items():
        if not _LABEL_KEY.match(key) or key.startswith("hetzner.cloud/"):
            raise ValidationError(f"invalid label key {key!r}: use letters, digits, '-', '_', '.' (prefix 'hetzner.cloud/' is reserved).",
                                  backend=backend, operation="validate")
        if not _LABEL_VALUE.match(value):
            raise ValidationError(f"invalid label value {value!r} for {key!r}: up to 63 letters, digits, '-', '_', '.'.",
                                  backend=backend, operation="validate")
    return labels
