"""Logs: the event log, live. Every API call, action and audit entry; filter by backend, level and text, and by who:
everyone on the store (a team's shared PostgreSQL store holds the other consoles' events too) or only me."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from textual import on
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input
from textual.widgets import Select
from textual.widgets import Static

from hostdeck.backends.models import Event
from hostdeck.backends.models import utcnow
from hostdeck.backends.store.actor import current_actor

from ..keys import keys
from ..safe_text import as_text
from ..widgets.footer import KeysFooter
from ..widgets.grid import Column
from ..widgets.grid import Grid
from ..widgets.grid import Row
from ..widgets.topbar import TopBar
from .grid_screen import GridLayout
from .grid_screen import GridScreen

COLUMNS = [Column("time", "Time", width=8), Column("backend", "Backend", max_width=12), Column("kind", "Kind", width=6),
           Column("level", "Level", width=7), Column("method", "Method", width=6), Column("path", "Path", max_width=48),
           Column("status", "Status", width=6, justify="right"), Column("ms", "ms", width=7, justify="right"),
           Column("message", "Message", max_width=60)]
LEVEL_STYLE = {"info": None, "warning": "$text-warning", "error": "bold $text-error"}
MAX_EVENTS = 20_000
EMPTY = "No events yet: API calls and actions appear here as they happen."
HISTORY = timedelta(minutes=15)


def event_row(index: int, e: Event) -> Row:
    cells = (f"{e.ts:%H:%M:%S}", e.backend, e.kind.value, e.level, e.method or "", e.path or e.target or "",
             "" if e.status is None else str(e.status), "" if e.duration_ms is None else f"{e.duration_ms:.0f}", e.message)
    style = LEVEL_STYLE.get(e.level)
    return Row(key=index, cells=cells, styles=(None, None, None, style, None, None, style, None, None))


class LogsScreen(GridScreen):
    LAYOUT = GridLayout("log-grid", "logs-body", details="event-detail", details_placeholder="Select an event.")
    FILTER_HIDES = False  # composed in the filters row, beside the backend and level choices
    BINDINGS = keys("logs", """
        slash   filter   filter          Filter
        escape  clear    clear           Clear
        f       follow   toggle_follow   Follow
        d       details  toggle_details  Details
        m       mine     toggle_mine     Everyone/me
    """)

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []
        self._pending: list[Event] = []
        self.follow = True
        self.only_mine = False
        self._unsubscribe: Callable[[], None] | None = None

    def compose(self) -> ComposeResult:
        yield TopBar("Logs")
        with Horizontal(id="log-filters"):
            yield Select([], prompt="all backends", id="backend-filter")
            yield Select([("warnings and errors", "warning"), ("errors", "error")], prompt="all levels", id="level-filter")
            yield Input(placeholder="/ text filter (!text excludes)", id="filter")
        with Horizontal(id="logs-body"):
            yield Grid(COLUMNS, id="log-grid")
        yield Static("", id="status-line")
        yield KeysFooter()

    def on_mount(self) -> None:
        ws = self.app.workspace
        self.query_one("#backend-filter", Select).set_options([(as_text(n), n) for n in ws.adapters])
        self.events = list(ws.events.recent(MAX_EVENTS))
        self._unsubscribe = ws.events.subscribe(self._pending.append)
        self._refresh_view()
        self.set_interval(0.5, self._drain)
        self.load_history()

    def on_unmount(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()

    @work(thread=True, group="logs-history", exit_on_error=False, description="Read the last 15 minutes of the log")
    def load_history(self) -> None:
        """Older events from the store (last 15 minutes), read in a thread: SQLite never blocks the screen."""
        ws = self.app.workspace
        ws.flush_events()
        stored = ws.store.events(limit=5000, since=utcnow() - HISTORY)
        self.app.call_from_thread(self._merge_history, stored)

    def _merge_history(self, stored: list[Event]) -> None:
        known = {(e.ts, e.message, e.path) for e in self.events}
        older = [e for e in stored if (e.ts, e.message, e.path) not in known]
        if older:
            self.events = sorted(older + self.events, key=lambda e: e.ts)[-MAX_EVENTS:]
            self._refresh_view()

    def _drain(self) -> None:
        if not self._pending:
            return
        new, self._pending[:] = list(self._pending), []
        self.events.extend(new)
        del self.events[:-MAX_EVENTS]
        self._refresh_view()

    def _visible(self) -> list[tuple[int, Event]]:
        backend = self.query_one("#backend-filter", Select).value
        level = self.query_one("#level-filter", Select).value
        levels = {"warning": ("warning", "error"), "error": ("error",)}.get(level) if isinstance(level, str) else None
        me = current_actor() if self.only_mine else None
        return [(i, e) for i, e in enumerate(self.events)
                if (not isinstance(backend, str) or e.backend == backend) and (levels is None or e.level in levels)
                and (me is None or e.actor in (None, me))]   # no actor yet: this process's own, not yet stored

    def _refresh_view(self) -> None:
        grid = self.grid
        at_end = grid.cursor_index is None or grid.cursor_index >= grid.match_count - 1
        grid.set_rows(event_row(i, e) for i, e in self._visible())
        if self.follow and at_end:
            grid.action_scroll_bottom()
        self.update_status()

    def update_status(self) -> None:
        follow = "on" if self.follow else "off"
        shown, hidden = self.grid.match_count, len(self.events) - self.grid.match_count
        self.grid.empty_message = f"No events match the filter ({hidden:,} hidden)." if hidden else EMPTY
        counted = f"{shown:,} of {len(self.events):,} events ({hidden:,} hidden by the filter)" if hidden else \
            f"{shown:,} events"
        who = "only mine" if self.only_mine else "everyone"
        self.set_status(f"{counted} · {who} (m) · follow {follow} (f)")

    @on(Select.Changed)
    def _select_filter(self) -> None:
        self._refresh_view()

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        self._refresh_view()

    def action_toggle_mine(self) -> None:
        """Everyone's events (the whole team's, on a shared store) or only this person's (user@host)."""
        self.only_mine = not self.only_mine
        self._refresh_view()

    def update_details(self) -> None:
        body, key = self.details_body, self.grid.cursor_row_key
        if body is None or not isinstance(key, int) or key >= len(self.events):
            return
        record = json.dumps(self.events[key].as_dict(), indent=2, default=str)  # JSON escapes control characters
        body.update(as_text(record, multiline=True))
