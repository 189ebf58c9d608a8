"""A server's metrics: CPU, disk and network as sparklines over 1 h, 24 h or 7 d (keys 1, 2, 3), min/avg/max in text.

The data come through `fetch(kind, period)` (the adapter's `metrics` for this server), each period loaded once, in a
worker; a failure is said in place, as a word, and reported through the one error path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label
from textual.widgets import Static

from hostdeck.backends.models import Server
from hostdeck.backends.operations import PERIODS
from hostdeck.backends.operations import MetricKind
from hostdeck.backends.operations import Metrics

from ..keys import keys
from ..reporting import ReportsFailures
from ..safe_text import as_text
from ..widgets.metric_lines import MetricLine

Fetch = Callable[[MetricKind, str], Awaitable[Metrics]]
TITLES = {MetricKind.CPU: "CPU", MetricKind.DISK: "Disk", MetricKind.NETWORK: "Network"}


class MetricsScreen(ReportsFailures, ModalScreen[None]):
    BINDINGS = keys("metrics", """
        1             hour   period('1h')   1h
        2             day    period('24h')  24h
        3             week   period('7d')   7d
        escape,q      close  close          Close
    """)
    DEFAULT_CSS = """
    MetricsScreen #metrics-body { height: auto; max-height: 30; }
    MetricsScreen .metric-kind { height: auto; }
    MetricsScreen .metric-kind-title { text-style: bold; color: $text-primary; margin-top: 1; }
    """

    def __init__(self, server: Server, fetch: Fetch | None, *, period: str = "24h",
                 loaded: Mapping[tuple[MetricKind, str], Metrics | BaseException] | None = None) -> None:
        """`loaded`: data (or the failure) already at hand for (kind, period); the rest is fetched."""
        super().__init__(classes="dialog")
        self.server = server
        self.fetch = fetch
        self.period = period
        self.loaded: dict[tuple[MetricKind, str], Metrics | BaseException] = dict(loaded or {})

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box", classes="wide"):
            heading = f"Metrics of {self.server.name} on {self.server.backend}"
            yield Label(as_text(heading, limit=300), id="dialog-title")
            yield Static(self._periods(), id="metrics-periods")
            with VerticalScroll(id="metrics-body"):
                for kind in MetricKind:
                    with Vertical(id=f"metrics-{kind.value}", classes="metric-kind"):
                        yield Static(TITLES[kind], classes="metric-kind-title")
                        yield Static("loading…", classes="metric-state")

    def _periods(self) -> Text:
        text = Text()
        for n, period in enumerate(PERIODS, start=1):
            text.append(f" {n} ", "bold reverse" if period == self.period else "bold")
            text.append(f" {period}  ", "bold" if period == self.period else "dim")
        text.append("  esc closes", "dim")
        return text

    async def on_mount(self) -> None:
        await self.show_period()

    async def action_period(self, period: str) -> None:
        if period != self.period:
            self.period = period
            self.query_one("#metrics-periods", Static).update(self._periods())
            await self.show_period()

    def action_close(self) -> None:
        self.dismiss(None)

    async def show_period(self) -> None:
        missing = [k for k in MetricKind if (k, self.period) not in self.loaded]
        for kind in MetricKind:
            await self._draw(kind)
        if missing and self.fetch is not None:
            self.run_worker(self._load(self.period, missing), group="metrics", exclusive=True, exit_on_error=False,
                            description=f"Read the metrics of {self.server.name}")

    async def _load(self, period: str, kinds: list[MetricKind]) -> None:
        assert self.fetch is not None
        results = await asyncio.gather(*(self.fetch(kind, period) for kind in kinds), return_exceptions=True)
        for kind, result in zip(kinds, results):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, BaseException):
                self.app.report_failure(result, action=f"Read the {kind.value} metrics of {self.server.name}",
                                        backend=self.server.backend)
            self.loaded[(kind, period)] = result
            if period == self.period:
                await self._draw(kind)

    async def _draw(self, kind: MetricKind) -> None:
        box = self.query_one(f"#metrics-{kind.value}", Vertical)
        await box.remove_children(".metric-state, MetricLine")
        found = self.loaded.get((kind, self.period))
        if found is None:
            await box.mount(Static("loading…" if self.fetch else "no data", classes="metric-state"))
        elif isinstance(found, BaseException):
            from ..errors import describe

            failure = describe(found, action="metrics", backend=self.server.backend)
            await box.mount(Static(Text.assemble((failure.short, "bold red"), "  ",
                                                 as_text(failure.said, "dim", limit=300)), classes="metric-state"))
        elif not found.series:
            await box.mount(Static("no data in this period", classes="metric-state"))
        else:
            await box.mount_all([MetricLine(series) for series in found.series])
