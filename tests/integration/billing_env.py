"""Hetzner, Convoy, WHMCS (billing those servers, module actions wired as in the demo) and VPS panel simulators, their
adapters and a store: the world the service links, the billing actions and the panel sync run in."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hostdeck.backends.demo import server_descriptors
from hostdeck.backends.demo import wire_module_actions
from hostdeck.backends.sim.cluster import Cluster
from hostdeck.backends.sim.convoy import ConvoySim
from hostdeck.backends.sim.hetzner import HetznerSim
from hostdeck.backends.sim.vpspanel import VpsPanelSim
from hostdeck.backends.sim.whmcs import WhmcsSim
from hostdeck.backends.store import Store
from hostdeck.backends.sync.billing_actions import BillingActions
from hostdeck.backends.sync.panel import PanelSync
from hostdeck.backends.sync.services import ServiceLinks

from . import cv
from . import hz
from . import vp
from . import wh


@dataclass
class World:
    hz: HetznerSim
    cv: ConvoySim
    whmcs: WhmcsSim
    panel: VpsPanelSim | None
    db: Path

    def __post_init__(self) -> None:
        self.store = Store(path=self.db)
        self.billing = wh.make_adapter(self.whmcs)
        self.servers = [hz.make_adapter(self.hz), cv.make_adapter(self.cv)]
        self.links = ServiceLinks(self.billing, self.servers, self.store)
        self.actions = BillingActions(self.billing, self.links)
        self.panel_adapter = vp.make_adapter(self.panel) if self.panel is not None else None

    def panel_sync(self, **kw: Any) -> PanelSync:
        return PanelSync(self.billing, self.servers, self.panel_adapter, self.store, self.links, **kw)

    async def aclose(self) -> None:
        for a in [self.billing, *self.servers, self.panel_adapter]:
            if a is not None:
                await a.aclose()
        self.store.close()

    # reaching into the simulators (under their locks) ---------------------------------
    def service(self, service_id: str) -> dict[str, Any]:
        return self.whmcs.services[int(service_id)]

    def set_service(self, service_id: str, *, status: str | None = None, **evidence: str | None) -> None:
        """Change a WHMCS service in the simulator: `status`, and any of server_id / ip / domain ("" clears it)."""
        with self.whmcs._lock:
            s = self.whmcs.services[int(service_id)]
            if status is not None:
                s["status"] = status
            if "ip" in evidence:
                s["dedicatedip"] = s["assignedips"] = evidence["ip"] or ""
            if "domain" in evidence:
                s["domain"] = evidence["domain"] or ""
            if "server_id" in evidence:
                for f in s["customfields"]["customfield"]:
                    if f["name"] == "server_id":
                        f["value"] = evidence["server_id"] or ""

    def hz_server(self, server_id: str) -> dict[str, Any]:
        return self.hz.servers[int(server_id)]

    def set_hz(self, server_id: str, *, status: str | None = None, label: str | None = None,
               plan: str | None = None) -> None:
        with self.hz._lock:
            s = self.hz.servers[int(server_id)]
            if status is not None:
                s["status"] = status
            if label is not None:
                s["labels"]["whmcs_service_id"] = label
            if plan is not None:
                s["server_type"] = self.hz._type[plan]
                s["primary_disk_size"] = int(s["server_type"]["disk"])
            self.hz._touch(s)

    def remove_hz(self, server_id: str) -> None:
        with self.hz._lock:
            self.hz._remove_server(self.hz.servers[int(server_id)])

    def billed(self, kind: str = "hetzner", status: str = "Active", server_status: str | None = "running", *,
               own_ip: bool = False) -> list[str]:
        """Seeded service ids billing an existing simulated server of `kind`, in `status` (and, for Hetzner, whose
        server is in `server_status`). `own_ip`: only those whose IP no server of another simulator has (the
        Hetzner and Convoy simulators hand out addresses from the same range)."""
        shared = self.shared_ips() if own_ip else set()
        out = []
        for sid, d in sorted(self.whmcs.service_servers.items()):
            if d["kind"] != kind or self.whmcs.services[sid]["status"] != status:
                continue
            if kind == "hetzner":
                server = self.hz.servers.get(int(d["id"]))
                if server is None or (server_status and server["status"] != server_status):
                    continue
            elif d["id"] not in self.cv.servers:
                continue
            if own_ip and (not d.get("ipv4") or d["ipv4"] in shared):
                continue
            out.append(str(sid))
        return out

    def shared_ips(self) -> set[str]:
        from hostdeck.backends.demo import server_descriptors

        seen: dict[str, set[str]] = {}
        for d in server_descriptors(self.hz, self.cv):
            if d.get("ipv4"):
                seen.setdefault(d["ipv4"], set()).add(d["kind"])
        return {ip for ip, kinds in seen.items() if len(kinds) > 1}

    def server_of(self, service_id: str) -> tuple[str, str]:
        d = self.whmcs.service_servers[int(service_id)]
        return ("hz" if d["kind"] == "hetzner" else "cv", str(d["id"]))


def open_world(stack: ExitStack, db: Path, *, seed: int = 5, hz_servers: int = 30, cv_servers: int = 8,
               clients: int = 25, panel_users: int | None = None, panel_latency_ms: float = 0.0,
               whmcs_version: str = "8.13.1") -> World:
    """Start the simulators (closed by `stack`). `panel_users`: give that many WHMCS clients who pay for servers a panel
    user with the same email (ids from 41); None starts no VPS panel."""
    hzs = stack.enter_context(HetznerSim(servers=hz_servers, seed=seed, token=hz.TOKEN, action_seconds=0.05))
    cvs = stack.enter_context(ConvoySim(servers=cv_servers, users=5, seed=seed, token=cv.TOKEN, cluster=Cluster(),
                                        install_seconds=0.05))
    # the Convoy adapter of the tests is named "cv"
    descriptors = [{**d, "backend": "cv"} if d["kind"] == "convoy" else d for d in server_descriptors(hzs, cvs)]
    whs = stack.enter_context(WhmcsSim(clients=clients, seed=seed, identifier=wh.IDENTIFIER, secret=wh.SECRET,
                                       servers=descriptors, version=whmcs_version))
    wire_module_actions(whs, hzs, cvs)
    panel = None
    if panel_users is not None:
        panel = stack.enter_context(VpsPanelSim(seed=seed, api_key=vp.KEY, vps=0, latency_ms=panel_latency_ms,
                                                users=panel_users_for(whs, panel_users)))
    return World(hzs, cvs, whs, panel, db)


def panel_users_for(whs: WhmcsSim, count: int) -> list[dict[str, Any]]:
    clients: list[int] = []
    for sid in sorted(whs.service_servers):
        cid = int(whs.services[sid]["clientid"])
        if cid not in clients:
            clients.append(cid)
    return [{"id": 41 + n, "email": whs.clients[cid]["email"], "name": whs.clients[cid]["firstname"]}
            for n, cid in enumerate(clients[:count])]


def users_option(panel: VpsPanelSim) -> dict[str, str]:
    """The panel backend's `users` option for these panel users: id -> email."""
    return {str(uid): u["email"] for uid, u in panel.users.items()}


@pytest.fixture
async def world(tmp_path: Path) -> Any:
    """The default world on a store in the test's folder, closed after the test."""
    with ExitStack() as stack:
        w = open_world(stack, tmp_path / "h.db")
        yield w
        await w.aclose()
