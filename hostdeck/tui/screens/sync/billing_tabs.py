"""The billing tabs of the Sync screen: service links (proposals with their evidence), drift, VPS panel records."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING
from typing import Any
from typing import cast

from rich.text import Text
from textual import on
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from hostdeck.backends.sync.tally import counts_line

from ...grid_cache import keep_rows
from ...grid_cache import paint_cached
from ...keys import keys
from ...reporting import ReportsFailures
from ...safe_text import as_text
from ...widgets.grid import Column
from ...widgets.grid import Grid
from ...widgets.grid import Row

if TYPE_CHECKING:
    from hostdeck.backends.sync.services import ServiceLinks

    from .screen import SyncScreen

SERVICE_COLUMNS = [Column("service", "Service", max_width=8), Column("client", "Client", max_width=22),
                   Column("product", "Product", max_width=18), Column("state", "Link", width=10),
                   Column("server", "Server", max_width=28), Column("score", "Score", width=5, justify="right"),
                   Column("evidence", "Evidence", max_width=60)]
DRIFT_COLUMNS = [Column("kind", "Kind", width=7), Column("service", "Service", max_width=8),
                 Column("client", "Client", max_width=22), Column("server", "Server", max_width=28),
                 Column("message", "What and the fix", max_width=90)]
PANEL_COLUMNS = [Column("server", "Server", max_width=28), Column("panel", "Panel VPS", max_width=9),
                 Column("status", "Map status", width=10), Column("note", "Last error", max_width=70)]
LIMIT = 1_000  # characters of one backend string in a summary or detail
LINK_STYLE = {"linked": "$text-success", "proposed": "$text-accent", "ambiguous": "$text-warning"}
DRIFT_STYLE = {"leak": "bold $text-error", "gone": "$text-error", "orphan": "$text-warning", "plan": "$text-accent"}


class _Pane(ReportsFailures, Vertical):
    """A tab that loads when first shown and after each change, through the Sync screen's service links."""

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self.loaded = False

    @property
    def sync_screen(self) -> SyncScreen:
        return cast("SyncScreen", self.screen)

    @property
    def links(self) -> ServiceLinks | None:
        return self.sync_screen.service_links

    @property
    def loaded_links(self) -> ServiceLinks:
        """The service links behind the rows on screen (there are rows only once they are set up)."""
        assert self.links is not None, "no WHMCS backend is configured"
        return self.links

    @property
    def grid(self) -> Grid:
        return self.query_one(Grid)

    def summary(self, text: str | Text) -> None:
        """A plain string is shown as it is (never as markup), control characters escaped."""
        self.query_one(".pane-summary", Static).update(text if isinstance(text, Text) else as_text(text, limit=LIMIT))

    def show_failure(self, worker, failure) -> None:
        from rich.text import Text

        self.query_one(".pane-summary", Static).update(Text(failure.text))  # the tab says it, not a spinner

    def ensure_loaded(self) -> None:
        if not self.loaded:
            self.loaded = True
            self.reload()

    def reload(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


class ServicesPane(_Pane):
    BINDINGS = keys("services", """
        a  accept      accept      Accept
        A  accept_all  accept_all  Accept all confident
        n  reject      reject      Reject
        x  unlink      unlink      Unlink
        r  reload      reload      Reload
    """)

    def __init__(self) -> None:
        super().__init__(id="services-pane")
        self.rows: dict[Hashable, Any] = {}

    def compose(self) -> ComposeResult:
        yield Static("", classes="pane-summary")
        yield Grid(SERVICE_COLUMNS, id="services-grid")
        yield Static("", id="services-detail", classes="pane-detail")

    def on_mount(self) -> None:
        self.grid.empty_message = "Loading services and servers…"
        cached = paint_cached(self.grid, self.app.workspace, "services")
        if cached:
            self.summary(Text(f"{cached} · loading services and servers…"))

    def action_reload(self) -> None:
        self.reload()

    @work(group="billing-services", exclusive=True, exit_on_error=False, description="Load the service links")
    async def reload(self) -> None:
        if self.links is None:
            self.summary(self.sync_screen.billing_error or "No WHMCS backend is configured.")
            return
        snapshot = await self.links.snapshot()
        proposals = await self.links.propose(snapshot)
        self.rows = {}
        rows = []
        for link in self.links.links():
            server = snapshot.server(link.backend, link.server_id)
            key = f"l:{link.service_id}"
            self.rows[key] = link
            rows.append(Row(key, (link.service_id, snapshot.client_name(link.client_id), "", "linked",
                                  f"{link.backend}/{server.name if server else link.server_id}", "",
                                  "; ".join(link.evidence) or link.how), styles=(None, None, None, LINK_STYLE["linked"],
                                                                                None, None, None)))
        for p in proposals:
            key = f"p:{p.service_id}:{p.backend}:{p.server_id}"
            self.rows[key] = p
            state = "ambiguous" if p.ambiguous else "proposed"
            rows.append(Row(key, (p.service_id, p.client_name, p.product, state, f"{p.backend}/{p.server_name}",
                                  str(p.score), "; ".join(e.text for e in p.evidence)),
                            styles=(None, None, None, LINK_STYLE[state], None, None, None)))
        self.grid.set_rows(rows)
        keep_rows(self, self.app.workspace, "services", rows)
        self.grid.empty_message = "No services to link."
        confident = sum(1 for p in proposals if p.confident)
        errors = "; ".join(f"{b}: {e}" for b, e in snapshot.errors.items())
        self.summary(Text.assemble(f"{len(self.links.links())} services linked · {len(proposals)} proposals "
                                   f"({confident} confident) — a accepts the selected, A all confident, n rejects",
                                   as_text(f"  {errors}" if errors else "", "red", limit=LIMIT)))
        self._detail()

    @on(Grid.RowHighlighted, "#services-grid")
    def _detail(self) -> None:
        item = self.rows.get(self.grid.cursor_row_key)
        detail = self.query_one("#services-detail", Static)
        if item is None:
            detail.update("")
        elif hasattr(item, "evidence") and hasattr(item, "score"):
            # Text, never markup: names, products and evidence come from WHMCS and the servers
            lines = [Text.assemble(as_text(f"service {item.service_id}", "bold", limit=LIMIT),
                                   as_text(f" {item.product} ({item.service_status}) of {item.client_name} → "
                                           f"{item.backend}/{item.server_name} ({item.server_status})", limit=LIMIT))]
            lines += [as_text(f"  {e.score:>3}  {e.text}", limit=LIMIT) for e in item.evidence]
            if item.ambiguous:
                lines.append(as_text(f"ambiguous: also {', '.join(item.contenders)} — link by hand", "yellow", limit=LIMIT))
            detail.update(Text("\n").join(lines))
        else:
            detail.update(Text.assemble(as_text(f"service {item.service_id}", "bold", limit=LIMIT),
                                        as_text(f" linked to {item.backend}/{item.server_id} ({item.how}): "
                                                + "; ".join(item.evidence), limit=LIMIT)))

    def _selected_proposal(self):
        item = self.rows.get(self.grid.cursor_row_key)
        return item if item is not None and hasattr(item, "score") else None

    @work(group="billing-services-act", exit_on_error=False, description="Accept the proposed link")
    async def action_accept(self) -> None:
        proposal = self._selected_proposal()
        if proposal is None or not self.sync_screen.writable():
            return
        outcome = await self.loaded_links.link(proposal.service_id, proposal.backend, proposal.server_id)
        self.notify(f"service {outcome.service_id}: {outcome.result}" + (f" — {outcome.reason}" if outcome.reason else ""),
                    severity="warning" if outcome.result == "refused" else "information")
        self.reload()

    @work(group="billing-services-act", exit_on_error=False, description="Work out the confident links")
    async def action_accept_all(self) -> None:
        """Links are made only after the person has seen the dry run (counts and each link) and confirmed it."""
        from hostdeck.backends.sync.tally import count_by_result

        from ...dialogs.bulk_confirm import BulkConfirmDialog

        if not self.sync_screen.writable():
            return
        links = self.loaded_links
        snapshot = await links.snapshot()
        confident = {p.service_id: p for p in await links.propose(snapshot) if p.confident}
        plan = await links.accept("all-confident", proposals=list(confident.values()), dry_run=True)
        chosen = [confident[o.service_id] for o in plan if o.result == "would link"]
        if not chosen:
            self.notify("Accept all: no confident proposal to link, nothing was changed.")
            return
        rows = [(o.service_id, confident[o.service_id].client_name, confident[o.service_id].product,
                 f"{o.backend}/{confident[o.service_id].server_name}", o.result.removeprefix("would "), o.reason or "")
                for o in plan]
        counts = counts_line(count_by_result(plan))
        dialog = BulkConfirmDialog(f"Link {len(chosen)} services to their servers?", backend=links.billing.name,
                                   counts=counts, headers=("service", "client", "product", "server", "will", "note"),
                                   rows=rows, confirm_label="Link")

        def answered(ok: bool | None) -> None:
            if ok:
                self._accept_planned(chosen)

        self.app.push_screen(dialog, answered)

    @work(group="billing-services-act", exit_on_error=False, description="Accept every confident link")
    async def _accept_planned(self, chosen: list[Any]) -> None:
        outcomes = await self.loaded_links.accept("all-confident", proposals=chosen)
        linked = sum(1 for o in outcomes if o.result == "linked")
        self.notify(f"Accept all: done: {linked} services linked ({len(outcomes) - linked} refused).")
        self.reload()

    @work(group="billing-services-act", exit_on_error=False, description="Reject the proposed link")
    async def action_reject(self) -> None:
        proposal = self._selected_proposal()
        if proposal is None or not self.sync_screen.writable():
            return
        await self.loaded_links.reject(proposal.service_id, proposal.backend, proposal.server_id)
        self.notify(f"Proposal for service {proposal.service_id} rejected: it will not be proposed again.")
        self.reload()

    @work(group="billing-services-act", exit_on_error=False, description="Unlink the service")
    async def action_unlink(self) -> None:
        item = self.rows.get(self.grid.cursor_row_key)
        if item is None or hasattr(item, "score") or not self.sync_screen.writable():
            return
        await self.loaded_links.unlink(item.service_id)
        self.notify(f"Service {item.service_id} unlinked (WHMCS and the server are unchanged).")
        self.reload()


class DriftPane(_Pane):
    BINDINGS = [Binding("r", "reload", "Reload", id="drift.reload")]

    def __init__(self) -> None:
        super().__init__(id="drift-pane")

    def compose(self) -> ComposeResult:
        yield Static("", classes="pane-summary")
        yield Grid(DRIFT_COLUMNS, id="drift-grid")

    def on_mount(self) -> None:
        self.grid.empty_message = "Comparing billing with the servers…"

    def action_reload(self) -> None:
        self.reload()

    @work(group="billing-drift", exclusive=True, exit_on_error=False, description="Compare billing with the servers")
    async def reload(self) -> None:
        if self.links is None:
            self.summary(self.sync_screen.billing_error or "No WHMCS backend is configured.")
            return
        report = await self.links.drift()
        rows = []
        for i, item in enumerate(report.items):
            server = f"{item.backend}/{item.server_name or item.server_id}" if item.backend else ""
            rows.append(Row(i, (item.kind, item.service_id or "", item.client_name, server, item.message),
                            styles=(DRIFT_STYLE.get(item.kind), None, None, None, None)))
        self.grid.set_rows(rows)
        self.grid.empty_message = "Billing and the servers agree."
        counts = " · ".join(f"{n} {k}" for k, n in sorted(report.counts().items())) or "no drift"
        errors = "; ".join(f"{b}: {e}" for b, e in report.errors.items())
        self.summary(Text.assemble(counts, as_text(f"  not checked: {errors}" if errors else "", "red", limit=LIMIT)))


class PanelPane(_Pane):
    BINDINGS = keys("panel", """
        P  run      run      Sync to panel
        y  dry_run  dry_run  Dry run
        r  reload   reload   Reload
    """)

    def __init__(self) -> None:
        super().__init__(id="panel-pane")

    def compose(self) -> ComposeResult:
        yield Static("", classes="pane-summary")
        yield Grid(PANEL_COLUMNS, id="panel-grid")

    def on_mount(self) -> None:
        self.grid.empty_message = "No panel records yet: P syncs the linked servers to the panel (y: dry run)."

    def action_reload(self) -> None:
        self.reload()

    @work(group="billing-panel", exclusive=True, exit_on_error=False, description="Load the panel records")
    async def reload(self, note: str = "") -> None:
        import asyncio

        sync = self.sync_screen.panel_sync
        if sync is None:
            self.summary(self.sync_screen.panel_error or "No VPS panel backend is configured.")
            return
        records = await asyncio.to_thread(sync.records)
        self.grid.set_rows(Row(f"{k[0]}/{k[1]}", (f"{k[0]}/{k[1]}", link.right_id or "", link.status, link.last_error or ""),
                               styles=(None, None, "$text-success" if link.status == "synced" else "$text-warning", None))
                           for k, link in sorted(records.items()))
        self.summary(note or f"{len(records)} records on {sync.panel.name} — P syncs now, y shows what it would do")

    @work(group="billing-panel-run", exclusive=True, exit_on_error=False, description="Sync the servers to the panel")
    async def _run(self, dry_run: bool) -> None:
        sync = self.sync_screen.panel_sync
        if sync is None or (not dry_run and not self.sync_screen.writable()):
            return
        report = await sync.run(dry_run=dry_run)
        counts = counts_line(report.counts())
        self.notify(f"Panel sync{' (dry run)' if dry_run else ': done'}: {counts}", timeout=8)
        self.reload(note=f"last run{' (dry run)' if dry_run else ''}: {counts}")

    @work(group="billing-panel-run", exclusive=True, exit_on_error=False, description="Work out the panel changes")
    async def action_run(self) -> None:
        """Records are written only after the person has seen the dry run (counts and each record) and confirmed it."""
        from ...dialogs.bulk_confirm import BulkConfirmDialog

        sync = self.sync_screen.panel_sync
        if sync is None or not self.sync_screen.writable():
            return
        plan = await sync.run(dry_run=True)
        changes = [o for o in plan.outcomes if o.result.startswith("would ")]
        if not changes:
            self.notify("Panel sync: nothing to create, update or delete; nothing was changed.")
            return
        rows = [(f"{o.backend}/{o.server or o.server_id}", o.service_id or "", str(o.user_id or ""),
                 str(o.panel_id or "new"), o.result.removeprefix("would ")) for o in changes]
        counts = counts_line(plan.counts())
        dialog = BulkConfirmDialog(f"Sync {len(changes)} records to {sync.panel.name}?", backend=sync.panel.name,
                                   counts=counts, headers=("server", "service", "user", "panel VPS", "will"), rows=rows,
                                   confirm_label="Sync")

        def answered(ok: bool | None) -> None:
            if ok:
                self._run(False)

        self.app.push_screen(dialog, answered)

    def action_dry_run(self) -> None:
        self._run(True)
