"""`Grid`: a virtual table for tens of thousands of rows, on Textual's line API.

The stock `DataTable` measures every cell with Rich on the event loop, which
freezes the UI for seconds at 10,000 rows. `Grid` keeps rows as plain data and
only styles the lines that are on screen:

* column widths come from `len()` over every value (C speed) plus `cell_len`
  over a bounded sample and over the rows that contain non-ASCII text;
* each row has a lowercase "haystack" built once per `set_rows`, so a filter
  keystroke is one list comprehension with a substring test;
* sorting is on the data with a memoised natural-sort key;
* `render_line(y)` builds a `Strip` for one visible line and caches it in a
  small LRU keyed by (row key, row version, line width, cursor, parity).

Usage::

    grid = Grid([Column("name", "Name"), Column("status", "Status")])
    grid.set_rows([Row("srv-1", ("web-1", "running"), styles=(None, "$success"))])
    grid.sort_by("name")
    grid.set_filter("web")          # "!web" inverts, "" clears
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Hashable
from collections.abc import Iterable
from collections.abc import Sequence
from itertools import accumulate
from itertools import compress
from operator import attrgetter
from operator import itemgetter
from typing import ClassVar
from typing import Literal
from typing import NamedTuple

from rich.cells import cell_len
from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.markup import parse_style
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style as TextualStyle

from ..filtering import SEPARATOR
from ..filtering import RowFilter
from ..row_order import natural_key
from ..safe_text import visible

__all__ = ["Column", "Grid", "Row", "natural_key"]

Justify = Literal["left", "center", "right"]

_WIDTH_SAMPLE = 1_000  # rows measured with cell_len regardless of content
_NON_ASCII_CAP = 5_000  # at most this many non-ASCII rows measured with cell_len
_ELLIPSIS = "…"
_VARIABLE = re.compile(r"\$([A-Za-z0-9_-]+)")


class Column(NamedTuple):
    """A column of a `Grid`.

    Attributes:
        key: Identifies the column (for `sort_by`).
        label: Header text.
        width: Fixed content width in cells, or `None` to size from the data.
        min_width: Smallest automatic width.
        max_width: Largest automatic width; longer values end with an ellipsis.
        justify: "left", "center" or "right".
    """

    key: str
    label: str
    width: int | None = None
    min_width: int = 3
    max_width: int = 40
    justify: Justify = "left"


class Row(NamedTuple):
    """One row of a `Grid`: plain data, styled only when visible.

    Attributes:
        key: Unique, hashable identity of the row (a server id, for example).
        cells: One plain string per column.
        styles: Optional style per cell ("bold green", "$success", or None).
        row_style: Optional style for the whole row (e.g. "dim" for a degraded backend).
    """

    key: Hashable
    cells: tuple[str, ...]
    styles: tuple[str | None, ...] | None = None
    row_style: str | None = None


# ---------------------------------------------------------------------------
# natural sort

# A decimal number only when it is not part of a dotted run (IPs, versions).
# ---------------------------------------------------------------------------
# the widget


class Grid(ScrollView, can_focus=True, inherit_bindings=False):
    """A fast, virtual, sortable and filterable table of plain rows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False, id="grid.up"),
        Binding("down", "cursor_down", "Down", show=False, id="grid.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="grid.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="grid.page_down"),
        Binding("home", "scroll_top", "Top", show=False, id="grid.top"),
        Binding("end", "scroll_bottom", "Bottom", show=False, id="grid.bottom"),
        Binding("left", "column_left", "Left", show=False, id="grid.left"),
        Binding("right", "column_right", "Right", show=False, id="grid.right"),
        Binding("enter", "select_cursor", "Select", show=False, id="grid.select"),
        # vi's keys, as in k9s and less; a screen that binds one of them itself keeps it (see action_vi)
        Binding("j", "vi('j')", "Down", show=False, id="grid.vi_down"),
        Binding("k", "vi('k')", "Up", show=False, id="grid.vi_up"),
        Binding("g", "vi('g')", "Top", show=False, id="grid.vi_top"),
        Binding("G", "vi('G')", "Bottom", show=False, id="grid.vi_bottom"),
    ]
    VI_MOVES: ClassVar[dict[str, str]] = {"j": "cursor_down", "k": "cursor_up", "g": "scroll_top", "G": "scroll_bottom"}

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "grid--header",
        "grid--cursor",
        "grid--even-row",
        "grid--odd-row",
        "grid--empty",
    }

    DEFAULT_CSS = """
    Grid {
        background: $surface;
        color: $foreground;
        height: 1fr;
        &:focus {
            background-tint: $foreground 5%;
            & > .grid--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .grid--header {
                background-tint: $foreground 5%;
            }
        }
        & > .grid--header {
            background: $panel;
            color: $foreground;
            text-style: bold;
        }
        &:ansi > .grid--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .grid--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .grid--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .grid--even-row {
            background: $surface-darken-1 40%;
        }
        & > .grid--odd-row {
        }
        & > .grid--empty {
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    class _GridMessage(Message):
        def __init__(self, grid: Grid) -> None:
            self.grid = grid
            super().__init__()

        @property
        def control(self) -> Grid:  # what `@on(..., "#selector")` matches
            return self.grid

    class RowHighlighted(_GridMessage):
        """The cursor moved to another row (`key` is None when the grid is empty)."""

        def __init__(self, grid: Grid, key: Hashable | None) -> None:
            self.key = key
            super().__init__(grid)

    class RowSelected(_GridMessage):
        """The user chose a row (enter or double click)."""

        def __init__(self, grid: Grid, key: Hashable) -> None:
            self.key = key
            super().__init__(grid)

    class Sorted(_GridMessage):
        """The user sorted the grid by clicking a header."""

        def __init__(self, grid: Grid, column_key: str, reverse: bool) -> None:
            self.column_key = column_key
            self.reverse = reverse
            super().__init__(grid)

    empty_message: reactive[str | None] = reactive(None)
    """Shown centred when there is nothing to show; None for an automatic text."""

    def __init__(
        self,
        columns: Sequence[Column] = (),
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._columns: list[Column] = list(columns)
        self._rows: list[Row] = []
        self._hay: list[str] = []
        self._index: dict[Hashable, int] = {}
        self._versions: dict[Hashable, int] = {}
        self._order: list[int] = []  # all row indices in sort order
        self._view: list[int] = []  # the rows shown: filtered `_order`
        self._sort: tuple[str, bool] | None = None
        self._filter = ""
        self._cursor = 0
        self._highlighted: Hashable | None = None
        self._posted_empty = True  # no RowHighlighted(None) before the first row
        self._widths: list[int] = []
        self._offsets: list[int] = []  # x of each column's left edge
        self._total_width = 0
        self._line_cache: LRUCache[tuple, Strip] = LRUCache(1024)
        self._style_cache: dict[tuple[Style, str], Style] = {}
        self._parsed_styles: dict[str, TextualStyle] = {}
        self._css_variables: dict[str, str] | None = None
        self._compute_widths()

    # -- public API -----------------------------------------------------------

    @property
    def columns(self) -> list[Column]:
        """The columns (a copy)."""
        return list(self._columns)

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Replace the columns; this also removes all rows."""
        self._columns = list(columns)
        self._sort = None
        self.set_rows([])

    @property
    def total_count(self) -> int:
        """Number of rows in the grid."""
        return len(self._rows)

    @property
    def match_count(self) -> int:
        """Number of rows that pass the filter (all rows when there is none)."""
        return len(self._view)

    @property
    def filter_text(self) -> str:
        """The current filter, as given to `set_filter`."""
        return self._filter

    @property
    def sort_state(self) -> tuple[str, bool] | None:
        """(column key, reverse) of the current sort, or None."""
        return self._sort

    @property
    def cursor_index(self) -> int | None:
        """Position of the cursor among the shown rows, or None when empty."""
        return self._cursor if self._view else None

    @property
    def cursor_row_key(self) -> Hashable | None:
        """Key of the highlighted row, or None when nothing is shown."""
        if not self._view:
            return None
        return self._rows[self._view[self._cursor]].key

    @cursor_row_key.setter
    def cursor_row_key(self, key: Hashable) -> None:
        index = self._index.get(key)
        if index is None:
            raise KeyError(key)
        try:
            position = self._view.index(index)
        except ValueError:
            raise KeyError(f"row {key!r} is hidden by the filter") from None
        self._move_cursor(position)

    def get_row(self, key: Hashable) -> Row | None:
        """The row with this key, or None."""
        index = self._index.get(key)
        return None if index is None else self._rows[index]

    @property
    def visible_keys(self) -> list[Hashable]:
        """Keys of the shown rows, in display order (O(n): for tests and exports)."""
        rows = self._rows
        return [rows[i].key for i in self._view]

    def set_rows(self, rows: Iterable[Row]) -> None:
        """Replace all rows, keeping the sort, the filter and the cursor's row.

        Row keys must be unique. Every row must have one cell per column.
        """
        rows = list(rows)  # our own list: update_row replaces items in it
        ncols = len(self._columns)
        if rows:
            lengths = set(map(len, map(attrgetter("cells"), rows)))
            if lengths != {ncols}:
                bad = next(r for r in rows if len(r.cells) != ncols)
                raise ValueError(
                    f"row {bad.key!r} has {len(bad.cells)} cells; the grid has {ncols} columns"
                )
        index = {row.key: i for i, row in enumerate(rows)}
        if len(index) != len(rows):
            raise ValueError("row keys must be unique")
        old_key = self.cursor_row_key
        old_screen_line = self._cursor - self.scroll_offset.y
        old_cursor = self._cursor

        self._rows = rows
        self._index = index
        join = SEPARATOR.join
        self._hay = [join(cells).lower() for cells in map(attrgetter("cells"), rows)]
        self._versions.clear()
        self._compute_widths()
        self._order = self._sorted_order()
        self._view = self._filtered(self._order, self._filter)
        self._place_cursor(old_key, old_cursor, old_screen_line)

    def update_row(self, row: Row) -> bool:
        """Replace one row (matched by key) without rebuilding the grid.

        The row is re-filtered and re-sorted if its values changed those.
        Returns False (and does nothing) if no row has this key.
        """
        index = self._index.get(row.key)
        if index is None:
            return False
        if len(row.cells) != len(self._columns):
            raise ValueError(
                f"row {row.key!r} has {len(row.cells)} cells; the grid has "
                f"{len(self._columns)} columns"
            )
        old = self._rows[index]
        self._rows[index] = row
        self._hay[index] = SEPARATOR.join(row.cells).lower()
        self._versions[row.key] = self._versions.get(row.key, 0) + 1

        grew = False
        for i, (column, text) in enumerate(zip(self._columns, row.cells)):
            if column.width is None:
                want = min(column.max_width, cell_len(text))
                if want > self._widths[i]:
                    self._widths[i] = want
                    grew = True
        if grew:
            self._layout_columns()
            self.virtual_size = Size(self._total_width, len(self._view) + 1)
            self.refresh()

        resort = self._sort is not None and (
            old.cells[self._column_index(self._sort[0])]
            != row.cells[self._column_index(self._sort[0])]
        )
        refilter = bool(self._filter) and (
            self._matches(self._hay[index]) != (index in self._view)
        )
        if resort or refilter:
            key = self.cursor_row_key
            line = self._cursor - self.scroll_offset.y
            if resort:
                self._order = self._sorted_order()
            self._view = self._filtered(self._order, self._filter)
            self._place_cursor(key, self._cursor, line)
        else:
            self._refresh_key(row.key)
        return True

    def sort_by(self, column_key: str | None, reverse: bool = False) -> None:
        """Sort by a column (natural order); None restores the original order."""
        if column_key is not None:
            self._column_index(column_key)  # raises KeyError for unknown columns
            self._sort = (column_key, reverse)
        else:
            self._sort = None
        key = self.cursor_row_key
        self._order = self._sorted_order()
        self._view = self._filtered(self._order, self._filter)
        self._place_cursor(key, self._cursor, None)

    def set_filter(self, text: str) -> None:
        """Show only rows containing `text` (case-insensitive, any cell).

        A leading "!" shows the rows that do *not* contain the rest.
        An empty string (or a lone "!") shows all rows.
        """
        if text == self._filter:
            return
        old = self._filter
        key = self.cursor_row_key
        line = self._cursor - self.scroll_offset.y
        self._filter = text
        if RowFilter.parse(text).narrows(RowFilter.parse(old)):
            # Narrowing a positive filter: only the rows shown can still match.
            source = self._view
        else:
            source = self._order
        self._view = self._filtered(source, text)
        self._place_cursor(key, 0, line, fallback_top=True)

    # -- data helpers ---------------------------------------------------------

    def _matches(self, hay: str) -> bool:
        return RowFilter.parse(self._filter).matches(hay)

    def _filtered(self, order: list[int], text: str) -> list[int]:
        row_filter = RowFilter.parse(text)
        if row_filter.shows_all and order is self._order:
            return order
        return row_filter.select(order, self._hay)

    def _column_index(self, column_key: str) -> int:
        for i, column in enumerate(self._columns):
            if column.key == column_key:
                return i
        raise KeyError(f"no column {column_key!r}")

    def _sorted_order(self) -> list[int]:
        count = len(self._rows)
        if self._sort is None:
            return list(range(count))
        column_key, reverse = self._sort
        values = map(itemgetter(self._column_index(column_key)), map(attrgetter("cells"), self._rows))
        keys = list(map(natural_key, values))
        return sorted(range(count), key=keys.__getitem__, reverse=reverse)

    def _compute_widths(self) -> None:
        """Content width of each column, from the data, without Rich measuring."""
        cells = list(map(attrgetter("cells"), self._rows))
        # Rows with non-ASCII text may contain wide characters: measure those too.
        non_ascii = list(compress(cells, (not h.isascii() for h in self._hay)))
        sample = cells[:_WIDTH_SAMPLE] + non_ascii[:_NON_ASCII_CAP]
        widths = []
        for i, column in enumerate(self._columns):
            if column.width is not None:
                widths.append(column.width)
                continue
            header = cell_len(column.label) + 2  # room for " ▲"
            data = 0
            if cells:
                get = itemgetter(i)
                data = max(map(len, map(get, cells)))
                data = max(data, max(map(cell_len, map(get, sample))))
            widths.append(max(column.min_width, min(column.max_width, max(header, data))))
        self._widths = widths
        self._layout_columns()

    def _layout_columns(self) -> None:
        spans = [w + 2 for w in self._widths]  # one space of padding either side
        self._offsets = [0, *accumulate(spans)][:-1] if spans else []
        self._total_width = sum(spans)
        self._clear_cache()

    # -- cursor and scrolling -------------------------------------------------

    @property
    def _page_height(self) -> int:
        """Rows that fit below the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def _place_cursor(
        self,
        key: Hashable | None,
        fallback: int,
        screen_line: int | None,
        fallback_top: bool = False,
    ) -> None:
        """After the view changed: find `key` again, keep it on the same screen line."""
        position = None
        index = self._index.get(key) if key is not None else None
        if index is not None:
            try:
                position = self._view.index(index)
            except ValueError:
                position = None
        if position is None:
            position = 0 if fallback_top else fallback
            screen_line = None
        self._cursor = max(0, min(position, len(self._view) - 1))
        self._clear_cache()
        self.virtual_size = Size(self._total_width, len(self._view) + 1)
        if screen_line is not None and 0 <= screen_line < self._page_height:
            self._scroll_to_y(self._cursor - screen_line)
        elif fallback_top and position == 0:
            self._scroll_to_y(0)
        else:
            self._scroll_cursor_into_view()
        self.refresh()
        self._post_highlight()

    def _scroll_to_y(self, y: int) -> None:
        if not self.is_mounted:
            return
        max_y = max(0, len(self._view) + 1 - self.scrollable_content_region.height)
        self.scroll_to(y=max(0, min(y, max_y)), animate=False, force=True)

    def _scroll_cursor_into_view(self) -> None:
        top = round(self.scroll_y)
        page = self._page_height
        if self._cursor < top:
            self._scroll_to_y(self._cursor)
        elif self._cursor >= top + page:
            self._scroll_to_y(self._cursor - page + 1)
        else:
            self._scroll_to_y(top)  # clamps after the view shrank

    def _move_cursor(self, position: int) -> None:
        if not self._view:
            return
        position = max(0, min(position, len(self._view) - 1))
        old = self._cursor
        if position == old:
            return
        self._cursor = position
        self.refresh_line(old + 1)
        self.refresh_line(position + 1)
        self._scroll_cursor_into_view()
        self._post_highlight()

    def _post_highlight(self) -> None:
        key = self.cursor_row_key
        if key is None and not self._view:
            if self._posted_empty:
                return
            self._posted_empty = True
            self._highlighted = None
            self.post_message(self.RowHighlighted(self, None))
            return
        if key != self._highlighted or self._posted_empty:
            self._posted_empty = False
            self._highlighted = key
            self.post_message(self.RowHighlighted(self, key))

    def action_cursor_up(self) -> None:
        self._move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        self._move_cursor(self._cursor - self._page_height)

    def action_page_down(self) -> None:
        self._move_cursor(self._cursor + self._page_height)

    def action_scroll_top(self) -> None:
        self._move_cursor(0)

    def action_scroll_bottom(self) -> None:
        self._move_cursor(len(self._view) - 1)

    def action_vi(self, key: str) -> None:
        """The move of a vi key, unless a pane or screen around the grid binds that key itself (Sync's `k`: check)."""
        if any(key in node._bindings.key_to_bindings for node in self.ancestors):  # no public map of a node's keys
            raise SkipAction()
        getattr(self, f"action_{self.VI_MOVES[key]}")()

    def action_column_left(self) -> None:
        """Scroll left to the previous column's edge (when columns are wider than the grid)."""
        x = round(self.scroll_x)
        edges = [edge for edge in self._offsets if edge < x]
        self.scroll_to(x=edges[-1] if edges else 0, animate=False)

    def action_column_right(self) -> None:
        """Scroll right to the next column's edge."""
        x = round(self.scroll_x)
        edges = [edge for edge in self._offsets if edge > x]
        if edges and x < self.max_scroll_x:
            self.scroll_to(x=min(edges[0], self.max_scroll_x), animate=False)

    def action_select_cursor(self) -> None:
        key = self.cursor_row_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    # -- mouse ----------------------------------------------------------------

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        x, y = offset
        if y == 0:
            column = bisect_right(self._offsets, x + round(self.scroll_x)) - 1
            if 0 <= column < len(self._columns):
                key = self._columns[column].key
                reverse = self._sort is not None and self._sort[0] == key and not self._sort[1]
                self.sort_by(key, reverse)
                self.post_message(self.Sorted(self, key, reverse))
            return
        position = round(self.scroll_y) + y - 1
        if 0 <= position < len(self._view):
            self._move_cursor(position)
            if event.chain >= 2:
                self.action_select_cursor()

    # -- styles and caches ----------------------------------------------------

    def _clear_cache(self) -> None:
        self._line_cache.clear()

    def _refresh_key(self, key: Hashable) -> None:
        index = self._index.get(key)
        if index is None:
            return
        # A row's position only needs finding if it might be on screen.
        top = round(self.scroll_y)
        on_screen = self._view[top : top + self._page_height]
        if index in on_screen:
            self.refresh_line(top + on_screen.index(index) + 1)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_cache.clear()
        self._css_variables = None
        self._clear_cache()
        self.refresh()

    def _on_resize(self, event: events.Resize) -> None:
        self._clear_cache()
        self._scroll_cursor_into_view()

    def _on_focus(self, event: events.Focus) -> None:
        self._clear_cache()
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self._clear_cache()
        self.refresh()

    def _layer_style(self, base: Style, text: str | None) -> Style:
        """`base` with a Textual style string on top.

        Theme variables work ("$text-success", "bold $text-error"), and colours
        with alpha ("$text-muted", "$foreground-muted") are blended over the row's background.
        """
        if not text:
            return base
        cache_key = (base, text)
        style = self._style_cache.get(cache_key)
        if style is None:
            if self._css_variables is None:
                self._css_variables = self.app.get_css_variables()
            variables = self._css_variables
            # Substitute theme variables ourselves: Textual's own substitution drops
            # the alpha of multi-token values such as $text-muted ("auto 60%").
            expanded = _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), text)
            try:
                # Parsing costs milliseconds (Textual's markup parser); each text is parsed once per theme, whatever
                # the row's base style (cursor, focus) it is layered on.
                parsed = self._parsed_styles.get(expanded)
                if parsed is None:
                    parsed = self._parsed_styles[expanded] = parse_style(expanded, {})
                style = (TextualStyle.from_rich_style(base) + parsed).rich_style
            except Exception:
                try:
                    style = base + Style.parse(text)
                except Exception:
                    style = base
            self._style_cache[cache_key] = style
        return style

    # -- rendering ------------------------------------------------------------

    @staticmethod
    def _fit(text: str, width: int, justify: str) -> str:
        """Pad or truncate (with an ellipsis) to exactly `width` cells."""
        if width <= 0:
            return ""
        if not text.isprintable():
            text = visible(text)  # backend data: control characters shown escaped, never sent raw
        if text.isascii():
            length = len(text)
            if length > width:
                return text[: width - 1] + _ELLIPSIS
        else:
            length = cell_len(text)
            if length > width:
                return set_cell_size(text, width - 1) + _ELLIPSIS
        gap = width - length
        if not gap:
            return text
        if justify == "right":
            return " " * gap + text
        if justify == "center":
            left = gap // 2
            return " " * left + text + " " * (gap - left)
        return text + " " * gap

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        base = self.rich_style
        line_width = max(self._total_width, width)
        if y == 0:
            strip = self._render_header(line_width)
        elif not self._view:
            if y == max(1, self.scrollable_content_region.height // 2):
                return self._render_empty(width)
            return Strip.blank(width, base)
        else:
            position = scroll_y + y - 1
            if position >= len(self._view):
                return Strip.blank(width, base)
            strip = self._render_row(position, line_width)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _render_header(self, line_width: int) -> Strip:
        cache_key = ("\0header", self._sort, line_width)
        strip = self._line_cache.get(cache_key)
        if strip is not None:
            return strip
        style = self.get_component_styles("grid--header").rich_style
        sort_key, reverse = self._sort if self._sort else (None, False)
        segments = []
        for column, width in zip(self._columns, self._widths):
            label = column.label
            if column.key == sort_key and width >= 3:
                arrow = "▼" if reverse else "▲"
                if cell_len(label) + 2 > width:
                    label = self._fit(label, width - 2, "left")
                label = f"{label} {arrow}"
            label = self._fit(label, width, column.justify)
            segments.append(Segment(f" {label} ", style))
        strip = Strip(segments, self._total_width).extend_cell_length(line_width, style)
        self._line_cache.set(cache_key, strip)
        return strip

    def _render_empty(self, width: int) -> Strip:
        message = self.empty_message
        if message is None:
            if self._rows and self._filter:
                message = f"No rows match '{self._filter}'"
            else:
                message = "No rows"
        style = self.get_component_rich_style("grid--empty")
        text = self._fit(message, width, "center")
        return Strip([Segment(text, style)], width)

    def _render_row(self, position: int, line_width: int) -> Strip:
        index = self._view[position]
        row = self._rows[index]
        is_cursor = position == self._cursor
        parity = position % 2
        cache_key = (row.key, self._versions.get(row.key, 0), line_width, is_cursor, parity)
        strip = self._line_cache.get(cache_key)
        if strip is not None:
            return strip

        base = self.get_component_styles(
            "grid--odd-row" if parity else "grid--even-row"
        ).rich_style
        base = self._layer_style(base, row.row_style)
        cursor = self.get_component_rich_style("grid--cursor") if is_cursor else None
        fill = base + cursor if cursor is not None else base

        fit = self._fit
        layer = self._layer_style
        styles = row.styles
        segments = []
        for i, (column, width, text) in enumerate(zip(self._columns, self._widths, row.cells)):
            style = base
            if styles is not None and i < len(styles) and styles[i]:
                style = layer(base, styles[i])
            if cursor is not None:
                style = style + cursor
            segments.append(Segment(f" {fit(text, width, column.justify)} ", style))
        strip = Strip(segments, self._total_width).extend_cell_length(line_width, fill)
        self._line_cache.set(cache_key, strip)
        return strip
