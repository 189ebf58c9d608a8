"""What a filter box's text means, for every screen (no Textual here: tested without a terminal).

Case-insensitive: a row matches when the text occurs in any of its cells. A leading "!" shows the rows that do *not*
contain the rest. An empty text, or a lone "!", shows every row.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from typing import NamedTuple

SEPARATOR = "\x1f"  # joins a row's cells into the text a filter searches; cannot be typed into a filter box


class RowFilter(NamedTuple):
    needle: str  # lower-case
    inverse: bool

    @classmethod
    def parse(cls, text: str) -> RowFilter:
        inverse = text.startswith("!")
        needle = (text[1:] if inverse else text).lower()
        return cls(needle, inverse and bool(needle))

    @property
    def shows_all(self) -> bool:
        return not self.needle

    def matches(self, hay: str) -> bool:
        """`hay`: a row's cells joined and lower-cased."""
        return (self.needle not in hay) if self.inverse else (self.needle in hay)

    def narrows(self, previous: RowFilter) -> bool:
        """Only rows that matched `previous` can match this one (typing on in a positive filter)."""
        return (bool(previous.needle) and not self.inverse and not previous.inverse
                and self.needle.startswith(previous.needle))

    def select(self, order: Sequence[int], hays: Sequence[str]) -> list[int]:
        """The indexes in `order` whose hay matches, in the same order."""
        if not self.needle:
            return list(order)
        needle = self.needle
        if self.inverse:
            return [i for i in order if needle not in hays[i]]
        return [i for i in order if needle in hays[i]]


def hay_of(cells: Iterable[object]) -> str:
    """What a filter searches in a row: its cells joined by SEPARATOR, lower-cased."""
    return SEPARATOR.join(str(cell) for cell in cells).lower()


def row_matches(text: str, cells: Iterable[object]) -> bool:
    return RowFilter.parse(text).matches(hay_of(cells))


def search_text(text: str) -> str:
    """The words searched for, without the leading "!" (for "No servers match 'web'")."""
    return text[1:] if text.startswith("!") else text
