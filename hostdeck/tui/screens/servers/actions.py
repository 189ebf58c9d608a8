"""What the Servers screen does to a server: the action menu, its dialogs, the API call, the row's progress and
the outcome (the actions themselves are declared in `screens/server_actions.py`)."""

from __future__ import annotations

import weakref
from collections.abc import Hashable
from typing import TYPE_CHECKING
from typing import Any

from ...reporting import about
from ..grid_screen import GridScreen
from .rows import server_row

if TYPE_CHECKING:
    from hostdeck.backends.models import Server

    from ...dialogs.action_menu import MenuAction
    from ...widgets.grid import Row


class ServerActions(GridScreen):
    """The actions half of the Servers screen (the screen holds the rows: `servers`, `progress`, the billing links)."""

    servers: dict[Hashable, Server]
    progress: dict[Hashable, str]
    marks: set[Hashable]
    stale_backends: set[str]
    billing_snapshot: Any
    _links: Any
    _targets: weakref.WeakKeyDictionary[Any, Hashable]  # action worker -> server key

    def billing_links(self) -> Any:
        raise NotImplementedError

    def _render_rows(self) -> None:
        raise NotImplementedError

    @property
    def selected(self) -> Server | None:
        key = self.grid.cursor_row_key
        return self.servers.get(key) if key is not None else None

    def _routes(self, server: Server):
        links = self.billing_links()
        if links is None or self.billing_snapshot is None:
            return None
        from hostdeck.backends.sync.billing_actions import routes

        link = links.link_of(server)
        client = self.billing_snapshot.client_name(link.client_id) if link and link.client_id else None
        return routes(server, link, kind=getattr(links.adapters.get(server.backend), "kind", None), client_name=client)

    def action_copy_ip(self) -> None:
        server = self.selected
        address = server and (server.ipv4 or server.ipv6)
        if address:
            self.app.copy_to_clipboard(address)
            self.notify(f"{address} sent to the clipboard.", timeout=3)

    def action_actions(self) -> None:
        from ...dialogs.action_menu import ActionMenu
        from ..server_actions import build_menu

        server = self.selected
        if server is None:
            return
        adapter = self.app.workspace.adapter(server.backend)
        actions = build_menu(adapter, server, read_only=self.app.read_only, billing_routes=self._routes(server))
        self.app.push_screen(ActionMenu(f"{server.name} on {server.backend}", actions),
                             lambda choice: self.run_action(choice, server) if choice else None)

    def run_action(self, action_id: str, server: Server) -> None:  # type: ignore[override]  # not Widget's: the tests call it
        from hostdeck.backends.actions import Confirm

        from ...dialogs.confirm import ConfirmDialog
        from ..server_actions import build_menu

        adapter = self.app.workspace.adapter(server.backend)
        item = next((a for a in build_menu(adapter, server, read_only=self.app.read_only,
                                          billing_routes=self._routes(server)) if a.id == action_id), None)
        if item is None or item.unavailable:  # the `:` line asks for any action: say why not
            why = item.unavailable if item else f"{server.backend} has no such action"
            self.notify(f"{item.label if item else action_id} on {server.name}: {why}", severity="warning", timeout=8)
            return
        if action_id == "copy_ip":
            self.action_copy_ip()
            return
        if action_id == "ssh":
            self.run_ssh(server)
            return
        if item.form == "metrics":
            self.show_metrics(server)
            return
        if item.form:
            self.run_form(item, server)
            return
        if action_id == "copy_id":
            self.app.copy_to_clipboard(server.id)
            self.notify(f"id {server.id} sent to the clipboard.", timeout=3)
            return
        if item.confirm is Confirm.NONE:
            self._execute(item, server)
            return
        typed = item.confirm is Confirm.TYPE_NAME
        warning = "This cannot be undone." if typed else ""
        if action_id == "backups_enable":
            from .prices import backups_note

            warning = backups_note(server)
        customer = server.billing_link or ""
        if action_id.startswith("billing_"):  # the customer the module acts for, by name and client id
            customer = next((r.customer for r in self._routes(server) or [] if r.route == "billing"
                             and f"billing_{r.action}" == action_id and r.customer), customer)
        dialog = ConfirmDialog(f"{item.label}?", backend=server.backend, target=f"{server.name} (id {server.id})",
                               call=item.call, confirm_label=item.label, require_text=server.name if typed else None,
                               warning=warning, customer=customer)
        self.app.push_screen(dialog, lambda ok: self._execute(item, server) if ok else None)

    def run_form(self, item: MenuAction, server: Server) -> None:
        raise NotImplementedError  # screens/servers/form_actions.py

    def _execute(self, item: MenuAction, server: Server) -> None:
        self._act(self._execute_worker(item, server), server, f"{item.label} on {server.name}")

    def _act(self, work, server: Server, action: str) -> None:
        """An action on one server: its failure is reported, and shown on the server's row."""
        worker = about(self.run_worker(work, group=f"action-{server.backend}-{server.id}", exit_on_error=False,
                                       description=action), backend=server.backend)
        self._targets[worker] = server.key

    def show_failure(self, worker, failure) -> None:
        """A failed action says so on its row too, until the next refresh of that row or half a minute."""
        key = self._targets.pop(worker, None)
        if key is None or key not in self.servers:
            return
        self._show_progress(self.servers[key], f"✖ {failure.short}")

        def clear() -> None:
            if self.progress.get(key, "").startswith("✖"):
                self.progress.pop(key, None)
                if key in self.servers:
                    self.grid.update_row(self.row_of(self.servers[key]))

        self.set_timer(30, clear)

    async def _execute_worker(self, item: MenuAction, server: Server) -> None:
        from hostdeck.backends.actions import BY_ID
        from hostdeck.backends.contract import PowerAction

        from ...dialogs.secret import SecretDialog
        from .calls import PLAIN_CALLS
        from .calls import plain_call

        adapter = self.app.workspace.adapter(server.backend)

        def progress(step) -> None:
            self._show_progress(server, f"{step.command.replace('_', ' ')} {step.progress}%")

        self._show_progress(server, f"{item.label.lower()}…")
        try:
            if item.id.startswith("billing_"):
                await self._through_billing(item.id.removeprefix("billing_"), server)
            elif item.id == "reset_password":
                result = await adapter.reset_password(server.id, progress=progress)
                self.app.push_screen(SecretDialog(f"New root password for {server.name}", backend=server.backend,
                                                  target=server.name, secret=result.secret, note=result.note))
            elif item.id == "console":
                result = await adapter.console(server.id)
                self.app.push_screen(SecretDialog(f"Console for {server.name} (valid one minute)", backend=server.backend,
                                                  target=server.name, secret=result.secret, url=result.url))
            elif item.id == "sso":
                link = (await adapter.sso_url(server)).url or ""  # made now: the token lives 15 seconds
                try:
                    self.app.open_url(link)
                    opened = "Opened in your browser if there is one. "
                except Exception:
                    opened = ""
                self.app.push_screen(SecretDialog(f"Panel login link for {server.name}", backend=server.backend,
                                                  target=server.name, secret=link,
                                                  note=opened + "The link logs in as the customer once, within 15 s, "
                                                  "only in a browser without a Convoy session (use a private window)."))
            elif item.id == "delete":
                await adapter.delete_server(server.id, progress=progress)
                self.servers.pop(server.key, None)
                self.notify(f"{server.name} deleted.", title=server.backend)
            elif item.id == "suspend":
                await adapter.suspend(server.id, progress=progress)
            elif item.id == "unsuspend":
                await adapter.unsuspend(server.id, progress=progress)
            elif item.id.startswith("power_"):
                outcome = await adapter.power(server.id, PowerAction(item.id.removeprefix("power_")), progress=progress)
                if outcome.message:
                    self.notify(outcome.message, title=server.name, severity="warning", timeout=10)
            elif (action := BY_ID.get(item.id)) is not None and action.call in PLAIN_CALLS:
                outcome = await plain_call(adapter, action, server, progress)
                if getattr(outcome, "message", ""):
                    self.notify(outcome.message, title=server.name, timeout=8)
            if item.id not in ("delete", "reset_password", "console", "sso") and not item.id.startswith("billing_"):
                self.notify(f"{item.label}: done.", title=server.name, timeout=4)
        finally:
            self.progress.pop(server.key, None)
        if item.id != "delete":
            await self._reload_one(server)
        else:
            self._render_rows()

    async def _through_billing(self, action: str, server: Server) -> None:
        from hostdeck.backends.sync.billing_actions import BillingActions
        from hostdeck.backends.sync.billing_actions import new_password
        from hostdeck.backends.sync.billing_actions import password_meaning

        from ...dialogs.secret import SecretDialog

        actions = BillingActions(self._links.billing, self._links)
        if action == "change_password":
            password = new_password()
            result = await actions.change_password(server, password)
        else:
            result = await getattr(actions, action)(server)
        self.notify(f"{action.replace('_', ' ')} through WHMCS: {result.status}"
                    + (f" — {result.message}" if result.message else ""), title=server.name, timeout=8)
        if action == "change_password":
            self.app.push_screen(SecretDialog(f"New {password_meaning(actions.kind_of(server))} for {server.name} "
                                              "(set through WHMCS)", backend=server.backend,
                                              target=server.name, secret=password))
        if action == "terminate":
            self.servers.pop(server.key, None)
        self.billing_snapshot = await self._links.snapshot(servers=list(self.servers.values()))
        self._links.annotate(self.servers.values(), self.billing_snapshot)
        self._render_rows()

    async def _reload_one(self, server: Server) -> None:
        from hostdeck.backends.errors import BackendError

        try:
            fresh = await self.app.workspace.adapter(server.backend).get_server(server.id)
        except BackendError as exc:
            self.app.report_failure(exc, action=f"Read back {server.name}", backend=server.backend)
            return
        self.servers[fresh.key] = fresh
        self.grid.update_row(self.row_of(fresh))
        self.update_details()

    def _show_progress(self, server: Server, text: str) -> None:
        self.progress[server.key] = text
        current = self.servers.get(server.key, server)
        self.grid.update_row(self.row_of(current, progress=text))

    def _end_progress(self, server: Server) -> None:
        self.progress.pop(server.key, None)
        if server.key in self.servers:
            self.grid.update_row(self.row_of(self.servers[server.key]))

    def row_of(self, server: Server, progress: str | None = None) -> Row:
        """The server's row as shown now: its progress (while an action runs, the row is not marked stale), its mark."""
        return server_row(server, progress=progress, stale=progress is None and server.backend in self.stale_backends,
                          marked=server.key in self.marks)

    # ssh and metrics -------------------------------------------------------------------------
    def run_ssh(self, server: Server) -> None:
        """The system ssh in the real terminal (the TUI suspended), then back to this screen."""
        from .ssh import run_ssh

        run_ssh(self, server)

    def show_metrics(self, server: Server) -> None:
        from functools import partial

        from ..metrics import MetricsScreen

        adapter = self.app.workspace.adapter(server.backend)
        self.app.push_screen(MetricsScreen(server, partial(adapter.metrics, server.id)))

    def action_create(self) -> None:
        from hostdeck.backends.contract import Capability

        from ...dialogs.create_convoy_server import CreateConvoyServerDialog
        from ...dialogs.create_server import CreateServerDialog

        if self.app.read_only:
            self.notify("Read-only mode is on: creating servers is disabled.", severity="warning")
            return
        forms = {"hetzner": CreateServerDialog, "convoy": CreateConvoyServerDialog}
        adapters = [a for a in self.app.workspace.adapters.values() if a.can(Capability.CREATE) and a.kind in forms]
        if not adapters:
            self.notify("No configured backend can create servers.", severity="warning")
            return
        selected = self.selected  # the backend of the selected row, else the first that can create
        adapter = next((a for a in adapters if selected and a.name == selected.backend), adapters[0])
        self.app.push_screen(forms[adapter.kind](adapter), self._create)

    def _create(self, request) -> None:
        if request is None:
            return
        adapter, spec = request
        about(self.run_worker(self._create_worker(adapter, spec), group="create", exit_on_error=False,
                              description=f"Create server {spec.name}"), backend=adapter.name)

    async def _create_worker(self, adapter, spec) -> None:
        from ...dialogs.secret import SecretDialog

        self.notify(f"Creating {spec.name}…", title=adapter.name, timeout=4)
        result = await adapter.create_server(spec)
        self.servers[result.server.key] = result.server
        self._render_rows()
        self.grid.cursor_row_key = result.server.key
        if result.root_password:
            self.app.push_screen(SecretDialog(f"Root password for {spec.name}", backend=adapter.name, target=spec.name,
                                              secret=result.root_password))
        else:
            self.notify(f"{spec.name} created.", title=adapter.name)
