"""Sync: the WHMCS client sync map with its stats, each link's detail and drift, and the sync operations."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from rich.text import Text
from textual import on
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import VerticalScroll
from textual.widgets import Markdown
from textual.widgets import ProgressBar
from textual.widgets import Static
from textual.widgets import TabbedContent
from textual.widgets import TabPane

from hostdeck.backends.sync.tally import counts_line

from ...format import age_text
from ...grid_cache import keep_rows
from ...keys import keys
from ...safe_text import as_text
from ...safe_text import visible
from ...widgets.footer import KeysFooter
from ...widgets.grid import Column
from ...widgets.grid import Grid
from ...widgets.grid import Row
from ...widgets.topbar import TopBar
from ..grid_screen import GridLayout
from ..grid_screen import GridScreen
from ..help_texts import SYNC_TEXT
from .billing_tabs import DriftPane
from .billing_tabs import PanelPane
from .billing_tabs import ServicesPane

if TYPE_CHECKING:
    from textual.worker import Worker

    from hostdeck.backends.sync.clients import ClientSync
    from hostdeck.backends.sync.panel import PanelSync
    from hostdeck.backends.sync.services import ServiceLinks

LIMIT = 1_000  # characters of one backend value in the detail pane
COLUMNS = [Column("client", "Client", max_width=8), Column("email", "Email", max_width=36),
           Column("user", "Panel user", max_width=10), Column("status", "Status", width=8),
           Column("synced", "Last synced", max_width=16), Column("note", "Error / drift", max_width=60)]
STATUS_STYLE = {"synced": "$text-success", "pending": "$text-warning", "error": "bold $text-error",
                "drifted": "$text-accent"}
OPERATIONS = {"push": "Push (create or link panel users)", "update": "Update changed fields", "pull": "Pull from WHMCS",
              "check": "Check both sides", "retry": "Retry errors"}

WRITES = ("push", "update", "retry")  # the operations that ask first
OPERATION_VERB = {"push": "Push", "update": "Update", "retry": "Retry"}



def link_row(link: Any) -> Row:
    from hostdeck.backends.models import utcnow

    note = link.last_error or ("; ".join(f"{k}: {v[0]!r} ≠ {v[1]!r}" for k, v in (link.drift or {}).items()))
    synced = age_text((utcnow() - link.last_synced).total_seconds()) if link.last_synced else ""
    cells = (link.left_id, link.left_key or "", link.right_id or "", link.status, synced, note)
    return Row(key=link.left_id, cells=cells, styles=(None, None, None, STATUS_STYLE.get(link.status), None, None))


class SyncScreen(GridScreen):
    LAYOUT = GridLayout("sync-grid", "sync-body", filter_before="#sync-progress",
                        filter_placeholder="filter: client id, email, status…  (!text excludes)",
                        details="sync-detail", details_placeholder="Select a link.")
    BINDINGS = keys("sync", """
        p       push          run('push')      Push all
        u       update        run('update')    Update
        l       pull          run('pull')      Pull
        C       check         run('check')     Check
        e       retry         run('retry')     Retry errors
        x       unlink        unlink           Unlink
        c       cancel        cancel           Cancel run
        slash   filter        filter           Filter
        escape  clear         clear            [Clear]
        r       reload        reload           Reload map
        t       tab_clients   tab('clients')   [Clients]
        s       tab_services  tab('services')  [Services]
        d       tab_drift     tab('drift')     [Drift]
        v       tab_panel     tab('panel')     [Panel]
    """)

    def __init__(self) -> None:
        super().__init__()
        self.engine: ClientSync | None = None
        self.links: dict[str, Any] = {}
        self.setup_error: str | None = None
        self._run_worker: Worker[None] | None = None
        self.service_links: ServiceLinks | None = None
        self.panel_sync: PanelSync | None = None
        self.billing_error: str | None = None
        self.panel_error: str | None = None

    def compose(self) -> ComposeResult:
        yield TopBar("Sync")
        with TabbedContent(id="sync-tabs"):
            with TabPane("Clients (t)", id="clients"):
                yield Static("", id="sync-stats")
                yield ProgressBar(id="sync-progress", show_eta=True)
                with Horizontal(id="sync-body"):
                    yield Grid(COLUMNS, id="sync-grid")
                    with VerticalScroll(id="details"):
                        yield Static(self.LAYOUT.details_placeholder, id=self.LAYOUT.details)
                yield Markdown(SYNC_TEXT, id="sync-help", classes="placeholder")
            with TabPane("Services (s)", id="services"):
                yield ServicesPane()
            with TabPane("Drift (d)", id="drift"):
                yield DriftPane()
            with TabPane("Panel (v)", id="panel"):
                yield PanelPane()
        yield Static("", id="status-line")
        yield KeysFooter()

    def action_tab(self, tab: str) -> None:
        self.query_one("#sync-tabs", TabbedContent).active = tab

    @on(TabbedContent.TabActivated, "#sync-tabs")
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        pane = {"services": ServicesPane, "drift": DriftPane, "panel": PanelPane}.get(event.pane.id or "")
        if pane is not None:
            widget = self.query_one(pane)
            widget.ensure_loaded()
            widget.grid.focus()
        else:
            self.grid.focus()

    def writable(self) -> bool:
        if self.app.read_only:
            self.notify("Read-only mode is on: links and records are not changed.", severity="warning")
            return False
        return True

    def on_mount(self) -> None:
        self.query_one("#sync-progress").display = False
        self.query_one("#sync-help").display = False
        cached = self.paint_cached("clients", loading="Loading the sync map…")
        if cached:
            self.query_one("#sync-stats", Static).update(Text(f"{cached} · loading the sync map…"))
        self.load()

    @property
    def clients(self) -> ClientSync:
        """The client sync, once `load` has set it up (the operations check `engine` first)."""
        assert self.engine is not None, self.setup_error or "the sync is still loading"
        return self.engine

    # loading ---------------------------------------------------------------------------------
    def _billing_setup(self) -> None:
        """The service links and the panel sync, when their backends are configured (each says why when not)."""
        from hostdeck.backends.errors import ConfigError
        from hostdeck.backends.sync.billing_setup import panel_sync
        from hostdeck.backends.sync.billing_setup import service_links

        if self.service_links is None and self.billing_error is None:
            try:
                self.service_links = service_links(self.app.workspace)
            except ConfigError as exc:
                self.billing_error = str(exc)
        if self.service_links is not None and self.panel_sync is None and self.panel_error is None:
            try:
                self.panel_sync = panel_sync(self.app.workspace, self.service_links)
            except ConfigError as exc:
                self.panel_error = str(exc)

    @work(group="sync-load", exclusive=True, exit_on_error=False, description="Load the sync map")
    async def load(self) -> None:
        await self.app.backends_ready()
        self._billing_setup()
        if self.engine is None:
            from hostdeck.backends.errors import ConfigError
            from hostdeck.backends.sync.setup import client_sync

            try:
                self.engine = client_sync(self.app.workspace)
            except ConfigError as exc:
                self.setup_error = str(exc)
                self.query_one("#sync-body").display = False
                self.query_one("#sync-help").display = True
                self.query_one("#sync-stats", Static).update(
                    Text.assemble(("The sync is not set up:", "bold"), " ", as_text(exc, multiline=True)))
                return
        import asyncio

        links = await asyncio.to_thread(self.clients.map.all_links, "client")
        stats = await asyncio.to_thread(self.clients.map.stats)
        self.links = {link.left_id: link for link in links}
        rows = [link_row(link) for link in links]
        self.grid.set_rows(rows)
        keep_rows(self, self.app.workspace, "clients", rows)
        self.grid.empty_message = "No links yet: press p to push every WHMCS client to the panel."
        by = stats.get("client", {})
        parts = [Text.assemble((str(by.get(s, 0)), "bold"), f" {s}") for s in ("synced", "pending", "error", "drifted")]
        self.query_one("#sync-stats", Static).update(
            Text.assemble(as_text(f"clients {self.clients.billing.name} → users {self.clients.panel.name}:  "),
                          Text(" · ").join(parts)))
        self.update_status()
        self.update_details()  # the selected link may have changed

    def update_status(self) -> None:
        self.set_status(self.counted("links"))

    # operations --------------------------------------------------------------------------------
    def action_run(self, operation: str) -> None:
        if self.engine is None:
            self.notify(self.setup_error or "The sync is still loading.", severity="warning")
            return
        if self.app.read_only and operation != "check" and operation != "pull":
            self.notify("Read-only mode is on: push, update and retry are disabled.", severity="warning")
            return
        if self._run_worker is not None and self._run_worker.is_running:
            self.notify("A sync is already running; c cancels it.", severity="warning")
            return
        if operation in WRITES:
            self._plan(operation)
        else:
            self._start(operation)

    def _start(self, operation: str) -> None:
        self._run_worker = self.run_worker(self._run(operation), group="sync-run", exclusive=True, exit_on_error=False,
                                           description=OPERATIONS[operation])

    @work(group="sync-plan", exclusive=True, exit_on_error=False, description="Work out what the sync would change")
    async def _plan(self, operation: str) -> None:
        """A write runs only after the person has seen its dry run (counts and each client) and confirmed it."""
        from ...dialogs.bulk_confirm import BulkConfirmDialog

        self.set_status(f"{OPERATIONS[operation]}: working out what would change…")
        if operation == "update":
            plan = await self.clients.update(dry_run=True)
        else:
            plan = await self.clients.push(dry_run=True, only_errors=operation == "retry")
        changes = [o for o in plan.outcomes if o.result != "unchanged"]
        self.update_status()
        if not changes:
            self.notify(f"{OPERATIONS[operation]}: nothing to do, nothing was changed.")
            return
        rows = [(o.client_id, o.email, o.result.removeprefix("would "), o.user_id or "new") for o in changes]
        dialog = BulkConfirmDialog(f"{OPERATIONS[operation]}: {len(changes)} clients?",
                                   backend=f"{self.clients.billing.name} → {self.clients.panel.name}",
                                   counts=counts_line(plan.counts()), headers=("client", "email", "will", "panel user"),
                                   rows=rows, confirm_label=OPERATION_VERB[operation])

        def answered(ok: bool | None) -> None:
            if ok:
                self._start(operation)

        self.app.push_screen(dialog, answered)

    async def _run(self, operation: str) -> None:
        bar = self.query_one("#sync-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)

        def progress(done: int, total: int) -> None:
            bar.update(total=total, progress=done)

        self.set_status(f"{OPERATIONS[operation]}…  (c cancels; a cancelled push is finished by the next run)")
        try:
            if operation in ("push", "retry"):
                report = await self.clients.push(only_errors=operation == "retry", progress=progress)
            elif operation == "update":
                report = await self.clients.update(progress=progress)
            elif operation == "pull":
                report = await self.clients.pull()
            else:
                report = await self.clients.check()
        finally:
            bar.display = False
        counts = counts_line(report.counts())
        self.notify(f"{OPERATIONS[operation]}: done: {counts} ({report.seconds:.1f} s).",
                    severity="error" if report.failed else "information", timeout=8)
        self.load()

    def show_failure(self, worker, failure) -> None:
        from rich.text import Text

        if worker.group == "sync-load" and not self.links:
            self.grid.empty_message = failure.text  # not "Loading…" for ever
        self.query_one("#status-line", Static).update(Text(failure.text))

    def action_cancel(self) -> None:
        if self._run_worker is not None and self._run_worker.is_running:
            self._run_worker.cancel()
            self.query_one("#sync-progress").display = False
            self.notify("Sync cancelled. Links already written stay; the next run finishes the rest.", timeout=6)
            self.load()

    def action_unlink(self) -> None:
        from ...dialogs.confirm import ConfirmDialog

        key = self.grid.cursor_row_key
        link = self.links.get(key) if isinstance(key, str) else None
        if link is None or self.engine is None:
            return
        if self.app.read_only:
            self.notify("Read-only mode is on: unlinking is disabled.", severity="warning")
            return
        dialog = ConfirmDialog("Unlink this client?", backend=f"{link.left_system} → {link.right_system}",
                               target=f"client {link.left_id} ({link.left_key}) ↔ panel user {link.right_id or '—'}",
                               call="sync map only: neither WHMCS nor the panel is touched", confirm_label="Unlink")

        def answered(ok: bool | None) -> None:
            if ok:
                self._unlink(link.left_id)

        self.app.push_screen(dialog, answered)

    @work(group="sync-unlink", exit_on_error=False, description="Unlink the client")
    async def _unlink(self, client_id: str) -> None:
        await self.clients.unlink(client_id)
        self.notify(f"Client {client_id} unlinked.")
        self.load()

    def action_reload(self) -> None:
        self.load()

    # detail ------------------------------------------------------------------------------------------
    def update_details(self) -> None:
        key = self.grid.cursor_row_key
        if key is not None and key in self.links:
            self.show_detail(self.links[key])

    @work(group="sync-detail", exclusive=True, exit_on_error=False, description="Load the WHMCS client")
    async def show_detail(self, link: Any) -> None:
        # Text, never markup: every value here comes from WHMCS or the panel
        lines = [Text.assemble(as_text(f"client {link.left_id}", "bold", limit=LIMIT), " ",
                               as_text(f"{link.left_key or ''}  →  panel user {link.right_id or '—'}", limit=LIMIT)),
                 Text.assemble("status ", as_text(link.status, "bold"),
                               as_text(f" · intent {link.intent}" if link.intent else "", limit=LIMIT))]
        if link.last_error:
            lines.append(as_text(link.last_error, "red", limit=LIMIT, multiline=True))
        if link.drift:
            lines += [Text(), Text("Drift", "bold"), Text(f"{'field':10} {'WHMCS':28} panel", "dim")]
            lines += [as_text(f"{visible(k, limit=LIMIT):10} {visible(v[0], limit=LIMIT):28} {visible(v[1], limit=LIMIT)}")
                      for k, v in link.drift.items()]
        detail = self.query_one(f"#{self.LAYOUT.details}", Static)
        detail.update(Text("\n").join(lines + [Text(), Text("loading the WHMCS client…", "dim")]))
        from hostdeck.backends.errors import BackendError

        try:
            client = await self.clients.billing.get_client(client_id=link.left_id)
            services = await self.clients.billing.get_services(client_id=link.left_id)
        except BackendError as exc:
            detail.update(Text("\n").join(lines + [Text(), as_text(f"WHMCS: {exc.message}", "red", limit=LIMIT, multiline=True)]))
            self.app.report_failure(exc, action=f"Load the WHMCS client {link.left_id}", backend=self.clients.billing.name)
            return
        lines += [Text(), Text("WHMCS client", "bold"),
                  as_text(f"{client.first_name} {client.last_name}" + (f", {client.company}" if client.company else ""),
                          limit=LIMIT),
                  as_text(f"{client.email} · {client.status}", limit=LIMIT)]
        stats = client.raw.get("stats") or {}
        known = [f"{label} {visible(stats[key], limit=LIMIT)}" for key, label in (("productsnumactive", "active services:"),
                 ("income", "income"), ("numoverdueinvoices", "overdue invoices:")) if stats.get(key) not in (None, "")]
        if known:
            lines.append(as_text(" · ".join(known), "dim"))
        lines += [Text(), Text(f"Services ({len(services)})", "bold")]
        for s in services[:12]:
            line = (f"{visible(s.id):>5} {visible(s.product)[:22]:22} {visible(s.status):10} {visible(s.billing_cycle):10} "
                    f"{s.recurring_amount} · due {s.next_due_date or '—'}" + (f" · server {s.server_id}" if s.server_id else ""))
            lines.append(as_text(line, limit=LIMIT))
        detail.update(Text("\n").join(lines))
