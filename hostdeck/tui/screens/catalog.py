"""Catalog: server types with prices per location, locations, images; source and age always shown."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable
from textual.widgets import Static
from textual.widgets import TabbedContent
from textual.widgets import TabPane

from hostdeck.backends.contract import Capability
from hostdeck.backends.models import Catalog
from hostdeck.backends.models import CatalogItem
from hostdeck.backends.models import CatalogKind

from ..filtering import RowFilter
from ..filtering import hay_of
from ..format import age_text
from ..keys import keys
from ..safe_text import as_text
from ..safe_text import table_cell
from ..widgets.footer import KeysFooter
from ..widgets.topbar import TopBar
from .grid_screen import FilterBox

LOCATIONS = ("fsn1", "nbg1", "hel1", "ash", "hil", "sin")
TABS = {
    CatalogKind.SERVER_TYPE: ("Server types", ["backend", "name", "cores", "memory", "disk", "arch", "cpu", "deprecated",
                                               *(f"{loc} €/mo" for loc in LOCATIONS)]),
    CatalogKind.LOCATION: ("Locations", ["backend", "name", "city", "country", "network zone", "description"]),
    CatalogKind.IMAGE: ("Images", ["backend", "name", "type", "arch", "os", "version", "status", "description"]),
    CatalogKind.NODE: ("Nodes", ["backend", "node", "servers", "memory allocated", "memory", "disk allocated", "disk",
                                 "fqdn"]),
    CatalogKind.TEMPLATE: ("Templates", ["backend", "template", "group", "node", "uuid", "hidden"]),
    CatalogKind.IP_POOL: ("IP pools", ["backend", "pool", "type", "free", "total", "first free addresses"]),
}
TAB_KEYS = {CatalogKind.SERVER_TYPE: "t", CatalogKind.LOCATION: "l", CatalogKind.IMAGE: "i", CatalogKind.NODE: "n",
            CatalogKind.TEMPLATE: "m", CatalogKind.IP_POOL: "p"}  # as bound in CatalogScreen.BINDINGS
CELL_LIMIT = 200  # characters of one catalog value in a cell (the table clips it to the column anyway)
OPTIONAL_TABS = {CatalogKind.NODE, CatalogKind.TEMPLATE, CatalogKind.IP_POOL}  # shown when a backend has them


def allocation_bar(used: float | None, capacity: float | None, width: int = 12) -> str:
    """`██████░░░░░░  52%` — over-allocation (more than 100 %) shows as a full bar and the real figure."""
    if not capacity or used is None:
        return "—"
    share = used / capacity
    filled = min(width, round(share * width))
    return "█" * filled + "░" * (width - filled) + f" {share * 100:4.0f}%"


def _cells(item: CatalogItem) -> list[str]:
    a = item.attrs
    if item.kind is CatalogKind.SERVER_TYPE:
        prices = []
        for loc in LOCATIONS:
            p = item.price_for(loc)
            prices.append(f"{p.monthly_gross:.2f}" if p else "—")
        mem = (a.get("memory_mb") or 0) / 1024
        return [item.backend, item.name, str(a.get("cores") or ""), f"{mem:g} GB", f"{a.get('disk_gb') or ''} GB",
                item.architecture or "", a.get("cpu_type") or "", "yes" if item.deprecated else "", *prices]
    if item.kind is CatalogKind.LOCATION:
        return [item.backend, item.name, a.get("city") or "", a.get("country") or "", a.get("network_zone") or "", item.description]
    if item.kind is CatalogKind.NODE:
        mem_used, mem_cap = a.get("memory_allocated_mb"), a.get("memory_capacity_mb")
        disk_used, disk_cap = a.get("disk_allocated_gb"), a.get("disk_capacity_gb")
        return [item.backend, item.name, str(a.get("servers_count") or 0), allocation_bar(mem_used, mem_cap),
                f"{(mem_used or 0) / 1024:.0f} / {(mem_cap or 0) / 1024:.0f} GB", allocation_bar(disk_used, disk_cap),
                f"{disk_used or 0} / {disk_cap or 0} GB", a.get("fqdn") or ""]
    if item.kind is CatalogKind.TEMPLATE:
        return [item.backend, item.name, a.get("group") or "", a.get("node") or "", a.get("uuid") or item.id,
                "hidden" if a.get("hidden") else ""]
    if item.kind is CatalogKind.IP_POOL:
        free = a.get("free") or []
        shown = ", ".join(str(f.get("address") if isinstance(f, dict) else f) for f in free[:4])
        return [item.backend, item.name, a.get("type") or "", str(a.get("free_count") or 0), str(a.get("total") or 0),
                shown + (" …" if len(free) > 4 else "")]
    return [item.backend, item.name, a.get("type") or "", item.architecture or "", a.get("os_flavor") or "",
            a.get("os_version") or "", a.get("status") or "", item.description]


class CatalogScreen(FilterBox):
    FILTER_BEFORE = "#catalog-tabs"
    FILTER_PLACEHOLDER = "filter the current tab"
    AUTO_FOCUS = "#table-server_type"
    BINDINGS = keys("catalog", """
        r                     refresh         refresh                  Refresh (live)
        slash                 filter          filter                   Filter
        escape                clear           clear                    Clear
        right_square_bracket  next_tab        next_tab(1)              Next tab
        left_square_bracket   previous_tab    next_tab(-1)             [Previous tab]
        t                     tab_types       tab('server_type')       [Server types]
        l                     tab_locations   tab('location')          [Locations]
        i                     tab_images      tab('image')             [Images]
        n                     tab_nodes       tab('node')              [Nodes]
        m                     tab_templates   tab('template')          [Templates]
        p                     tab_ip_pools    tab('ip_pool')           [IP pools]
    """)

    def __init__(self) -> None:
        super().__init__()
        self.catalogs: dict[str, Catalog] = {}
        self.filter_text = ""

    def compose(self) -> ComposeResult:
        yield TopBar("Catalog")
        yield Static("Loading catalogs…", id="catalog-source")
        with TabbedContent(id="catalog-tabs"):
            for kind, (title, columns) in TABS.items():
                with TabPane(f"{title} ({TAB_KEYS[kind]})", id=f"tab-{kind.value}"):
                    table: DataTable[Text] = DataTable(id=f"table-{kind.value}", cursor_type="row", zebra_stripes=True)
                    table.add_columns(*columns)
                    yield table
        yield KeysFooter()

    def on_mount(self) -> None:
        tabs = self.query_one("#catalog-tabs", TabbedContent)
        for kind in OPTIONAL_TABS:
            tabs.hide_tab(f"tab-{kind.value}")
        self._paint_cached()
        self.load(refresh=False)

    def _paint_cached(self) -> None:
        """The cached catalogs at once, whatever their age, while `load` checks them (stdlib sqlite3)."""
        from hostdeck.backends.inventory import cached_catalogs

        try:
            found = cached_catalogs(self.app.workspace)
        except Exception:  # noqa: BLE001 - a damaged cache is no cache: the catalogs load as without one
            return
        for catalog in found:
            self.catalogs[catalog.backend] = catalog
        if found:
            self._refresh_view()

    @work(group="catalog", exclusive=True, exit_on_error=False, description="Load the catalogs")
    async def load(self, refresh: bool) -> None:
        await self.app.backends_ready()
        adapters = [a for a in self.app.workspace.adapters.values() if Capability.CATALOG in a.capabilities]
        if not adapters:
            self.query_one("#catalog-source", Static).update("No configured backend has a catalog.")
            return
        if refresh or not self.catalogs:  # else the cached catalogs stay on screen, marked "from the store, loading"
            self.query_one("#catalog-source", Static).update("Refreshing from the APIs…" if refresh else "Loading…")
        results = await asyncio.gather(*(a.catalog(refresh=refresh) for a in adapters), return_exceptions=True)
        for adapter, result in zip(adapters, results):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                self.app.report_failure(result, action="Load the catalog", backend=adapter.name)
            else:
                self.catalogs[adapter.name] = result
        self._refresh_view()

    def show_failure(self, worker, failure) -> None:
        from rich.text import Text

        self.query_one("#catalog-source", Static).update(Text(failure.text))

    def _refresh_view(self) -> None:
        lines = []
        for c in self.catalogs.values():
            age = c.age_seconds()
            age_words = age_text(age)
            style = {"live": "green", "cache": "yellow", "fallback": "bold red", "unavailable": "bold red"}[c.source.value]
            line = Text.assemble(as_text(c.backend, "bold"), ": ", (c.source.value, style), f", {age_words}")
            if c.note:
                line.append_text(Text.assemble(" ", as_text(f"({c.note})", "dim", limit=500)))
            lines.append(line)
        self.query_one("#catalog-source", Static).update(Text("   ").join(lines) if lines else "No catalog.")
        row_filter = RowFilter.parse(self.filter_text)
        tabs = self.query_one("#catalog-tabs", TabbedContent)
        for kind in OPTIONAL_TABS:
            present = any(c.of_kind(kind) for c in self.catalogs.values())
            (tabs.show_tab if present else tabs.hide_tab)(f"tab-{kind.value}")
        for kind in TABS:
            table = self.query_one(f"#table-{kind.value}", DataTable)
            table.clear()
            for c in self.catalogs.values():
                for item in c.of_kind(kind):
                    cells = _cells(item)
                    if not row_filter.matches(hay_of(cells)):
                        continue
                    # Text cells: a DataTable parses plain strings as markup
                    table.add_row(*(table_cell(cell, limit=CELL_LIMIT) for cell in cells), key=f"{item.backend}:{item.id}")

    def shown_tabs(self) -> list[CatalogKind]:
        """The tabs on screen: the optional ones only when a backend has such items."""
        return [kind for kind in TABS
                if kind not in OPTIONAL_TABS or any(c.of_kind(kind) for c in self.catalogs.values())]

    def action_tab(self, kind: str) -> None:
        if CatalogKind(kind) not in self.shown_tabs():
            self.notify(f"No configured backend has {TABS[CatalogKind(kind)][0].lower()}.", timeout=3)
            return
        self.query_one("#catalog-tabs", TabbedContent).active = f"tab-{kind}"
        self.focus_rows()

    def action_next_tab(self, step: int) -> None:
        shown = self.shown_tabs()
        active = CatalogKind(self.query_one("#catalog-tabs", TabbedContent).active.removeprefix("tab-"))
        at = shown.index(active) if active in shown else 0
        self.action_tab(shown[(at + step) % len(shown)].value)

    def action_refresh(self) -> None:
        self.load(refresh=True)

    def apply_filter(self, text: str) -> None:
        self.filter_text = text
        self._refresh_view()

    def focus_rows(self) -> None:
        tabs = self.query_one("#catalog-tabs", TabbedContent)
        self.query_one(f"#table-{tabs.active.removeprefix('tab-')}", DataTable).focus()
