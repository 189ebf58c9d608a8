"""The details pane's live part for backends with metrics or attachments: a CPU sparkline of the last 24 h and what is
attached to the server (firewalls, volumes, primary IPs, the ISO). Loaded when the pane shows a server, in a worker:
"loading…", then the data, or the error as a word."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Hashable
from typing import TYPE_CHECKING
from typing import Any

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Sparkline
from textual.widgets import Static

from ..reporting import ReportsFailures
from ..safe_text import as_text
from .metric_lines import summary

if TYPE_CHECKING:
    from hostdeck.backends.contract import Adapter
    from hostdeck.backends.models import Server

SETTLE = 0.25  # seconds the cursor rests on a row before its data are asked for
KEEP = 60.0  # seconds a server's data are shown again without asking
KINDS = (("firewall", "Firewalls"), ("volume", "Volumes"), ("primary_ip", "Primary IPs"), ("iso", "ISO"))
LIMIT = 200


def attachments_text(attachments: Any) -> Text:
    text = Text()
    for kind, title in KINDS:
        items = attachments.of(kind)
        text.append(f"{title:12}", "dim")
        if not items:
            text.append("none\n", "dim")
            continue
        text.append_text(Text(", ").join(as_text(f"{a.name} {a.detail}".strip(), limit=LIMIT) for a in items))
        text.append("\n")
    return text


def failed_text(what: str, error: BaseException, backend: str) -> Text:
    from ..errors import describe

    failure = describe(error, action=what, backend=backend)
    said = as_text(failure.said, "dim", limit=LIMIT)
    return Text.assemble((f"{what}: ", "dim"), (failure.short, "bold red"), " ", said)


class ServerExtras(ReportsFailures, Vertical):
    DEFAULT_CSS = """
    ServerExtras { height: auto; margin-bottom: 1; }
    ServerExtras Sparkline { height: 2; }
    """

    def __init__(self, server: Server, adapter: Adapter, **kwargs: Any) -> None:
        """Shows `server` once mounted."""
        super().__init__(**kwargs)
        self._kept: dict[Hashable, tuple[float, Any, Any]] = {}
        self.shown: Hashable | None = None
        self._first = (server, adapter)

    def on_mount(self) -> None:
        self.show(*self._first)

    def show(self, server: Server, adapter: Adapter) -> None:
        from hostdeck.backends.contract import Capability

        metrics = Capability.METRICS in adapter.capabilities
        attachments = Capability.ATTACHMENTS in adapter.capabilities
        self.display = metrics or attachments
        if not self.display or self.shown == server.key:
            return
        self.shown = server.key
        kept = self._kept.get(server.key)
        if kept is not None and time.monotonic() - kept[0] < KEEP:
            self.call_later(self._draw, server, kept[1], kept[2])
            return
        self.call_later(self._draw, server, "loading…" if metrics else None, "loading…" if attachments else None)
        self.run_worker(self._load(server, adapter, metrics, attachments), group="details-extras", exclusive=True,
                        exit_on_error=False, description=f"Read the metrics and attachments of {server.name}")

    async def _load(self, server: Server, adapter: Adapter, metrics: bool, attachments: bool) -> None:
        from hostdeck.backends.operations import MetricKind

        await asyncio.sleep(SETTLE)  # moving on to the next row cancels this worker before anything is asked
        asked = ([adapter.metrics(server.id, MetricKind.CPU, "24h")] if metrics else []) + \
                ([adapter.attachments(server.id)] if attachments else [])
        results = await asyncio.gather(*asked, return_exceptions=True)
        cpu = results.pop(0) if metrics else None
        attached = results.pop(0) if attachments else None
        for what, result in (("CPU metrics", cpu), ("attachments", attached)):
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                self.app.report_failure(result, action=f"Read the {what} of {server.name}", backend=server.backend)
        self._kept[server.key] = (time.monotonic(), cpu, attached)
        if self.shown == server.key:
            await self._draw(server, cpu, attached)

    async def _draw(self, server: Server, cpu: Any, attached: Any) -> None:
        await self.remove_children()
        widgets: list[Any] = []
        for title, found, drawn in (("CPU, last 24 h", cpu, self._cpu), ("Attached", attached, self._attached)):
            if found is None:
                continue  # the backend has no such data
            widgets.append(Static(Text(title, "bold")))
            if isinstance(found, str):
                widgets.append(Static(Text(found, "dim")))
            elif isinstance(found, BaseException):
                widgets.append(Static(failed_text(title.split(",")[0], found, server.backend)))
            else:
                widgets += drawn(found)
        await self.mount_all(widgets)

    @staticmethod
    def _cpu(metrics: Any) -> list[Any]:
        values: list[float] = next((s.values for s in metrics.series), [])
        unit = next((s.unit for s in metrics.series), "percent")
        line: list[Any] = [Static(Text(summary(values, unit), "dim"))]
        return line + ([Sparkline(values, summary_function=max)] if values else [])

    @staticmethod
    def _attached(attachments: Any) -> list[Any]:
        return [Static(attachments_text(attachments))]
