"""Servers: one table across every backend, filter, sort, details, actions, auto-refresh within the rate budget."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Hashable
from datetime import UTC
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from ...filtering import search_text
from ...keys import keys
from ...widgets.footer import KeysFooter
from ...widgets.grid import Grid
from ...widgets.topbar import TopBar
from ..grid_screen import GridLayout
from ..grid_screen import GridScreen
from .bulk import BulkActions
from .cache import freshness
from .details import details_text
from .rows import COLUMNS
from .rows import server_row

if TYPE_CHECKING:
    from textual.timer import Timer

    from hostdeck.backends.models import Server

    from .cache import CachedServers

# Backends modules, dialogs and actions load with the first data, after the first paint (see bench/bench_startup.py).

# Decoding a long stored list holds the GIL for tens of milliseconds at a time: it starts once the first frame has
# had time to reach the terminal (Textual's output thread needs the GIL to write it).
REST_DELAY = 0.1


class ServersScreen(BulkActions):
    LAYOUT = GridLayout("servers-grid", "servers-body", details_placeholder="Select a server to see its details.")
    SORT_COLUMNS = tuple(column.key for column in COLUMNS)
    BINDINGS = keys("servers", """
        slash   filter        filter          Filter
        escape  clear         clear           Clear/back
        a       actions       actions         Actions
        d       details       toggle_details  Details
        r       refresh       refresh         Refresh
        n       create        create          New server
        c       copy_ip       copy_ip         Copy IP
        s       sort          sort_next       Sort
        S       sort_reverse  sort_reverse    [Reverse]
        space   mark          toggle_mark     [Mark]
        asterisk,ctrl+space  mark_all  mark_all  [Mark all]
    """)

    def __init__(self) -> None:
        super().__init__()
        self.servers: dict[Hashable, Server] = {}
        self.stale_backends: set[str] = set()
        self.progress: dict[Hashable, str] = {}
        self.marks: set[Hashable] = set()  # rows marked for a bulk action (space)
        self.last_refresh: float | None = None
        self.refresh_seconds: float = 30.0
        self._timer: Timer | None = None
        self._sort_index = 1  # name
        self._links = None
        self._links_error: str | None = None
        self.billing_snapshot = None
        self._targets: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # action worker -> server key
        self.cache: dict[str, CachedServers] = {}  # backends whose rows come from the store, not yet refreshed
        self.refreshing: set[str] = set()
        self.unreachable: dict[str, tuple[str, str]] = {}  # backend -> (error category, message)
        self.fetched_at: dict[str, datetime] = {}  # when each backend's rows on screen were listed

    def compose(self) -> ComposeResult:
        yield TopBar("Servers")
        # The filter box and the details pane are mounted when first asked for: neither is on the first frame, and
        # styling them would hold that frame back.
        with Horizontal(id="servers-body"):
            yield Grid(COLUMNS, id="servers-grid")
        yield Static("", id="status-line")
        # the Footer comes after the first paint (add_footer): it recomposes itself while focus and bindings settle,
        # and each recompose holds the screen's first frame, with the rows, back

    def _compositor_refresh(self) -> None:
        # Textual renders the screen inside its start-up batch and then drops that frame (App._display draws
        # nothing while a batch is open): with the stored rows, 30-40 ms of the first paint. Left dirty, the
        # screen is drawn once, when the batch closes.
        if self.app._batch_count:
            return
        super()._compositor_refresh()

    def footer_after_first_rows(self) -> None:
        """The Footer's first layout costs tens of milliseconds of the event loop: with no rows on screen yet (nothing
        stored), they come first, or half a second passes."""
        if self.servers or not self.app.workspace.backend_names:
            self.add_footer()
        else:
            self.set_timer(0.5, self.add_footer)

    def add_footer(self) -> None:
        if not self.query(KeysFooter):
            self.mount(KeysFooter())
            self.call_after_refresh(self.refresh_bindings)  # the Footer draws its keys on the next bindings update

    def on_mount(self) -> None:
        self.app.servers_screen = self  # the command palette finds servers and actions here
        self.grid.empty_message = "Loading servers…" if self.app.workspace.backend_names else \
            "No backends configured: add one in Connections (6, then a), or start with --demo."
        self.grid.sort_by("name")
        self.grid.focus()
        if self.app.workspace.backend_names:
            self._paint_cached()
            self.refresh_servers()
        self.set_interval(1.0, self.update_status)
        if self.app.first_paint_ms is not None:  # shown after start-up: no first paint to protect
            self.add_footer()

    # loading --------------------------------------------------------------------
    def _paint_cached(self) -> None:
        """The stored inventory, on screen at the first paint (stdlib sqlite3: no SQLAlchemy on this path)."""
        from .cache import load_cached

        self.cache = load_cached(self.app.workspace)
        self.refreshing = set(self.cache)  # the refresh starts right after the first paint
        for snapshot in self.cache.values():
            self.fetched_at[snapshot.backend] = snapshot.fetched_at
            for server in snapshot.servers:
                self.servers[server.key] = server
        partial_lists = [b for b, c in self.cache.items() if c.partial]
        if self.servers:
            self._render_rows()
            self.call_after_refresh(self.app.start_up_over)
        if partial_lists:  # only their first rows by name are painted: the rest follows once they are on screen
            self.set_timer(REST_DELAY, partial(self._load_rest, partial_lists))

    @work(group="servers-cache-rest", exit_on_error=False, description="Load the stored inventory")
    async def _load_rest(self, backends: list[str]) -> None:
        from .cache import load_rest

        found = await asyncio.to_thread(load_rest, self.app.workspace, backends)
        for backend, servers in found.items():
            cached = self.cache.get(backend)
            if cached is None:
                continue  # refreshed live meanwhile
            cached.servers = servers
            self.servers = {k: s for k, s in self.servers.items() if s.backend != backend}
            for server in servers:
                self.servers[server.key] = server
        for backend in backends:  # whatever could not be read stays as painted
            if backend in self.cache:
                self.cache[backend].partial = False
        self._render_rows()
        import gc

        # Tens of thousands of long-lived rows: out of the cyclic collector's full passes, which would otherwise stall
        # keystrokes now and then (they are still freed by reference counting when replaced).
        gc.freeze()

    @work(group="servers-refresh", exclusive=True, exit_on_error=False, description="List servers")
    async def refresh_servers(self) -> None:
        if self.cache or self.app.demo:  # rows from the store are painted first; the demo's simulators start first
            await self.app.backends_ready()
        from hostdeck.backends.refresh import refresh_interval

        adapters = await asyncio.to_thread(self.app.workspace.prepare_listing)  # imports off the event loop
        self._drop_unlisted({a.name for a in adapters})
        self.refreshing = {a.name for a in adapters}
        self.update_status()

        async def listed(adapter):
            try:
                return adapter, await adapter.list_servers()
            except Exception as exc:  # one backend's failure degrades its rows, not the others
                return adapter, exc

        tasks = [asyncio.ensure_future(listed(a)) for a in adapters]
        try:
            for next_done in asyncio.as_completed(tasks):  # each backend's rows replace its cached ones as it answers
                self._backend_answered(*await next_done)
        finally:
            for task in tasks:
                task.cancel()
            self.refreshing = set()
        self.last_refresh = time.monotonic()
        await self._billing(adapters)
        self._render_rows()
        counts = {a.name: sum(1 for s in self.servers.values() if s.backend == a.name) for a in adapters}
        self.refresh_seconds = refresh_interval(self.app.workspace.config.general.refresh_interval,
                                                [(a.refresh_cost(counts[a.name]), a.sustained_requests_per_second)
                                                 for a in adapters])
        self._arm_timer()

    def _drop_unlisted(self, listed: set[str]) -> None:
        """Cached rows of a backend that is no longer listed on its own (removed, or joined to a panel) go."""
        gone = set(self.cache) - listed
        if gone:
            for backend in gone:
                del self.cache[backend]
            self.servers = {k: s for k, s in self.servers.items() if s.backend not in gone}
            self._render_rows()

    def _backend_answered(self, adapter, result) -> None:
        from .cache import remember_failure
        from .cache import remember_servers

        self.refreshing.discard(adapter.name)
        if isinstance(result, BaseException):
            self.stale_backends.add(adapter.name)
            message = getattr(result, "message", str(result))
            self.unreachable[adapter.name] = (getattr(result, "category", ""), message)
            self.app.report_failure(result, action="List servers", backend=adapter.name)  # toast, Logs, header
            self.call_after_refresh(self.app.start_up_over)
            self._keep(partial(remember_failure, self.app.workspace, adapter.name, message), adapter.name)
            self._render_rows()
            return
        self.stale_backends.discard(adapter.name)
        self.unreachable.pop(adapter.name, None)
        self.cache.pop(adapter.name, None)
        self.fetched_at[adapter.name] = datetime.now(UTC)
        for key in [k for k, s in self.servers.items() if s.backend == adapter.name]:
            del self.servers[key]
        for server in result:
            self.servers[server.key] = server
        self._render_rows()
        self._keep(partial(remember_servers, self.app.workspace, adapter.name, result), adapter.name)
        if self.app.first_paint_ms is not None:
            self.call_after_refresh(self.add_footer)
        self.call_after_refresh(self.app.start_up_over)

    def _keep(self, write, backend: str) -> None:
        """Write to the store in a thread once the rows are painted (the first write may create the database)."""
        self.call_after_refresh(self.run_worker, write, thread=True, group=f"snapshot-{backend}", exit_on_error=False,
                                description=f"Keep the server list of {backend} for the next start")

    def billing_links(self):
        """The WHMCS service links, when billing is configured (None otherwise: the column stays empty)."""
        if self._links is None and self._links_error is None:
            if not any(b.kind == "whmcs" for b in self.app.workspace.config.backends):
                self._links_error = "no WHMCS backend is configured"  # and the sync modules (SQLModel) stay unloaded
                return None
            from hostdeck.backends.errors import ConfigError
            from hostdeck.backends.sync.billing_setup import service_links

            try:
                self._links = service_links(self.app.workspace)
            except ConfigError as exc:
                self._links_error = str(exc)
        return self._links

    async def _billing(self, adapters) -> None:
        """Who pays for each server: the billing column and the detail's Billing section (a failure degrades them)."""
        from hostdeck.backends.errors import BackendError

        links = await asyncio.to_thread(self.billing_links)  # its imports (SQLModel) stay off the event loop
        if links is None:
            return
        try:
            self.billing_snapshot = await links.snapshot(servers=list(self.servers.values()))
        except BackendError as exc:
            self.app.report_failure(exc, action="Read the billing of the servers", backend=links.billing.name)
            return
        links.annotate(self.servers.values(), self.billing_snapshot)

    def _arm_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        if getattr(self.app, "poll_servers", True):
            self._timer = self.set_timer(self.refresh_seconds, self._refresh_timer_fired)

    def _refresh_timer_fired(self) -> None:
        # Paused while a dialog is open or another screen is shown: rows must not shift under a confirmation.
        if self.app.modal_open or self.app.screen is not self:
            self._arm_timer()
            return
        self.refresh_servers()

    def _render_rows(self) -> None:
        stale, cached, marks = self.stale_backends, self.cache, self.marks
        marks.intersection_update(self.servers)  # a server that is gone is no target
        rows = [server_row(s, progress=self.progress.get(k), stale=s.backend in stale, cached=s.backend in cached,
                           marked=k in marks) for k, s in self.servers.items()]
        self.grid.set_rows(rows)
        if not rows:
            self.grid.empty_message = "No servers."
        if self.details_shown:
            self.update_details()
        self.update_status()

    def update_status(self) -> None:
        grid = self.grid
        parts = [self.counted("servers")]
        if not (grid.total_count or self.fetched_at or self.unreachable or self.cache):
            parts[0] = "loading servers…" if self.app.workspace.backend_names else "no backends configured"
        if any(c.partial for c in self.cache.values()):
            parts[0] = f"the first {grid.total_count:,} servers by name · loading the rest of the stored list…"
        if grid.filter_text:
            parts.append(f"filter {grid.filter_text!r}")
        if self.marks:
            parts.append(f"{len(self.marks):,} marked (a: act on them, esc: clear)")
        parts += freshness(self.cache, self.fetched_at, self.refreshing, self.unreachable)  # what is not fresh first
        if self.refreshing - set(self.cache):
            parts.append("refreshing…")
        if self.last_refresh is not None:
            ago = time.monotonic() - self.last_refresh
            verb = "refreshed" if set(self.fetched_at) - set(self.unreachable) - set(self.cache) else "tried"
            parts.append((f"{verb} just now" if ago < 10 else f"{verb} {ago:.0f} s ago")
                         + (f", auto every {self.refresh_seconds:.0f} s" if getattr(self.app, "poll_servers", True) else ", auto-refresh off"))
        self.set_status(" · ".join(parts))

    def apply_filter(self, text: str) -> None:
        term = search_text(text)
        self.grid.empty_message = f"No servers match {term!r}." if term else None
        super().apply_filter(text)

    # details ------------------------------------------------------------------------
    def update_details(self) -> None:
        body = self.details_body
        if body is None:
            return
        server = self.selected
        if server is None:
            body.update(self.LAYOUT.details_placeholder)
            for extras in self.query("#details-extras"):
                extras.display = False
            return
        sections = list(self.app.workspace.adapter(server.backend).detail_sections(server))
        if self._links is not None and self.billing_snapshot is not None:
            billing = self._links.detail_section(server, self.billing_snapshot)
            if billing:
                sections.insert(0, billing)
        body.update(details_text(server, sections, self.app.workspace.events.recent(2000)))
        self._show_extras(server)

    def _show_extras(self, server: Server) -> None:
        """The CPU sparkline and the attachments, above the details (mounted with the first server shown)."""
        from ...widgets.server_extras import ServerExtras

        adapter = self.app.workspace.adapter(server.backend)
        found = self.query(ServerExtras)
        if found:
            found.first().show(server, adapter)
            return
        self.details_pane.mount(ServerExtras(server, adapter, id="details-extras"), before=0)

    def action_refresh(self) -> None:
        self.refresh_servers()

    def select_server(self, key: Hashable) -> None:
        """Used by the command palette: jump to one server (the filter goes; the marks stay)."""
        GridScreen.action_clear(self)
        self.grid.cursor_row_key = key
        self.update_details()
