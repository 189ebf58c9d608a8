"""Connections: every backend, where its credential comes from, and its last test; test one or all; set a credential."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable
from textual.widgets import Static

from hostdeck.backends.errors import ConfigError
from hostdeck.backends.errors import SecretError
from hostdeck.backends.models import ConnectionReport
from hostdeck.backends.secrets import env_name
from hostdeck.cli.output import plain

from ..dialogs.add_backend import KindDialog
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.credential import CredentialDialog
from ..keys import keys
from ..reporting import ReportsFailures
from ..reporting import about
from ..safe_text import as_text
from ..safe_text import table_cell
from ..widgets.footer import KeysFooter
from ..widgets.topbar import TopBar
from .welcome import ask_to_add
from .welcome import config_file

if TYPE_CHECKING:
    from hostdeck.backends.contract import Adapter
    from hostdeck.backends.kinds import Kind

CELL_LIMIT = 300
DETAIL_LIMIT = 2_000
COLUMNS = ("backend", "kind", "url", "credentials", "state", "latency", "version / budget", "error and fix")


def _named_by(app, name: str) -> str:
    """A warning when other backends name this one as their Proxmox: their config must change too."""
    from hostdeck.backends.convoy.join import proxmox_names

    panels = []
    for backend in app.workspace.config.backends:
        if backend.kind == "convoy":
            try:
                default, per_node = proxmox_names(backend)
            except ConfigError:
                continue
            if name == default or name in per_node.values():
                panels.append(backend.name)
    if not panels:
        return ""
    one = len(panels) == 1
    return (f" {', '.join(panels)} {'names' if one else 'name'} it as {'its' if one else 'their'} Proxmox: remove that "
            f"line from {'its' if one else 'their'} table too, or the next start stops at it.")


def _where(adapter) -> str:
    """The URL, or for SSH backends user@host:port."""
    url = getattr(adapter, "url", None) or adapter.config.url
    if url:
        return url
    host = adapter.config.option("host")
    if host:
        return f"ssh://{adapter.config.option('user', 'root')}@{host}:{adapter.config.option('port', 22)}"
    return ""


class ConnectionsScreen(ReportsFailures, Screen):
    AUTO_FOCUS = "#connections-table"
    BINDINGS = keys("connections", """
        t  test            test_selected   Test
        T  test_all        test_all        Test all
        k  set_credential  set_credential  Set credential
        a  add             add_backend     Add
        e  edit            edit_backend    Edit
        d  remove          remove_backend  Remove
    """)

    def compose(self) -> ComposeResult:
        yield TopBar("Connections")
        table: DataTable[Text | str] = DataTable(id="connections-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Static("", id="connection-detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        self._refresh_view()
        table = self.query_one(DataTable)
        table.focus()
        if getattr(self.app, "poll_servers", True):
            # The state at a glance, not after a key press; but not asked for: a rejected credential is not sent again.
            for name in self.app.workspace.adapters:
                self.test(name, explicit=False)
        if not self.app.workspace.adapters:
            self.query_one("#connection-detail", Static).update(
                "No backends configured yet: press a to add one (it is tested before it is saved).")

    def _refresh_view(self) -> None:
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for name, adapter in self.app.workspace.adapters.items():
            report: ConnectionReport | None = self.app.connection_reports.get(name)
            state = "untested" if report is None else ("ok" if report.ok else "FAILING")
            if getattr(adapter, "insecure", False):
                state += " · INSECURE TLS"  # certificate checks are off for at least one node
            cells = (name, adapter.kind, _where(adapter), adapter.credential_source(),
                     state, f"{report.latency_ms:.0f} ms" if report and report.latency_ms is not None else "",
                     (report.version or "") if report else "", (report.error or "") if report else "")
            # Text cells: a DataTable parses plain strings as markup, and versions and errors come from the backend
            table.add_row(*(table_cell(cell, limit=CELL_LIMIT) for cell in cells), key=name)
        if cursor is not None and table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))
        self._show_detail()

    @on(DataTable.RowHighlighted)
    def _show_detail(self) -> None:
        name = self._selected()
        if name is None:
            return
        adapter = self.app.workspace.adapter(name)
        report = self.app.connection_reports.get(name)
        store = adapter.secrets.file

        def stored(field: str) -> str:
            return f"file {store.path}" if store is not None else f"keyring hostdeck/{name}:{field}"

        lines = [Text.assemble(as_text(name, "bold"), f" — {adapter.kind}"),
                 as_text("credentials: " + ", ".join(f"{f} from {adapter.secrets.source(name, f)} "
                                                     f"(env {env_name(name, f)}, {stored(f)})"
                                                     for f in adapter.secret_fields))]
        if report:
            lines.append(as_text(f"last test: {'ok' if report.ok else 'failed'}" + (f" — {report.error}" if report.error else ""),
                                 limit=DETAIL_LIMIT, multiline=True))
            for key, value in report.details.items():
                lines.append(as_text(f"{key}: {plain(value)}", limit=DETAIL_LIMIT))  # as the CLI writes it
        self.query_one("#connection-detail", Static).update(Text("\n").join(lines))

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _chosen(self, doing: str) -> str | None:
        """The selected backend, or None after saying there is none to act on."""
        name = self._selected()
        if name is None:
            self.notify(f"{doing}: no backend is configured yet. Press a to add one.", severity="warning", timeout=6)
        return name

    def action_test_selected(self) -> None:
        name = self._chosen("Test")
        if name:
            self.test(name)

    def action_test_all(self) -> None:
        for name in self.app.workspace.adapters:
            self.test(name)

    def test(self, name: str, *, explicit: bool = True) -> None:
        """`explicit`: the person pressed a test key (or just stored a new credential), so a credential rejected
        before may be sent once; the automatic test when the screen opens never does."""
        about(self.run_worker(self._test(name, explicit), group=f"conntest-{name}", exclusive=True,
                              exit_on_error=False, description=f"Test the connection to {name}"), backend=name)

    async def _test(self, name: str, explicit: bool) -> None:
        await self.app.backends_ready()
        adapter = self.app.workspace.adapter(name)
        report = await (adapter.explicit_test() if explicit else adapter.test_connection())
        self.app.connection_reports[name] = report
        self._record(name, report)
        self._refresh_view()

    def _record(self, name: str, report: ConnectionReport) -> None:
        """The test's outcome goes to the event log, which feeds the header's health (a missing secret makes no call)."""
        from hostdeck.backends.models import Event
        from hostdeck.backends.models import EventKind

        said = f"connection test: ok ({report.latency_ms or 0:.0f} ms)" if report.ok else \
            f"connection test failed: {report.error or 'no reason given'}"
        self.app.workspace.events.record(Event(backend=name, kind=EventKind.ACTION, message=said,
                                               level="info" if report.ok else "error",
                                               detail={"health": "ok" if report.ok else "failing"}))

    def action_set_credential(self) -> None:
        name = self._chosen("Set credential")
        if not name:
            return
        adapter = self.app.workspace.adapter(name)
        if not adapter.secret_fields:
            self.notify(f"{name} needs no credential.")
            return
        field = adapter.secret_fields[0]

        def answered(value: str | None) -> None:
            if value:
                self._store(name, field, value)

        secrets = self.app.workspace.secrets
        where = (f"Stored in the secrets file {secrets.file.path} (0600)" if secrets.file is not None
                 else f"Stored in the OS keyring (service hostdeck, user {name}:{field})")
        self.app.push_screen(CredentialDialog(name, field, env_name(name, field), where=where), answered)

    @work(thread=True, exit_on_error=False, description="Store the credential")
    def _store(self, name: str, field: str, value: str) -> None:
        # keyring can block (an unlock prompt), so it runs in a thread
        self.app.workspace.secrets.set(name, field, value)
        adapter = self.app.workspace.adapter(name)
        # Textual's `call_from_thread(Callable[..., T | Awaitable[T]])` leaves mypy inferring T as Never for None
        self.app.call_from_thread(self._after_store, name, adapter)  # type: ignore[arg-type]

    async def _after_store(self, name: str, adapter: Adapter) -> None:
        await adapter.aclose()  # the next call builds its client with the new credential
        self.notify(f"Saved: the credential for {name} is stored in {self.app.workspace.secrets.store_name}.",
                    timeout=4)
        self.test(name)

    # add, edit, remove: the config file and the keyring; the running app loads the change at its next start -----------
    def _in_config_file(self, doing: str) -> bool:
        if getattr(self.app, "demo", False):
            self.notify(f"{doing}: the demo's backends are built in, not in a config file. Start hostdeck without "
                        "--demo to connect your own.", severity="warning", timeout=8)
            return False
        return True

    def action_add_backend(self) -> None:
        if not self._in_config_file("Add a backend"):
            return

        def chosen(kind: Kind | None) -> None:
            if kind is None:
                self.notify("Add a backend: cancelled, nothing was saved.", timeout=4)
            else:
                ask_to_add(self, kind, then=self._added)

        self.app.push_screen(KindDialog(), chosen)

    def _added(self, name: str) -> str:
        """The new backend is loaded now: its row here, its servers on the Servers screen."""
        from .welcome import load_saved

        said = load_saved(self.app, name)
        self._refresh_view()
        if name in self.app.workspace.adapters:
            self.test(name, explicit=False)
        return said

    def action_edit_backend(self) -> None:
        from hostdeck.backends.kinds import kind_named

        name = self._chosen("Edit")
        if not name or not self._in_config_file(f"Edit {name}"):
            return
        backend = self.app.workspace.adapter(name).config
        ask_to_add(self, kind_named(backend.kind), editing=backend, then=self._added)

    def action_remove_backend(self) -> None:
        name = self._chosen("Remove")
        if not name or not self._in_config_file(f"Remove {name}"):
            return
        adapter = self.app.workspace.adapter(name)
        path = config_file(self.app)

        def answered(ok: bool | None) -> None:
            if ok:  # a cancel is said by the dialog itself
                self._remove(name)

        self.app.push_screen(ConfirmDialog(
            f"Remove backend {name}?", backend=name, target=f"{adapter.kind} · {_where(adapter)}", confirm_label="Remove",
            call=f"its [[backends]] table leaves {path}; its secrets leave the keyring", require_text=name,
            warning="hostdeck forgets it; nothing changes on the backend itself." + _named_by(self.app, name)), answered)

    @work(thread=True, exit_on_error=False, description="Remove the backend from the config and the keyring")
    def _remove(self, name: str) -> None:
        from hostdeck.backends import onboarding

        path = config_file(self.app)
        try:
            deleted = onboarding.remove(path, name)
        except (ConfigError, SecretError, OSError) as exc:
            self.app.call_from_thread(self.notify, f"Remove {name}: not removed: {exc}", severity="error", timeout=12)
            return
        store = self.app.workspace.secrets.store_name
        said = f"Removed {name} from {path}" + (f"; deleted {', '.join(deleted)} from {store}" if deleted else "")
        self.app.call_from_thread(self._forget, name, said + ".")

    def _forget(self, name: str, said: str) -> None:
        """The removed backend leaves the running app too: its row here, its servers on the Servers screen."""
        removed = self.app.workspace.unload_backend(name)
        if removed is not None:   # its HTTP clients closed in the background
            removed._retire(removed)
        self.app.connection_reports.pop(name, None)
        self.app.health.pop(name, None)
        self._refresh_view()
        if self.app.servers_screen is not None:
            self.app.servers_screen.refresh_servers()
        self.notify(said, timeout=10)
