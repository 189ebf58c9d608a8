"""Customers: one search box answering per keystroke from the customer index, the ranked matches, and the selected
customer's sections (client, services with their servers' state, unpaid invoices, open tickets, panel users, sites,
events): first as the index has them, marked with their age, then refreshed from the APIs.

Actions on the selected customer: log in to the panel as them (SSO), open the client or a ticket in WHMCS's admin
area, reset a linked server's password, reboot it, suspend or unsuspend a service through WHMCS. Each asks first,
naming the customer; read-only mode hides the ones that change something. Every worker goes through `_run`, so its
failure takes the one error path (a toast, Logs, the backend's health)."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Coroutine
from datetime import UTC
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING
from typing import Any

from textual.app import ComposeResult
from textual.command import SimpleCommand
from textual.containers import Horizontal
from textual.containers import VerticalScroll
from textual.widgets import Input
from textual.widgets import Static
from textual.worker import get_current_worker

from hostdeck.backends.customers.join import CustomerView
from hostdeck.backends.customers.query import Match

from ..format import ago
from ..keys import keys
from ..reporting import about
from ..widgets.footer import KeysFooter
from ..widgets.grid import Grid
from ..widgets.topbar import TopBar
from .customer_details import COLUMNS
from .customer_details import match_row
from .customer_details import render
from .grid_screen import GridLayout
from .grid_screen import GridScreen

if TYPE_CHECKING:
    from hostdeck.backends.models import Server

MUTATING = frozenset({"sso", "reset_password", "reboot", "suspend", "unsuspend"})
PLACEHOLDER = "search: name, company, e-mail, domain, IP, server name or id, service id, invoice number"
EMPTY = "Type to search the customers."


class CustomersScreen(GridScreen):
    LAYOUT = GridLayout("customer-grid", "customers-body", filter_placeholder=PLACEHOLDER, details="customer-detail",
                        details_placeholder="Select a customer to see everything they have.")
    FILTER_HIDES = False   # the search box is always there
    DEFAULT_CSS = """
    #customers-body { height: 1fr; }
    #customer-grid { width: 1fr; }
    CustomersScreen #details { width: 55%; }
    """
    BINDINGS = keys("customers", """
        slash   search          filter                Search
        escape  clear           clear                 Clear
        o       open_client     open_client           Open client
        t       open_ticket     open_ticket           Open ticket
        l       sso             sso                   Log in as
        p       reset_password  reset_password        Reset password
        b       reboot          reboot                Reboot
        s       suspend         suspend               Suspend
        u       unsuspend       unsuspend             Unsuspend
        r       refresh         refresh_index         Refresh index
    """)

    def __init__(self) -> None:
        super().__init__()
        self.matches: dict[tuple[str, str], Match] = {}
        self.view: CustomerView | None = None
        self.query_text = ""

    def compose(self) -> ComposeResult:
        yield TopBar("Customers")
        yield Input(placeholder=PLACEHOLDER, id="filter")
        with Horizontal(id="customers-body"):
            yield Grid(COLUMNS, id="customer-grid")
            with VerticalScroll(id="details"):
                yield Static(self.LAYOUT.details_placeholder, id="customer-detail")
        yield Static("", id="status-line")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.grid.empty_message = EMPTY
        self.query_one("#filter", Input).focus()
        self.set_status("Checking the customer index…")
        self._run(self._prepare_index, "Check the customer index", thread=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Read-only mode hides every action that changes something."""
        if action in MUTATING and self.app.read_only:
            return False
        return super().check_action(action, parameters)

    # workers: one way in, so every failure is reported ---------------------------------------------------------------
    def _run(self, work: Callable[[], Any] | Coroutine[Any, Any, Any], description: str, *, thread: bool = False,
             group: str | None = None, backend: str | None = None) -> None:
        worker = self.run_worker(work, thread=thread, group=group or description, exclusive=group is not None,
                                 exit_on_error=False, description=description)
        about(worker, backend=backend)

    @property
    def _engine(self) -> Any:
        return self.app.workspace.store.engine

    def _prepare_index(self) -> None:
        from hostdeck.backends.customers.index import built_at
        from hostdeck.backends.customers.index import is_stale

        stamp = built_at(self._engine)
        self.app.call_from_thread(self._index_known, stamp, is_stale(self._engine))

    def _index_known(self, stamp: datetime | None, stale: bool) -> None:
        self.built = stamp
        if stale:
            self.action_refresh_index()
        else:
            self.update_status()

    def action_refresh_index(self) -> None:
        self.set_status("Building the customer index from WHMCS, the inventory and the sync map…")
        self._run(self._rebuild_index(), "Build the customer index", group="customer-index",
                  backend=self.app.workspace.config.sync.billing)

    async def _rebuild_index(self) -> None:
        import asyncio

        from hostdeck.backends.customers.index import built_at
        from hostdeck.backends.customers.index import refresh

        await self.app.backends_ready()
        count = await refresh(self.app.workspace, live=True)
        self.built = await asyncio.to_thread(built_at, self._engine)
        self.indexed = count
        self.apply_filter(self.query_text)
        self.update_status()

    # search ----------------------------------------------------------------------------------------------------------
    built: datetime | None = None
    indexed: int | None = None      # clients in the index, once this screen built it

    def apply_filter(self, text: str) -> None:
        self.query_text = text
        if not text.strip():
            self.matches = {}
            self.grid.set_rows([])
            self.update_status()
            return
        self._run(partial(self._search, text), "Search the customers", thread=True, group="customer-search")

    def _search(self, text: str) -> None:
        from hostdeck.backends.customers.query import search

        found = search(self._engine, text)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_matches, text, found)

    def _show_matches(self, text: str, found: list[Match]) -> None:
        if text != self.query_text:
            return   # a newer keystroke is on its way
        self.matches = {m.key: m for m in found}
        self.grid.empty_message = f"No customer matches {text.strip()!r}." if text.strip() else EMPTY
        self.grid.set_rows(match_row(m) for m in found)
        self.update_status()
        if found and self.grid.cursor_row_key in self.matches:
            self.update_details()

    def update_status(self) -> None:
        age = f"index built {ago((datetime.now(UTC) - self.built).total_seconds())}" if self.built else \
            "no index yet"
        found = len(self.matches)
        count = f"{found:,} {'match' if found == 1 else 'matches'}" if self.query_text.strip() else "type to search"
        size = f" ({self.indexed:,} clients)" if self.indexed is not None else ""
        self.set_status(f"{count} · {age}{size} · r rebuilds it")

    # the selected customer ------------------------------------------------------------------------------------------
    def update_details(self) -> None:
        key = self.grid.cursor_row_key
        if key not in self.matches:
            return
        match = self.matches[key]
        if self.view is None or self.view.key != key:
            self.view = None
        self._run(partial(self._load_indexed, match), "Read the customer from the index", thread=True,
                  group="customer-view")

    def _load_indexed(self, match: Match) -> None:
        from hostdeck.backends.customers.join import from_index
        from hostdeck.backends.customers.query import entry

        indexed = entry(self._engine, match.backend, match.client_id)
        if indexed is not None and not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_view, from_index(self._engine, indexed, match), True)

    def _show_view(self, view: CustomerView, refresh: bool) -> None:
        if self.grid.cursor_row_key != view.key:
            return
        self.view = view
        self.query_one("#customer-detail", Static).update(render(view))
        if refresh:
            self._run(self._refresh_live(view), "Refresh the customer from the APIs", group="customer-live",
                      backend=str(view.client.get("backend")))

    async def _refresh_live(self, view: CustomerView) -> None:
        from hostdeck.backends.customers.live import refresh_view

        await self.app.backends_ready()
        self._show_view(await refresh_view(self.app.workspace, view), False)

    # actions ------------------------------------------------------------------------------------------------------
    def _customer(self) -> CustomerView | None:
        if self.view is None:
            self.notify("Select a customer first.", severity="warning", timeout=4)
        return self.view

    def _billing(self) -> Any:
        from hostdeck.backends.customers.sources import billing_of

        return billing_of(self.app.workspace)

    def action_open_client(self) -> None:
        view = self._customer()
        if view is not None:
            url = view.client.get("admin_url") or self._billing().client_admin_url(view.client["id"])
            self.app.open_url(str(url))
            self.notify(f"Opened {view.client.get('name')} in WHMCS's admin area.", timeout=4, markup=False)

    def action_open_ticket(self) -> None:
        view = self._customer()
        if view is None:
            return
        if not view.tickets:
            self.notify(f"{view.client.get('name')} has no open tickets" + ("" if view.source == "live" else
                        " (still loading)") + ".", timeout=4, markup=False)
            return
        self._choose([(f"#{t['tid']} {t['subject']}", partial(self.app.open_url, t["url"])) for t in view.tickets],
                     "Which ticket?")

    def _choose(self, choices: list[tuple[str, Callable[[], Any]]], placeholder: str) -> None:
        if len(choices) == 1:
            choices[0][1]()
            return
        self.app.search_commands([SimpleCommand(name, callback, "") for name, callback in choices],
                                 placeholder=placeholder)

    def _servers_that(self, capability: Any) -> list[tuple[Any, dict[str, Any]]]:
        ws = self.app.workspace
        view = self.view
        out = []
        for server in view.servers if view else []:
            adapter = ws.adapters.get(str(server["backend"]))
            if adapter is not None and capability in adapter.capabilities:
                out.append((adapter, server))
        return out

    def _server_action(self, action_id: str, verb: str, act: Callable[[Any, Server], None]) -> None:
        """Choose one of the customer's servers that can do the catalogue's action `action_id`, read it from its
        provider (the confirmation shows the call with the real id), check the action's state rules as the Servers
        menu does (a reboot of a server that is off), then `act` on it."""
        from hostdeck.backends.actions import BY_ID

        capability = BY_ID[action_id].capability
        view = self._customer()
        if view is None:
            return
        found = self._servers_that(capability)
        if not found:
            self.notify(f"{view.client.get('name')} has no linked server that can {verb}.", severity="warning",
                        timeout=5, markup=False)
            return

        def read(adapter: Any, server: dict[str, Any]) -> None:
            self._run(self._read_then(adapter, str(server["id"]), action_id, act),
                      f"Read {server.get('name') or server['id']}", backend=adapter.name)

        self._choose([(f"{server['backend']}/{server.get('name') or server['id']}", partial(read, adapter, server))
                      for adapter, server in found], f"{verb.capitalize()} which server?")

    async def _read_then(self, adapter: Any, server_id: str, action_id: str, act: Callable[[Any, Server], None]) -> None:
        from hostdeck.backends.actions import BY_ID
        from hostdeck.backends.actions import state_reason

        await self.app.backends_ready()
        server = await adapter.get_server(server_id)
        action = BY_ID[action_id]
        why = state_reason(action, server)
        if why:   # said, and nothing is asked or sent
            self.notify(f"{action.label} on {server.name}: {why}; nothing was sent.", severity="warning", timeout=8,
                        markup=False)
            return
        act(adapter, server)

    def _confirm(self, title: str, backend: str, target: str, call: str, then: Callable[[], None], *,
                 typed: str | None = None) -> None:
        from ..dialogs.confirm import ConfirmDialog

        def done(ok: bool | None) -> None:
            if ok:
                then()
            else:
                self.notify(f"{title.rstrip('?')}: cancelled.", timeout=3, markup=False)

        self.app.push_screen(ConfirmDialog(title, backend=backend, target=target, call=call, require_text=typed,
                                           warning="" if typed is None else "The old password stops working.",
                                           customer=self._customer_line()), done)

    def _who(self) -> str:
        return str(self.view.client.get("name") or self.view.client.get("id")) if self.view else "the customer"

    def _customer_line(self) -> str:
        """Who the confirmation acts for: the client's name and id ("Ana Lima · client #7")."""
        from hostdeck.backends.sync.billing_actions import customer_label

        client = self.view.client if self.view else {}
        return customer_label(client.get("name"), client.get("id"))

    def action_sso(self) -> None:
        from hostdeck.backends.contract import Capability

        def ask(adapter: Any, server: Server) -> None:
            self._confirm(f"Log in to the panel as {self._who()}?", adapter.name, f"{server.name} (id {server.id})",
                          adapter.describe_call(Capability.SSO, server) or "a one-time login link (valid 15 s)",
                          lambda: self._run(self._sso(adapter, server), f"Log in as {self._who()}",
                                            backend=adapter.name), typed=None)

        self._server_action("sso", "log in to its panel", ask)

    async def _sso(self, adapter: Any, found: Server) -> None:
        from ..dialogs.secret import SecretDialog

        link = (await adapter.sso_url(found)).url or ""
        try:
            self.app.open_url(link)
        except Exception:  # noqa: BLE001 - no browser here: the dialog shows the link
            pass
        self.app.push_screen(SecretDialog(f"Panel login link for {self._who()}", backend=adapter.name,
                                          target=found.name, secret=link,
                                          note="Logs in as the customer once, within 15 s, in a private window."))

    def action_reset_password(self) -> None:
        from hostdeck.backends.contract import Capability

        def ask(adapter: Any, server: Server) -> None:
            name = server.name
            self._confirm(f"Reset the root password of {self._who()}'s {name}?", adapter.name,
                          f"{name} (id {server.id})", adapter.describe_call(Capability.RESET_PASSWORD, server),
                          lambda: self._run(self._reset(adapter, server), f"Reset the password of {name}",
                                            backend=adapter.name), typed=name)

        self._server_action("reset_password", "reset a password", ask)

    async def _reset(self, adapter: Any, server: Server) -> None:
        from ..dialogs.secret import SecretDialog

        result = await adapter.reset_password(server.id)
        self.app.push_screen(SecretDialog(f"New root password for {server.name}", backend=adapter.name,
                                          target=server.name, secret=result.secret, note=result.note))

    def action_reboot(self) -> None:
        from hostdeck.backends.contract import Capability
        from hostdeck.backends.contract import PowerAction

        def ask(adapter: Any, server: Server) -> None:
            name = server.name
            self._confirm(f"Reboot {self._who()}'s {name}?", adapter.name, f"{name} (id {server.id})",
                          adapter.describe_call(Capability.REBOOT, server, PowerAction.REBOOT),
                          lambda: self._run(self._reboot(adapter, server), f"Reboot {name}", backend=adapter.name))

        self._server_action("power_reboot", "reboot", ask)

    async def _reboot(self, adapter: Any, server: Server) -> None:
        from hostdeck.backends.contract import PowerAction

        await adapter.power(server.id, PowerAction.REBOOT)
        self.notify(f"{server.name}: reboot done.", timeout=4, markup=False)

    def action_suspend(self) -> None:
        self._service_action("suspend", ("Active",))

    def action_unsuspend(self) -> None:
        self._service_action("unsuspend", ("Suspended",))

    def _service_action(self, verb: str, statuses: tuple[str, ...]) -> None:
        view = self._customer()
        if view is None:
            return
        services = [s for s in view.services if s.get("status") in statuses]
        if not services:
            self.notify(f"{self._who()} has no {' or '.join(statuses).lower()} service to {verb}.", severity="warning",
                        timeout=5, markup=False)
            return
        billing = self._billing()
        module = "ModuleSuspend" if verb == "suspend" else "ModuleUnsuspend"

        def ask(service: dict[str, Any]) -> None:
            target = f"service #{service['id']} {service.get('product')} ({service.get('domain') or 'no domain'})"
            self._confirm(f"{verb.capitalize()} {self._who()}'s service through WHMCS?", billing.name, target,
                          f"{module} serviceid={service['id']}", lambda: self._run(
                              self._module(billing, verb, service), f"{verb.capitalize()} service #{service['id']}",
                              backend=billing.name))

        self._choose([(f"#{s['id']} {s.get('product')} {s.get('domain') or ''}", partial(ask, s)) for s in services],
                     f"{verb.capitalize()} which service?")

    async def _module(self, billing: Any, verb: str, service: dict[str, Any]) -> None:
        if verb == "suspend":
            result = await billing.module_suspend(service["id"], f"suspended from hostdeck for {self._who()}")
        else:
            result = await billing.module_unsuspend(service["id"])
        self.notify(result.message or f"Service #{service['id']}: {verb} done.", timeout=5, markup=False)
        if self.view is not None:
            self._run(self._refresh_live(self.view), "Refresh the customer from the APIs", group="customer-live",
                      backend=billing.name)
