"""Helpers for the Proxmox integration tests: an adapter pointed at a running ProxmoxSim."""

from __future__ import annotations

from hostdeck.backends.config import BackendConfig
from hostdeck.backends.events import EventLog
from hostdeck.backends.http import RetryPolicy
from hostdeck.backends.proxmox import ProxmoxAdapter
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.sim.proxmox import ProxmoxSim

TOKEN_ID = "hostdeck@pve!hostdeck"
SECRET = "sentinel-pve-secret-7c1f9e2a-0b3d"
FAST = RetryPolicy(max_retries=4, base=0.01, factor=2.0, cap=0.1, rate_limit_budget=30.0)


def open_sim() -> ProxmoxSim:
    """The simulator the adapter's tests and the conformance suite run against: three nodes of 15 VMs."""
    return ProxmoxSim(vms_per_node=15, seed=5, token_id=TOKEN_ID, token_secret=SECRET, task_seconds=0.1)


def make_adapter(sim, *, secret: str = SECRET, read_only: bool = False, timeout: float = 10.0, url: str | None = None,
                 events: EventLog | None = None, policy: RetryPolicy | None = FAST, **options) -> ProxmoxAdapter:
    opts = {"token_id": TOKEN_ID, "task_poll_seconds": 0.03, "shutdown_timeout": 1, "reconcile_seconds": 1.0, **options}
    config = BackendConfig(name="pve", kind="proxmox", url=url or sim.base_url, timeout=timeout, options=opts)
    return ProxmoxAdapter(config, secrets=Secrets(overlay={("pve", "token_secret"): secret}), events=events or EventLog(),
                          read_only=read_only, policy=policy)
