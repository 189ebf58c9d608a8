"""The hostdeck Textual app: one mode per screen, the palette, themes, keymap, and one handler for worker failures."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from importlib import resources
from typing import TYPE_CHECKING

from textual import on
from textual.app import App
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.worker import Worker
from textual.worker import WorkerState

if TYPE_CHECKING:
    from hostdeck.backends.workspace import Workspace

    from .screens.servers.screen import ServersScreen


from .commands import ScreensProvider
from .commands import ServerActionsProvider
from .commands import ServersProvider
from .errors import Failure
from .errors import describe
from .health import health_from
from .keys import keys
from .messages import BackendHealth
from .reporting import action_of
from .reporting import backend_of
from .safe_text import visible

STARTED = time.perf_counter()
START_UP_LIMIT = 3.0  # seconds: the cyclic GC is back on by then, first rows or not
TOAST_LIMIT = 1_000  # characters: a 10,000-character API error must not fill the screen
TOAST_TITLE_LIMIT = 120


def _lazy_screen(target: str):
    """Screens are imported when first shown, keeping start-up to what the first screen needs."""
    import importlib

    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)()


def crash_message(error: BaseException | None, log_path: str) -> str:
    """Plain lines for the terminal: no traceback, no locals, no text of the error (it may hold backend data)."""
    name = type(error).__name__ if error is not None else "error"
    return (f"hostdeck stopped on an unexpected error ({name}).\n"
            f"The details (a traceback without variables) are in:\n{log_path}\n")


class HostdeckApp(App[int]):
    TITLE = "hostdeck"
    CSS_PATH = str(resources.files("hostdeck.styles") / "app.tcss")  # absolute: subclasses may live anywhere
    MODES = {
        "servers": partial(_lazy_screen, "hostdeck.tui.screens.servers.screen:ServersScreen"),
        "catalog": partial(_lazy_screen, "hostdeck.tui.screens.catalog:CatalogScreen"),
        "sync": partial(_lazy_screen, "hostdeck.tui.screens.sync.screen:SyncScreen"),
        "sites": partial(_lazy_screen, "hostdeck.tui.screens.sites:SitesScreen"),
        "logs": partial(_lazy_screen, "hostdeck.tui.screens.logs:LogsScreen"),
        "connections": partial(_lazy_screen, "hostdeck.tui.screens.connections:ConnectionsScreen"),
        "customers": partial(_lazy_screen, "hostdeck.tui.screens.customers:CustomersScreen"),
        "welcome": partial(_lazy_screen, "hostdeck.tui.screens.welcome:WelcomeScreen"),  # no number: not a place to go back to
    }
    MODE_TITLES = {"servers": "Servers", "catalog": "Catalog", "sync": "Sync", "sites": "Sites", "logs": "Logs",
                   "connections": "Connections", "customers": "Customers"}
    COMMANDS = App.COMMANDS | {ScreensProvider, ServersProvider, ServerActionsProvider}
    BINDINGS = keys("app", """
        1              servers      switch_mode('servers')      [Servers]
        2              catalog      switch_mode('catalog')      [Catalog]
        3              sync         switch_mode('sync')         [Sync]
        4              sites        switch_mode('sites')        [Sites]
        5              logs         switch_mode('logs')         [Logs]
        6              connections  switch_mode('connections')  [Connections]
        7              customers    switch_mode('customers')    [Customers]
        colon          command      command_line                [Command line]
        question_mark  help         help                        Keys
        q              quit         quit                        Quit
    """)

    health_version: reactive[int] = reactive(0)

    def __init__(self, workspace: Workspace, *, demo: bool = False, initial_mode: str = "servers",
                 auto_refresh: bool = True, prepare: Callable[[], None] | None = None) -> None:
        """`prepare`: blocking set-up run in a thread after the first paint (starting the demo simulators);
        screens `await app.backends_ready()` before their first call."""
        self.workspace = workspace
        self.read_only = workspace.read_only
        self.demo = demo
        self.poll_servers = auto_refresh
        if not workspace.backend_names and not demo and initial_mode == "servers":
            initial_mode = "welcome"  # the first start without a config: a way in, not an empty table
        self.initial_mode = initial_mode
        self.health: dict[str, tuple[str, str]] = {name: ("unknown", "") for name in workspace.backend_names}
        self.connection_reports: dict = {}
        self.first_paint_ms: float | None = None
        self.servers_screen: ServersScreen | None = None  # set by the Servers screen when it mounts
        self._prepare = prepare
        self._backends_ready = asyncio.Event()
        self._last_toast: dict[str, float] = {}
        self.crash_report: str | None = None
        if initial_mode in self.MODES:
            # The first screen is built at compose, not switched to from an empty default screen: a mode switch holds
            # screen updates back for 50 ms, long enough for the first refresh to start and delay the first rows.
            self.DEFAULT_MODE = initial_mode  # type: ignore[misc]  # this app's first mode, on purpose per instance
        super().__init__()
        self._unsubscribe_health = workspace.events.subscribe(self._health_of_event)
        self._apply_theme(workspace.config.general.theme)

    def _apply_theme(self, theme: str) -> None:
        self._theme_error: str | None
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
        self.watch(self, "theme", self._keep_theme, init=False)
        self.switch_mode(self.initial_mode)

    def _keep_theme(self, theme: str) -> None:
        """A theme chosen in the app (the palette's "Change theme") is written to the config's [general] table."""
        path = self.workspace.config.path
        if path is None or self.demo or theme == self.workspace.config.general.theme:
            return
        self.workspace.config.general.theme = theme
        self.run_worker(partial(self._write_theme, path, theme), thread=True, group="keep-theme", exclusive=True,
                        exit_on_error=False, description="Keep the theme in the config")

    def _write_theme(self, path, theme: str) -> None:
        from pathlib import Path

        from hostdeck.backends.config_file import set_general

        set_general(Path(path), "theme", theme)
        self.call_from_thread(self.notify, f"Theme {theme} kept in {path}.", timeout=4)

    def on_ready(self) -> None:
        self.first_paint_ms = (time.perf_counter() - STARTED) * 1000
        if self.servers_screen is not None and self.workspace.backend_names:
            self.servers_screen.footer_after_first_rows()
            self.set_timer(START_UP_LIMIT, self.start_up_over)  # the first rows may take long: a slow API, no store
        else:
            if self.servers_screen is not None:
                self.servers_screen.footer_after_first_rows()
            self.call_after_refresh(self.start_up_over)
        self.set_interval(5.0, self._flush_events)
        if self._prepare is None:
            self._backends_ready.set()
        else:
            self.run_worker(self._run_prepare, thread=True, group="prepare", exit_on_error=False,
                            description="Start the demo simulators")

    def start_up_over(self) -> None:
        """The first rows are on screen. The console script starts with the cyclic GC off (tui/cli/main.py `run`): the
        objects made so far (modules, styles, the first rows) live as long as the app, so they leave the collector's
        passes for good (`gc.freeze`), and it runs again for what comes next."""
        import gc

        if not gc.isenabled():
            gc.freeze()
            gc.enable()

    def _run_prepare(self) -> None:
        assert self._prepare is not None  # started only with one
        try:
            self._prepare()
        finally:
            self.call_from_thread(self._backends_ready.set)

    def _flush_events(self) -> None:
        # The store and the log file are written from a thread, in batches: SQLite never blocks the screen.
        if self.workspace.events.has_pending:
            self.run_worker(self.workspace.flush_events, thread=True, group="flush-events", exit_on_error=False,
                            description="Write the event log to the store and the log file")

    async def backends_ready(self) -> None:
        await self._backends_ready.wait()

    # health: fed by the event log ----------------------------------------------
    def _health_of_event(self, event) -> None:
        """Every API call, failure and connection test is an event; the header shows what the latest one says."""
        try:
            health = health_from(event)
            if health is None or event.backend not in self.health or self.health.get(event.backend) == health:
                return
            if threading.get_ident() == self._thread_id:
                self.set_health(event.backend, *health)
            else:  # events are also recorded from thread workers
                self.post_message(BackendHealth(event.backend, *health))
        except Exception:  # the header must never break the call that recorded the event
            return

    @on(BackendHealth)
    def _health(self, message: BackendHealth) -> None:
        self.set_health(message.backend, message.state, message.detail)

    def set_health(self, backend: str, state: str, detail: str = "") -> None:
        if self.health.get(backend) != (state, detail):
            self.health[backend] = (state, detail)
            self.health_version += 1

    # failures: the one path -------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The App's own workers; those of screens, dialogs and panes come through hostdeck.tui.reporting.ReportsFailures."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.report_worker_failure(event.worker)

    def report_worker_failure(self, worker: Worker) -> Failure:
        assert worker.error is not None  # called for workers in the ERROR state
        return self.report_failure(worker.error, action=action_of(worker), backend=backend_of(worker))

    def report_failure(self, error: BaseException, *, action: str, backend: str | None = None) -> Failure:
        """A notification (backend, action, what it said, the fix), an event in the log, the backend's health."""
        from hostdeck.backends.models import Event
        from hostdeck.backends.models import EventKind

        failure = describe(error, action=action, backend=backend)
        detail = {"category": failure.category, "action": action}
        if failure.health:
            detail["health"] = failure.health
        if failure.category == "unexpected":
            import traceback

            from hostdeck.backends.redact import redact_text

            detail["traceback"] = redact_text("".join(traceback.format_exception(error)))  # lines, never locals
        self.workspace.events.record(Event(backend=failure.who, kind=EventKind.ACTION, level="error",
                                           message=failure.text, detail=detail))
        self._toast(failure)
        return failure

    def _toast(self, failure: Failure) -> None:
        # A backend that stays down fails every poll: one toast a minute says it, the log keeps every one.
        now = time.monotonic()
        if now - self._last_toast.get(failure.text, -1e9) < 60:
            return
        self._last_toast[failure.text] = now
        self.notify(failure.text, title=failure.title, severity="error", timeout=12, markup=False)

    # crashes -------------------------------------------------------------------------
    def _fatal_error(self) -> None:
        """Textual would print a traceback with locals (a server record's fields) to the terminal. Instead the
        traceback, without locals, goes to the log file, and the terminal gets a short message naming that file."""
        import sys

        error = sys.exc_info()[1] or self._exception
        self.bell()
        self.crash_report = crash_message(error, self._log_crash(error))  # printed by hostdeck.tui.launch after the exit
        self._close_messages_no_wait()

    def _log_crash(self, error: BaseException | None) -> str:
        import traceback

        from hostdeck.backends.logfile import append_events
        from hostdeck.backends.models import Event
        from hostdeck.backends.models import EventKind
        from hostdeck.backends.paths import log_dir
        from hostdeck.backends.redact import redact_text

        directory = (self.workspace.data_dir / "logs") if self.workspace.data_dir else log_dir()
        name = type(error).__name__ if error is not None else "error"
        text = redact_text("".join(traceback.format_exception(error))) if error is not None else ""
        event = Event(backend="hostdeck", kind=EventKind.ACTION, level="error", message=f"hostdeck stopped: {name}",
                      detail={"traceback": text})
        try:  # the log file only: opening the store now could race a thread that is opening it
            append_events(directory, [event])
        except Exception:
            return "(the log file could not be written)"
        return str(directory / "hostdeck.log")

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = True) -> None:
        """Our toasts are plain text, whatever `markup` says (a screen's `notify` passes True by default): they carry
        server names and API errors, which must never be parsed as markup or reach the terminal raw. Only Textual's
        own messages, sent from textual.app itself ("Press [b]q[/b] to quit"), keep their markup."""
        from_textual = sys._getframe(1).f_globals.get("__name__") == "textual.app"
        super().notify(visible(message, limit=TOAST_LIMIT, multiline=True), title=visible(title, limit=TOAST_TITLE_LIMIT),
                       severity=severity, timeout=timeout, markup=markup and from_textual)

    # helpers --------------------------------------------------------------------
    @property
    def modal_open(self) -> bool:
        return isinstance(self.screen, ModalScreen)

    def action_help(self) -> None:
        from .dialogs.help import HelpScreen
        from .dialogs.help import server_action_rows

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
        if self.servers_screen is not None and self.screen is self.servers_screen:
            rows += server_action_rows(read_only=self.read_only)
        self.push_screen(HelpScreen(rows))

    def action_command_line(self) -> None:
        from .command_line import command_words
        from .command_line import run
        from .dialogs.command_line import CommandLine

        async def typed(text: str | None) -> None:
            if text is not None:
                await run(self, text)

        self.push_screen(CommandLine(sorted(command_words(self.MODES))), typed)

    async def action_quit(self) -> None:
        self.exit(0)

    async def on_unmount(self) -> None:
        self._unsubscribe_health()
        await self.workspace.aclose()
