"""Backend strings made safe to show: no terminal control, no markup.

Anything a backend returns (names, labels, error messages, records) is data. Before it reaches the terminal,
`visible()` replaces every character that a terminal could act on, or that changes how text around it is
shown, with a visible escape in Python's notation, which a person can read and type back:

* C0 controls, DEL and C1 controls (ESC, BEL, CR, NUL, the 8-bit CSI ...): ``\\x1b``, ``\\x07``, ``\\x9b``;
* other invisible format characters (bidi overrides and isolates such as U+202E, zero-width spaces,
  line and paragraph separators, lone surrogates) and whatever else Python does not call printable
  (private-use and unassigned code points): ``\\u202e``, ``\\U000e0001``.

So ``"\\x1b[2J"`` shows as ``\\x1b[2J`` and an OSC 52 clipboard write as ``\\x1b]52;c;...\\x07``. Ordinary
spaces of any script stay. A literal backslash is left alone, so ``\\x1b`` in a name may have been typed
that way; the raw record (JSON, which escapes on its own) tells the two apart.

The TUI wraps the result in `rich.text.Text` (`as_text`), never in markup. The CLI imports only `visible`,
which needs nothing but the standard library.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from rich.text import Text

ELLIPSIS = "…"


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _shown(char: str, keep: str) -> str:
    if char.isprintable() or char in keep or unicodedata.category(char) == "Zs":
        return char  # Zs: no-break and other spaces are not printable to Python but harmless on a terminal
    return _escape(char)


def visible(value: Any, *, limit: int | None = None, multiline: bool = False) -> str:
    """`value` as text with every control and invisible format character escaped (see the module's doc).

    `limit`: at most this many characters of the original, the rest replaced by an ellipsis.
    `multiline`: keep newlines (for messages and records shown over several lines); a tab is escaped either way.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + ELLIPSIS
    if text.isprintable():
        return text
    keep = "\n" if multiline else ""
    return "".join([_shown(char, keep) for char in text])


def as_text(value: Any, style: str = "", *, limit: int | None = None, multiline: bool = False) -> Text:
    """`visible(value)` as a Rich `Text`: shown as it is, never parsed as markup."""
    from rich.text import Text

    return Text(visible(value, limit=limit, multiline=multiline), style=style)


def markup_literal(value: Any, *, limit: int | None = None) -> str:
    """For the few Textual APIs that only take markup (the command palette's help line): `visible(value)`
    with every `[` escaped. Textual's markup reads `\\[` as a literal bracket and leaves other backslashes alone,
    so the result shows exactly `visible(value)` (textual.markup.escape does not: an unclosed `[` survives it)."""
    return visible(value, limit=limit).replace("[", "\\[")


def table_cell(value: Any, *, limit: int | None = 300) -> Text:
    """A `DataTable` cell: the stock table parses plain strings as markup, and shows a `Text` as it is."""
    from rich.text import Text

    return Text(visible(value, limit=limit), end="")
