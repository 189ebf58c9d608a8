"""Network helpers shared by the integration tests: a port nobody listens on, and the refused-connection check
every adapter must pass."""

from __future__ import annotations

import socket
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

import pytest

from hostdeck.backends.errors import UnavailableError


def free_port() -> int:
    """A loopback port that was free a moment ago (and that nothing listens on afterwards)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def assert_connection_refused(adapter: Any, call: Callable[[], Awaitable[Any]]) -> None:
    """The call and the connection test both say "connection refused" in plain words; no traceback, no retry storm."""
    with pytest.raises(UnavailableError, match="connection refused"):
        await call()
    report = await adapter.test_connection()
    assert not report.ok and "connection refused" in report.error
    await adapter.aclose()
