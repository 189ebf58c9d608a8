"""Redaction applied before anything is recorded: headers, form/JSON fields, URL query parameters."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

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


class ValueRedactor:
    """Redaction by value: every secret of a backend (as resolved, and as JSON or a URL would spell it) is replaced by
    `***` in any text or JSON-like value, whatever key it sits under. Short values (under 4 characters) are left
    alone: masking them would shred ordinary words and prove nothing."""

    MIN_LENGTH = 4

    def __init__(self, secrets: Any = ()) -> None:
        self._values: list[str] = []
        self._needles: list[bytes] = []
        self.add(secrets)

    def add(self, secrets: Any) -> None:
        import json
        from urllib.parse import quote
        from urllib.parse import quote_plus

        values = set(self._values)
        for secret in secrets or ():
            if not isinstance(secret, str) or len(secret) < self.MIN_LENGTH:
                continue
            # the forms a secret takes when an answer echoes it: as sent, JSON-escaped, URL-encoded
            values |= {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
                       quote(secret, safe=""), quote(secret), quote_plus(secret, safe=""), quote_plus(secret)}
        self._values = sorted(values, key=len, reverse=True)  # longest first: a secret containing another goes whole
        self._needles = [v.encode("utf-8") for v in self._values]

    def __bool__(self) -> bool:
        return bool(self._values)

    def found_in(self, data: bytes | str) -> bool:
        """True when a secret appears in raw bytes or text (a cheap scan before walking a parsed value)."""
        if isinstance(data, str):
            return any(v in data for v in self._values)
        return any(n in data for n in self._needles)

    def text(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def scrub(self, value: Any) -> Any:
        if not self._values:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {(self.text(k) if isinstance(k, str) else k): self.scrub(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.scrub(v) for v in value)
        return value
