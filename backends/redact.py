"""Redaction applied before anything is recorded: headers, form/JSON fields, URL query parameters."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
SECRET_KEY = re.compile(r"(?i)(pass(word)?\d*|secret|token(_auth)?|accesskey|identifier|api[_-]?key|authorization|cipassword|user_data|cookie|csrfpreventiontoken)")
SECRET_HEADERS = {"authorization", "x-api-key", "cookie", "csrfpreventiontoken", "set-cookie"}
_TOKEN_IN_TEXT = re.compile(r"(?i)((?:token|token_auth|password)=)[^&\s\"']+")


def redact_headers(headers: dict[str, str] | Any) -> dict[str, str]:
    return {k: (MASK if k.lower() in SECRET_HEADERS else v) for k, v in dict(headers).items()}


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, MASK if SECRET_KEY.search(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*:,()!=")))


def redact_text(text: str) -> str:
    return _TOKEN_IN_TEXT.sub(lambda m: m.group(1) + MASK, text)


def redact(value: Any) -> Any:
    """Recursively mask secret-looking keys in a JSON-like value and token= inside strings."""
    if isinstance(value, dict):
        return {k: (MASK if isinstance(k, str) and SECRET_KEY.search(k) and v is not None else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
