"""Helpers for the Convoy integration tests: a running simulator and an adapter pointed at it."""

from __future__ import annotations

from hostdeck.backends.config import BackendConfig
from hostdeck.backends.convoy import ConvoyAdapter
from hostdeck.backends.events import EventLog
from hostdeck.backends.http import RetryPolicy
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.sim.convoy import ConvoySim

TOKEN = "7|sentinelConvoyToken0123456789abcdefABCDE"        # Sanctum shape: "{id}|{40 chars}"
NON_ADMIN = "8|sentinelNonAdminToken0123456789abcdefABC"
SERVERS = 230
FAST = RetryPolicy(max_retries=4, base=0.01, factor=2.0, cap=0.1, rate_limit_budget=30.0)


def open_sim() -> ConvoySim:
    """The simulator the adapter's tests and the conformance suite run against: 230 servers, three pages."""
    return ConvoySim(servers=SERVERS, users=30, seed=3, token=TOKEN, non_admin_token=NON_ADMIN, install_seconds=0.1,
                     delete_seconds=0.1, retry_after=0)


def make_adapter(sim, *, token: str = TOKEN, read_only: bool = False, timeout: float = 10.0, store=None,
                 events: EventLog | None = None, url: str | None = None, **options) -> ConvoyAdapter:
    config = BackendConfig(name="cv", kind="convoy", url=url or sim.base_url, timeout=timeout,
                           options={"poll_seconds": 0.03, "install_wait_seconds": 5.0, "delete_wait_seconds": 5.0,
                                    **options})
    return ConvoyAdapter(config, secrets=Secrets(overlay={("cv", "token"): token}), events=events or EventLog(),
                         read_only=read_only, store=store, policy=FAST)
