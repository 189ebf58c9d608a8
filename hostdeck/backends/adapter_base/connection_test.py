"""The connection-test template every adapter runs (`hostdeck test NAME`, the Connections screen).

The adapter's probe fills in the report; a failure becomes the report's error in the adapter's own words
(`Adapter.explain_failure`), with the latency of what was sent. Config and secret problems are reported as their
message: plain words, never a traceback. Anything else is a bug and is not hidden here.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..errors import BackendError
from ..errors import ConfigError
from ..errors import SecretError
from ..models import ConnectionReport

if TYPE_CHECKING:
    from ..contract import Adapter
    from ..http import HttpCore


class Stopwatch:
    """A connection test's latency: the round trip of the watched core's last request (see `round_trip_ms`)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.core: HttpCore | None = None

    def watch(self, core: HttpCore) -> HttpCore:
        """Time this core's requests from now on; a failure then reports a latency too."""
        core.last_round_trip_ms = None
        self.core = core
        return core

    def restart(self) -> None:
        self.started = time.perf_counter()

    def lap(self) -> float | None:
        from ..http import round_trip_ms

        return round_trip_ms(self.core, self.started)


async def run_connection_test(adapter: Adapter) -> ConnectionReport:
    report = ConnectionReport(backend=adapter.name, kind=adapter.kind, ok=False,
                              credential_source=adapter.credential_source())
    clock = Stopwatch()
    try:
        await adapter.probe_connection(report, clock)
    except BackendError as exc:
        if clock.core is not None:
            report.latency_ms = clock.lap()
        report.error = adapter.explain_failure(exc, report)
    except (ConfigError, SecretError) as exc:
        report.error = str(exc)
    return report
