"""Helpers for the VPS panel integration tests: an adapter pointed at a running simulator, and raw API calls."""

from __future__ import annotations

from typing import Any

import httpx

from hostdeck.backends.config import BackendConfig
from hostdeck.backends.events import EventLog
from hostdeck.backends.http import RetryPolicy
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.sim.vpspanel import VpsPanelSim
from hostdeck.backends.vpspanel import VpsPanelAdapter
from hostdeck.backends.vpspanel import VpsRecord

KEY = "sentinel-vpspanel-key-0123456789abcdefXYZ"   # 41 characters
FAST = RetryPolicy(max_retries=4, base=0.01, factor=2.0, cap=0.1, rate_limit_budget=30.0)


def open_sim() -> VpsPanelSim:
    # Retry-After 0: the adapter honours it (one test checks with 1 s), the fault matrix stays fast
    return VpsPanelSim(seed=4, api_key=KEY, retry_after=0)


def make_adapter(sim, *, key: str = KEY, read_only: bool = False, timeout: float = 10.0, events: EventLog | None = None,
                 url: str | None = None, **options) -> VpsPanelAdapter:
    config = BackendConfig(name="vp", kind="vpspanel", url=url or sim.base_url, timeout=timeout, options=options)
    return VpsPanelAdapter(config, secrets=Secrets(overlay={("vp", "api_key"): key}), events=events or EventLog(),
                           read_only=read_only, policy=FAST)


def sync(sim, body: Any, *, key: str | None = KEY, raw: bytes | None = None, method: str = "POST",
         headers: dict[str, str] | None = None) -> httpx.Response:
    """One raw request to /api/vps/sync."""
    sent = {"Accept": "application/json", **({"X-API-Key": key} if key is not None else {}), **(headers or {})}
    if raw is not None:
        return httpx.request(method, sim.base_url + "/api/vps/sync", content=raw,
                             headers={**sent, "Content-Type": "application/json"}, timeout=10)
    if method != "POST":
        return httpx.request(method, sim.base_url + "/api/vps/sync", headers=sent, timeout=10)
    return httpx.post(sim.base_url + "/api/vps/sync", json=body, headers=sent, timeout=10)


def listing(sim, token: str | None) -> httpx.Response:
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.get(sim.base_url + "/api/vps", headers=headers, timeout=10)


def a_record(user_id: int = 42, name: str = "vps-new.example.com", **over) -> VpsRecord:
    fields = dict(user_id=user_id, name=name, status="creating", cpu=2, ram_mb=2048, disk_gb=40, os="Ubuntu 22.04 LTS")
    fields.update(over)
    return VpsRecord(**fields)


def sync_posts(sim, action: str | None = None) -> list[dict]:
    return [r for r in sim.request_log if r["path"] == "/api/vps/sync" and (action is None or r.get("action") == action)]
