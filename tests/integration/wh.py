"""Helpers for the WHMCS integration tests: an adapter pointed at a running simulator, and raw API calls."""

from __future__ import annotations

from typing import Any

import httpx

from hostdeck.backends.config import BackendConfig
from hostdeck.backends.events import EventLog
from hostdeck.backends.http import RetryPolicy
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.sim.whmcs import WhmcsSim
from hostdeck.backends.whmcs import WhmcsAdapter

IDENTIFIER = "sentinelIdentifier0123456789abcd"
SECRET = "sentinelSecret9876543210zyxwvuts"
ACCESS_KEY = "sentinel-Access.Key(42)"
FAST = RetryPolicy(max_retries=4, base=0.01, factor=2.0, cap=0.1, rate_limit_budget=30.0)


def open_big_sim() -> WhmcsSim:
    """1,043 clients, shared by a module's tests that change nothing (the adapter's and the conformance suite)."""
    return WhmcsSim(seed=3, identifier=IDENTIFIER, secret=SECRET, retry_after=0)


def open_sim() -> WhmcsSim:
    """80 clients, one simulator a test, for the tests that change something or count requests."""
    return WhmcsSim(clients=80, seed=6, identifier=IDENTIFIER, secret=SECRET, retry_after=0)


def make_adapter(sim, *, identifier: str = IDENTIFIER, secret: str = SECRET, access_key: str | None = None,
                 read_only: bool = False, timeout: float = 10.0, events: EventLog | None = None, url: str | None = None,
                 **options) -> WhmcsAdapter:
    config = BackendConfig(name="wh", kind="whmcs", url=url or sim.base_url, timeout=timeout,
                           options={"reconcile_spacing": 0.05, **options})
    overlay = {("wh", "identifier"): identifier, ("wh", "secret"): secret}
    # An explicit empty access key keeps the lookup off the OS keyring in tests.
    overlay[("wh", "accesskey")] = access_key or ""
    return WhmcsAdapter(config, secrets=Secrets(overlay=overlay), events=events or EventLog(), read_only=read_only,
                        policy=FAST)


def call(sim, action: str, *, identifier: str = IDENTIFIER, secret: str = SECRET, responsetype: str | None = "json",
         **params: Any) -> httpx.Response:
    form = {"action": action, "identifier": identifier, "secret": secret, **{k: str(v) for k, v in params.items()}}
    if responsetype is not None:
        form["responsetype"] = responsetype
    return httpx.post(sim.base_url + "/includes/api.php", data=form, timeout=10)


def actions(sim) -> list[str]:
    """The WHMCS actions the simulator received, in order."""
    return [r["action"] for r in sim.request_log if r.get("action")]
