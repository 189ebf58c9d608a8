"""Helpers for the Hetzner integration tests: a running simulator and an adapter pointed at it."""

from __future__ import annotations

from hostdeck.backends.config import BackendConfig
from hostdeck.backends.events import EventLog
from hostdeck.backends.hetzner import HetznerAdapter
from hostdeck.backends.http import RetryPolicy
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.sim.hetzner import HetznerSim

TOKEN = "sentinel-token-0123456789abcdef"
READONLY_TOKEN = "sentinel-readonly-token-987654"
FAST = RetryPolicy(max_retries=4, base=0.01, factor=2.0, cap=0.1, rate_limit_budget=30.0)


def open_sim() -> HetznerSim:
    """The simulator the adapter's tests and the conformance suite run against: 260 servers, six pages."""
    return HetznerSim(servers=260, seed=3, token=TOKEN, readonly_token=READONLY_TOKEN, action_seconds=0.1)


def make_adapter(sim, *, token: str = TOKEN, read_only: bool = False, timeout: float = 10.0, store=None,
                 events: EventLog | None = None, url: str | None = None, **options) -> HetznerAdapter:
    config = BackendConfig(name="hz", kind="hetzner", url=url or sim.base_url, timeout=timeout,
                           options={"action_poll_seconds": 0.05, "shutdown_wait_seconds": 1.0, **options})
    return HetznerAdapter(config, secrets=Secrets(overlay={("hz", "token"): token}), events=events or EventLog(),
                          read_only=read_only, store=store, policy=FAST)


def plain_server(sim: HetznerSim, status: str = "running", **where) -> tuple[int, dict]:
    """A seeded server every day-2 operation accepts: unprotected, x86 in the EU (where every type is sold), of a type
    still sold with a disk smaller than the largest, and not a guest that ignores ACPI; `where`: more fields to match."""
    for sid, s in sorted(sim.servers.items()):
        if s["status"] == status and not s["name"].startswith("legacy") and not s["protection"]["delete"] \
                and not s["protection"]["rebuild"] and s["location"]["name"] in ("fsn1", "nbg1", "hel1") \
                and s["server_type"]["architecture"] == "x86" and not s["server_type"]["deprecated"] \
                and s["primary_disk_size"] < 320 and all(s.get(k) == v for k, v in where.items()):
            return sid, s
    raise AssertionError(f"the seed has no such {status} server")
