"""The skeleton of the list screens: a filter box on `/`, a Grid, a details pane beside it and a status line.

Servers, Sync (its Clients tab), Sites and Logs are GridScreens; Catalog (tabs of tables) uses the filter box alone.
The filter box and the details pane are mounted when first asked for unless the screen composes them itself (a
`#filter` Input, a `#details` pane): neither is on the first frame, and styling them would hold that frame back.
What a filter text means lives in `filtering.py`.
"""

from __future__ import annotations

from typing import Any
from typing import ClassVar
from typing import NamedTuple

from textual import on
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Input
from textual.widgets import Static

from ..grid_cache import paint_cached
from ..reporting import ReportsFailures
from ..safe_text import as_text
from ..typing_keys import KeysWhileTyping
from ..widgets.grid import Grid

STATUS_LIMIT = 500  # characters of the status line
FILTER_PLACEHOLDER = "filter: text matches any column; !text excludes"


class GridLayout(NamedTuple):
    """Where a GridScreen's parts are: the ids of its Grid and of the body holding it (the details pane goes beside
    the grid), where the filter box goes (above the body unless said), the Static showing the details."""

    grid: str
    body: str
    filter_before: str = ""  # a selector; "" is the body
    filter_placeholder: str = FILTER_PLACEHOLDER
    details: str = "details-body"
    details_placeholder: str = "Select a row."


class FilterBox(ReportsFailures, KeysWhileTyping):
    """`/` shows the filter box, Enter goes back to the rows, Escape clears and hides it (F1 and ctrl+q stand in for
    `?` and `q` while it has the focus)."""

    FILTER_BEFORE: ClassVar[str]  # the selector of the widget the box is mounted above
    FILTER_PLACEHOLDER: ClassVar[str] = FILTER_PLACEHOLDER
    FILTER_HIDES: ClassVar[bool] = True  # False: the box is always on screen (composed by the screen)

    @property
    def filter_box(self) -> Input:
        found = self.query("#filter")
        if found:
            return found.first(Input)
        box = Input(placeholder=self.FILTER_PLACEHOLDER, id="filter")
        box.display = False
        above = self.query_one(self.FILTER_BEFORE)
        parent = above.parent
        assert isinstance(parent, Widget)
        parent.mount(box, before=above)
        return box

    def action_filter(self) -> None:
        box = self.filter_box
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.apply_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.focus_rows()

    def action_clear(self) -> None:
        self.clear_filter()

    def clear_filter(self) -> bool:
        """Empty and hide the filter box; False when there was nothing to clear."""
        found = self.query("#filter")
        box = found.first(Input) if found else None
        if box is None or not (box.value or (box.display and self.FILTER_HIDES)):
            return False
        box.value = ""
        if self.FILTER_HIDES:
            box.display = False
        self.apply_filter("")
        self.focus_rows()
        return True

    def apply_filter(self, text: str) -> None:
        raise NotImplementedError

    def focus_rows(self) -> None:
        raise NotImplementedError


class GridScreen(FilterBox):
    """One Grid in a body with the details pane beside it, a `#status-line` below (see `GridLayout`)."""

    LAYOUT: ClassVar[GridLayout]
    SORT_COLUMNS: ClassVar[tuple[str, ...]] = ()  # the column keys `s` steps through (bound by the screen)
    _sort_index = 0
    _details_static: Static | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        layout = cls.__dict__.get("LAYOUT")
        if layout is not None:
            cls.AUTO_FOCUS = f"#{layout.grid}"
            cls.FILTER_BEFORE = layout.filter_before or f"#{layout.body}"
            cls.FILTER_PLACEHOLDER = layout.filter_placeholder

    @property
    def grid(self) -> Grid:
        return self.query_one(f"#{self.LAYOUT.grid}", Grid)

    def focus_rows(self) -> None:
        self.grid.focus()

    def apply_filter(self, text: str) -> None:
        self.grid.set_filter(text)
        self.update_status()

    # sort -----------------------------------------------------------------------------------------------------------
    def action_sort_next(self) -> None:
        if self.SORT_COLUMNS:
            self._sort_index = (self._sort_index + 1) % len(self.SORT_COLUMNS)
            self.grid.sort_by(self.SORT_COLUMNS[self._sort_index])

    def action_sort_reverse(self) -> None:
        state = self.grid.sort_state
        if state:
            self.grid.sort_by(state[0], reverse=not state[1])

    def paint_cached(self, scope: str, loading: str) -> str | None:
        """The rows kept for `scope` at once while the screen loads; their age in words, or None (see grid_cache)."""
        self.grid.empty_message = loading
        return paint_cached(self.grid, self.app.workspace, scope)

    # status ---------------------------------------------------------------------------------------------------------
    def update_status(self) -> None:
        """Say what is on screen in the status line (the screen knows its words)."""

    def counted(self, noun: str) -> str:
        """ "1,204 servers", or "3 of 1,204 servers" while a filter is on."""
        grid = self.grid
        if grid.filter_text:
            return f"{grid.match_count:,} of {grid.total_count:,} {noun}"
        return f"{grid.total_count:,} {noun}"

    def set_status(self, text: str) -> None:
        """A plain string is shown as it is (never as markup), control characters escaped."""
        self.query_one("#status-line", Static).update(as_text(text, limit=STATUS_LIMIT))

    # details --------------------------------------------------------------------------------------------------------
    @property
    def details_shown(self) -> bool:
        found = self.query("#details")
        return bool(found) and found.first().display

    @property
    def details_pane(self) -> VerticalScroll:
        found = self.query("#details")
        if found:
            return found.first(VerticalScroll)
        self._details_static = Static(self.LAYOUT.details_placeholder, id=self.LAYOUT.details)
        pane = VerticalScroll(self._details_static, id="details")
        self.query_one(f"#{self.LAYOUT.body}").mount(pane)
        return pane

    @property
    def details_body(self) -> Static | None:
        """None until the details pane is mounted."""
        if self._details_static is None:
            found = self.query(f"#{self.LAYOUT.details}")  # composed by the screen
            self._details_static = found.first(Static) if found else None
        return self._details_static

    def action_clear(self) -> None:
        """Escape: the filter first, then the details pane."""
        if not self.clear_filter() and self.details_shown:
            self.details_pane.display = False
            self.focus_rows()

    def action_toggle_details(self) -> None:
        shown = self.details_shown  # before `details_pane` mounts a new pane, which is shown at once
        self.details_pane.display = not shown
        if not shown:
            self.update_details()

    @on(Grid.RowHighlighted)
    def _row_highlighted(self, event: Grid.RowHighlighted) -> None:
        if event.grid.id == self.LAYOUT.grid and self.details_shown:  # hidden details cost nothing
            self.update_details()

    @on(Grid.RowSelected)
    def _row_selected(self, event: Grid.RowSelected) -> None:
        if event.grid.id == self.LAYOUT.grid and not self.details_shown:  # shown, the highlight has filled it
            self.details_pane.display = True
            self.update_details()

    def update_details(self) -> None:
        """Show the selected row in `details_body` (when it is mounted)."""
