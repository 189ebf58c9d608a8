"""Printing for the CLI: one JSON document on stdout with --json, plain tables otherwise, diagnostics on stderr.

Plain output carries backend strings (names, labels, errors): `say`, `warn` and `table` show their control
characters escaped (hostdeck.tui.safe_text.visible: ESC as \\x1b ...), so nothing a backend returns reaches the terminal as
a control sequence. JSON needs nothing more: orjson writes every control character as a \\u escape."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

from ..tui.safe_text import visible

CELL_LIMIT = 200  # characters of one table cell; `server show` and --json print whole values


def emit_json(doc: Any) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(json_bytes(doc) + b"\n")
    sys.stdout.buffer.flush()


def json_bytes(doc: Any) -> bytes:
    """The JSON document. orjson escapes C0 controls itself; DEL, C1 controls (U+009B is a CSI to some terminals)
    and invisible format characters (bidi overrides) get a \\u escape here too, so the same value comes back from
    a parser and nothing reaches a terminal raw. A lone surrogate (valid in a Python str from json.loads, not
    in UTF-8) makes orjson refuse: the standard library then writes it as an escape."""
    import orjson

    try:
        data = orjson.dumps(doc, default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    except TypeError:
        import json

        return json.dumps(doc, default=str, indent=2).encode()  # ensure_ascii: every non-ASCII character escaped
    if data.isascii() and b"\x7f" not in data:
        return data
    return _NOT_PLAIN_ASCII.sub(_json_escape, data.decode()).encode()


_NOT_PLAIN_ASCII = re.compile(r"[^\x20-\x7e\n]")


def _json_escape(match: re.Match) -> str:
    char = match.group()
    if visible(char) == char:
        return char  # printable non-ASCII text (é, 日本) stays as it is
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


NOTHING = "—"


def plain(value: Any) -> str:
    """A value as people write it: yes/no, `key=value` for a mapping, a comma list, and — for none or empty."""
    if value is None or (isinstance(value, (str, dict, list, tuple, set, frozenset)) and not value):
        return NOTHING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v if isinstance(v, str) else plain(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(plain(v) for v in value)
    return str(value)


def say(message: Any = "", *, multiline: bool = False) -> None:
    """One line of plain output on stdout, control characters (a newline in a value too) escaped; `multiline` for
    text of our own that has several lines."""
    sys.stdout.write(visible(message, multiline=multiline) + "\n")


def warn(message: str) -> None:
    sys.stderr.write(f"hostdeck: {visible(message, multiline=True)}\n")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    rows = [[visible(c, limit=CELL_LIMIT) for c in r] for r in rows]
    widths = [len(h) for h in headers]
    for r in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, r)]
    out = sys.stdout
    out.write("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths)).rstrip() + "\n")
    for r in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n")


class Progress:
    """A one-line progress indicator on stderr, only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.active = sys.stderr.isatty()

    def pages(self, done: int, total: int) -> None:
        if self.active:
            sys.stderr.write(f"\r{self.label}: page {done}/{total}   ")
            sys.stderr.flush()

    def count(self, done: int, total: int) -> None:
        """Long runs report on stderr: in place on a terminal, else a line every 200 and at the end (for cron logs)."""
        if self.active:
            sys.stderr.write(f"\r{self.label}: {done}/{total}   ")
            sys.stderr.flush()
        elif done == total or done % 200 == 0:
            sys.stderr.write(f"hostdeck: {self.label}: {done}/{total}\n")

    def action(self, step) -> None:
        if self.active:
            sys.stderr.write(f"\r{visible(self.label)}: {visible(step.command)} {visible(step.status)} {step.progress}%   ")
            sys.stderr.flush()

    def done(self) -> None:
        if self.active:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()
