"""The hostdeck Textual app: one mode per screen, the palette, themes, keymap, and one handler for worker failures."""

from __future__ import annotations

import asyncio
import time
from functools import partial
from typing import TYPE_CHECKING, Callable
from importlib import resources

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from backends.workspace import Workspace


from .commands import ScreensProvider, ServerActionsProvider, ServersProvider
from .errors import plain_message
from .messages import BackendHealth

STARTED = time.perf_counter()


def _lazy_screen(target: str):
    """Screens are imported when first shown, keeping start-up to what the first screen needs."""
    import importlib

    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)()


class HostdeckApp(App[int]):
    TITLE = "hostdeck"
    CSS_PATH = str(resources.files("styles") / "app.tcss")  # absolute: subclasses may live anywhere
    MODES = {
        "servers": partial(_lazy_screen, "tui.screens.servers:ServersScreen"),
        "catalog": partial(_lazy_screen, "tui.screens.catalog:CatalogScreen"),
        "sync": partial(_lazy_screen, "tui.screens.sync:SyncScreen"),
        "sites": partial(_lazy_screen, "tui.screens.sites:SitesScreen"),
        "logs": partial(_lazy_screen, "tui.screens.logs:LogsScreen"),
        "connections": partial(_lazy_screen, "tui.screens.connections:ConnectionsScreen"),
    }
    MODE_TITLES = {"servers": "Servers", "catalog": "Catalog", "sync": "Sync", "sites": "Sites", "logs": "Logs",
                   "connections": "Connections"}
    COMMANDS = App.COMMANDS | {ScreensProvider, ServersProvider, ServerActionsProvider}
    BINDINGS = [
        Binding("1", "switch_mode('servers')", "Servers", show=False, id="app.servers"),
        Binding("2", "switch_mode('catalog')", "Catalog", show=False, id="app.catalog"),
        Binding("3", "switch_mode('sync')", "Sync", show=False, id="app.sync"),
        Binding("4", "switch_mode('sites')", "Sites", show=False, id="app.sites"),
        Binding("5", "switch_mode('logs')", "Logs", show=False, id="app.logs"),
        Binding("6", "switch_mode('connections')", "Connections", show=False, id="app.connections"),
        Binding("question_mark", "help", "Keys", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    health_version: reactive[int] = reactive(0)

    def __init__(self, workspace: "Workspace", *, demo: bool = False, initial_mode: str = "servers",
                 auto_refresh: bool = True, prepare: Callable[[], None] | None = None) -> None:
        """`prepare`: blocking set-up run in a thread after the first paint (starting the demo simulators);
        screens `await app.backends_ready()` before their first call."""
        self.workspace = workspace
        self.read_only = workspace.read_only
        self.demo = demo
        self.poll_servers = auto_refresh
        self.initial_mode = initial_mode
        self.health: dict[str, tuple[str, str]] = {name: ("unknown", "") for name in workspace.backend_names}
        self.connection_reports: dict = {}
        self.first_paint_ms: float | None = None
        self.servers_screen = None  # set by the Servers screen when it mounts
        self._prepare = prepare
        self._backends_ready = asyncio.Event()
        if initial_mode in self.MODES:
            # The first screen is built at compose, not switched to from an empty default screen: a mode switch holds
            # screen updates back for 50 ms, long enough for the first refresh to start and delay the first rows.
            self.DEFAULT_MODE = initial_mode
        super().__init__()
        self._apply_theme(workspace.config.general.theme)

    def _apply_theme(self, theme: str) -> None:
        if theme not in self.available_themes:
            self._theme_error = (f"theme {theme!r} is not known; using textual-dark. Fix: set [general] theme to one of "
                                 f"{', '.join(sorted(self.available_themes))}.")
            return
        self._theme_error = None
        self.theme = theme

    def on_mount(self) -> None:
        if self.workspace.config.keymap:
            self.set_keymap(self.workspace.config.keymap)
        if self._theme_error:
            self.notify(self._theme_error, severity="warning", timeout=10)
        self.switch_mode(self.initial_mode)

    def on_ready(self) -> None:
        self.first_paint_ms = (time.perf_counter() - STARTED) * 1000
        if self.servers_screen is not None:
            self.servers_screen.add_footer()
        self.set_interval(5.0, self._flush_events)
        if self._prepare is None:
            self._backends_ready.set()
        else:
            self.run_worker(self._run_prepare, thread=True, group="prepare", exit_on_error=False)

    def _run_prepare(self) -> None:
        try:
            self._prepare()
        finally:
            self.call_from_thread(self._backends_ready.set)

    def _flush_events(self) -> None:
        # The store and the log file are written from a thread, in batches: SQLite never blocks the screen.
        if self.workspace.events.has_pending:
            self.run_worker(self.workspace.flush_events, thread=True, group="flush-events", exit_on_error=False)

    async def backends_ready(self) -> None:
        await self._backends_ready.wait()

    # health -----------------------------------------------------------------
    @on(BackendHealth)
    def _health(self, message: BackendHealth) -> None:
        self.set_health(message.backend, message.state, message.detail)

    def set_health(self, backend: str, state: str, detail: str = "") -> None:
        if self.health.get(backend) != (state, detail):
            self.health[backend] = (state, detail)
            self.health_version += 1

    # failures -----------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one handler for every worker failure: plain words, never a traceback."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.error)

    def report_error(self, error: BaseException) -> None:
        title, message = plain_message(error)
        self.notify(message, title=title, severity="error", timeout=10, markup=False)

    # helpers --------------------------------------------------------------------
    @property
    def modal_open(self) -> bool:
        return isinstance(self.screen, ModalScreen)

    def action_help(self) -> None:
        from .dialogs.help import HelpScreen

        rows = []
        seen = set()
        for _key, active in self.screen.active_bindings.items():
            b = active.binding
            label = b.description or b.action
            ident = b.id or ""
            if (b.key, ident) in seen:
                continue
            seen.add((b.key, ident))
            rows.append((self.get_key_display(b), label, ident))
        self.push_screen(HelpScreen(rows))

    async def action_quit(self) -> None:
        self.exit(0)

    async def on_unmount(self) -> None:
        await self.workspace.aclose()
