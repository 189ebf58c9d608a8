"""A metric series as a person reads it: its name, a sparkline, min / avg / max in its unit."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline
from textual.widgets import Static

from hostdeck.backends.operations import MetricSeries

from ..safe_text import visible

SCALES = ((1e9, "G"), (1e6, "M"), (1e3, "k"))


def with_unit(value: float, unit: str) -> str:
    """12.3 %, 4.1 MB/s, 87 IOPS, 1.2 k pkt/s."""
    if unit == "percent":
        return f"{value:.1f} %"
    words = {"bytes/s": "B/s", "iops": "IOPS", "packets/s": "pkt/s"}.get(unit, visible(unit, limit=20))
    for scale, prefix in SCALES:
        if abs(value) >= scale:
            return f"{value / scale:.1f} {prefix}{words}"
    return f"{value:.1f} {words}" if value % 1 else f"{value:.0f} {words}"


def summary(values: Sequence[float], unit: str) -> str:
    if not values:
        return "no data in this period"
    return (f"min {with_unit(min(values), unit)} · avg {with_unit(sum(values) / len(values), unit)} · "
            f"max {with_unit(max(values), unit)}")


class MetricLine(Vertical):
    """One series: a title line with min/avg/max, the sparkline below it."""

    DEFAULT_CSS = """
    MetricLine { height: auto; margin-bottom: 1; }
    MetricLine Sparkline { height: 2; }
    """

    def __init__(self, series: MetricSeries, *, label: str | None = None) -> None:
        super().__init__(classes="metric-line")
        self.series = series
        self.label = label or series.name

    def compose(self) -> ComposeResult:
        values = self.series.values
        yield Static(Text.assemble((visible(self.label, limit=60), "bold"), "  ",
                                   (summary(values, self.series.unit), "dim")), classes="metric-title")
        if values:
            yield Sparkline(values, summary_function=max)
