"""Proxmox `qemu/{vmid}/rrddata` points -> hostdeck Metrics.

PVE answers a fixed window per timeframe (70 points: hour at 60 s, day at 30 min, week at 3 h; pve-cluster's RRD
definitions), numbers as floats or numeric strings, and leaves a value out of a point (or the whole point empty but
for `time`) where the RRD holds no data. Such points are left out of the series, never drawn as zero.
Series names follow Hetzner's, so one view shows both: cpu, disk.0.bandwidth.read|write, network.0.bandwidth.in|out.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import ValidationError
from ..operations import PERIODS
from ..operations import MetricKind
from ..operations import Metrics
from ..operations import MetricSeries

TIMEFRAMES = {"1h": "hour", "24h": "day", "7d": "week"}
STEPS = {"hour": 60.0, "day": 1800.0, "week": 10800.0}
# kind -> ((series name, rrd key, unit, scale), ...)
SERIES: dict[MetricKind, tuple[tuple[str, str, str, float], ...]] = {
    MetricKind.CPU: (("cpu", "cpu", "percent", 100.0),),
    MetricKind.DISK: (("disk.0.bandwidth.read", "diskread", "bytes/s", 1.0),
                      ("disk.0.bandwidth.write", "diskwrite", "bytes/s", 1.0)),
    MetricKind.NETWORK: (("network.0.bandwidth.in", "netin", "bytes/s", 1.0),
                         ("network.0.bandwidth.out", "netout", "bytes/s", 1.0)),
}


def timeframe(period: str, *, backend: str | None = None) -> str:
    if period not in TIMEFRAMES:
        raise ValidationError(f"period {period!r} is not one of {', '.join(TIMEFRAMES)}.", backend=backend,
                              operation="metrics")
    return TIMEFRAMES[period]


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_rrddata(backend: str, server_id: str, kind: MetricKind, period: str, rows: list[Any]) -> Metrics:
    """The points of the last `period` (PVE's window is a little longer), oldest first."""
    frame = timeframe(period, backend=backend)
    points = sorted(((t, row) for row in rows if isinstance(row, dict) and (t := _number(row.get("time"))) is not None),
                    key=lambda p: p[0])
    start = points[-1][0] - PERIODS[period] if points else 0.0
    series = []
    for name, key, unit, scale in SERIES[kind]:
        values = tuple((t, v * scale) for t, row in points if t > start and (v := _number(row.get(key))) is not None)
        series.append(MetricSeries(name=name, unit=unit, points=values))
    times = [t for t, _ in points]
    gaps = [b - a for a, b in zip(times, times[1:]) if b > a]
    step = min(gaps) if gaps else STEPS[frame]
    return Metrics(backend=backend, server_id=server_id, kind=kind, period=period, step_seconds=step,
                   series=tuple(series))
