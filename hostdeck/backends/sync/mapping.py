"""The field mapping (WHMCS client -> panel user, as the seed's `field_mapping`) and the fingerprint of its result."""

from __future__ import annotations

import hashlib
import json
import string

from ..errors import ConfigError
from ..models import Client

CLIENT_FIELDS = ("id", "email", "first_name", "last_name", "company", "status")


def check_mapping(mapping: dict[str, str]) -> None:
    for target, template in mapping.items():
        for _, name, _, _ in string.Formatter().parse(template):
            if name is not None and name not in CLIENT_FIELDS:
                raise ConfigError(f"the template {template!r} uses {{{name}}}, which a WHMCS client does not have.",
                                  key=f"sync.field_mapping.{target}", fix=f"use {', '.join('{' + f + '}' for f in CLIENT_FIELDS)}.")


def render(mapping: dict[str, str], client: Client) -> dict[str, str]:
    values = {f: str(getattr(client, f) or "") for f in CLIENT_FIELDS}
    return {target: " ".join(template.format_map(values).split()) for target, template in mapping.items()}


def fingerprint(fields: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def differences(wanted: dict[str, str], actual: dict[str, str]) -> dict[str, list[str]]:
    """{field: [WHMCS value, panel value]} for every mapped field that differs (emails compared without case)."""
    out = {}
    for key, value in wanted.items():
        other = actual.get(key, "")
        same = value.lower() == other.lower() if key == "email" else value == other
        if not same:
            out[key] = [value, other]
    return out
