"""Helpers for the Matomo integration tests: an adapter pointed at a running simulator, and raw API calls."""

from __future__ import annotations

from typing import Any

import httpx

from hostdeck.backends.config import BackendConfig
from hostdeck.backends.events import EventLog
from hostdeck.backends.http import RetryPolicy
from hostdeck.backends.matomo import MatomoAdapter
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.sim.matomo import MatomoSim

TOKEN = "sentinelMatomoToken0123456789abcdef42"
VIEW_TOKEN = "sentinelMatomoViewToken9876543210zyx"
FAST = RetryPolicy(max_retries=4, base=0.01, factor=2.0, cap=0.1, rate_limit_budget=30.0)


def open_big_sim() -> MatomoSim:
    """40 sites and a view token for sites 2 and 3, shared by a module's tests that change nothing."""
    sim = MatomoSim(sites=40, seed=3, token=TOKEN, retry_after=0)
    sim.add_token(VIEW_TOKEN, login="viewer", view_sites=(2, 3))
    return sim


def open_sim() -> MatomoSim:
    """8 sites, one simulator a test, for the tests that change something or count requests."""
    return MatomoSim(sites=8, seed=6, token=TOKEN, retry_after=0, brute_force_limit=4)


def make_adapter(sim, *, token: str = TOKEN, read_only: bool = False, timeout: float = 10.0,
                 events: EventLog | None = None, url: str | None = None, **options) -> MatomoAdapter:
    config = BackendConfig(name="mt", kind="matomo", url=url or sim.base_url, timeout=timeout,
                           options={"reconcile_spacing": 0.05, **options})
    return MatomoAdapter(config, secrets=Secrets(overlay={("mt", "token"): token}), events=events or EventLog(),
                         read_only=read_only, policy=FAST)


def call(sim, method: str, *, token: str | None = TOKEN, format: str | None = "json", query: dict[str, str] | None = None,
         **params: Any) -> httpx.Response:
    """One raw API call: `module=API`, the method and the token in the POST body; lists as urls[0], urls[1]."""
    form: dict[str, str] = {"module": "API", "method": method}
    if format is not None:
        form["format"] = format
    if token is not None:
        form["token_auth"] = token
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            form.update({f"{key}[{n}]": str(v) for n, v in enumerate(value)})
        else:
            form[key] = str(value)
    return httpx.post(sim.base_url + "/index.php", params=query, data=form, timeout=10)


def methods(sim) -> list[str]:
    """The API methods the simulator received, in order."""
    return [r["api_method"] for r in sim.request_log if r.get("api_method")]
