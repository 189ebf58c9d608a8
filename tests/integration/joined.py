"""Helpers for the tests of Convoy joined to Proxmox: both simulators on one Cluster, and a workspace over them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hostdeck.backends.config import BackendConfig
from hostdeck.backends.config import Config
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.sim.cluster import Cluster
from hostdeck.backends.sim.convoy import ConvoySim
from hostdeck.backends.sim.proxmox import ProxmoxSim
from hostdeck.backends.workspace import Workspace

CONVOY_TOKEN = "1|join-test-token-0123456789abcdefghijklmnopq"
PVE_SECRET = "join-test-pve-secret"


@contextmanager
def joined_sims(*, servers: int, seed: int) -> Iterator[tuple[ConvoySim, ProxmoxSim]]:
    cluster = Cluster()
    with ConvoySim(servers=servers, users=10, seed=seed, token=CONVOY_TOKEN, cluster=cluster,
                   install_seconds=0.05) as cv, \
            ProxmoxSim(cluster=cluster, seed=seed, token_secret=PVE_SECRET, task_seconds=0.05) as pve:
        yield cv, pve


def workspace(cv: ConvoySim, pve: ProxmoxSim, *, read_only: bool = False, **convoy_options: object) -> Workspace:
    """Backends "vps" (Convoy, with these options, e.g. proxmox="pve") and "pve"."""
    config = Config(path=None)
    config.backends += [
        BackendConfig(name="vps", kind="convoy", url=cv.base_url, options={"poll_seconds": 0.05, **convoy_options}),
        BackendConfig(name="pve", kind="proxmox", url=pve.base_url,
                      options={"token_id": "hostdeck@pve!hostdeck", "task_poll_seconds": 0.05}),
    ]
    return Workspace(config, Secrets(overlay={("vps", "token"): CONVOY_TOKEN, ("pve", "token_secret"): PVE_SECRET}),
                     read_only=read_only)
