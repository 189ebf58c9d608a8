"""Printing for the CLI: one JSON document on stdout with --json, plain tables otherwise, diagnostics on stderr."""

from __future__ import annotations

import sys
from typing import Any, Iterable, Sequence


def emit_json(doc: Any) -> None:
    import orjson

    sys.stdout.flush()
    sys.stdout.buffer.write(orjson.dumps(doc, default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")
    sys.stdout.buffer.flush()


def warn(message: str) -> None:
    sys.stderr.write(f"hostdeck: {message}\n")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    rows = [["" if c is None else str(c) for c in r] for r in rows]
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
            sys.stderr.write(f"\r{self.label}: {step.command} {step.status} {step.progress}%   ")
            sys.stderr.flush()

    def done(self) -> None:
        if self.active:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()
