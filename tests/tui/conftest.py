"""A running app over real simulators, for Pilot and snapshot tests."""

from __future__ import annotations

import pytest

from hostdeck.backends.config import BackendConfig
from hostdeck.backends.config import Config
from hostdeck.backends.config import GeneralConfig
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.sim.hetzner import HetznerSim
from hostdeck.backends.workspace import Workspace
from hostdeck.tui.app import HostdeckApp

TOKEN = "tui-test-token"


@pytest.fixture(autouse=True)
def _no_blinking(monkeypatch):
    from textual.widgets import Input

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture
def sims():
    started = []

    def start(**kw):
        sim = HetznerSim(**{"servers": 120, "seed": 21, "token": TOKEN, "action_seconds": 0.05, **kw})
        sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


def make_workspace(tmp_path, sims_by_name: dict, *, read_only: bool = False) -> Workspace:
    config = Config(path=None, general=GeneralConfig(read_only=read_only))
    for name, sim in sims_by_name.items():
        config.backends.append(BackendConfig(name=name, kind="hetzner", url=sim.base_url,
                                             options={"action_poll_seconds": 0.05, "default_location": "fsn1"}))
    secrets = Secrets(overlay={(name, "token"): TOKEN for name in sims_by_name})
    return Workspace(config, secrets, read_only=read_only, data_dir=tmp_path)


@pytest.fixture
def app_factory(tmp_path, sims):
    def factory(*, backends=("hz",), read_only=False, servers=120, initial_mode="servers", auto_refresh=False):
        started = {name: sims(servers=servers, seed=21 + i) for i, name in enumerate(backends)}
        ws = make_workspace(tmp_path, started, read_only=read_only)
        app = HostdeckApp(ws, demo=False, initial_mode=initial_mode, auto_refresh=auto_refresh)
        app.test_sims = started  # so a test can inject faults into one backend
        return app

    return factory


CONVOY_TOKEN = "1|tui-convoy-token-0123456789abcdefghijklmn"
PVE_SECRET = "tui-pve-secret"


@pytest.fixture
def convoy_app(tmp_path):
    """Hetzner, Convoy and the Proxmox cluster under Convoy, as the demo has them."""
    from hostdeck.backends.sim.cluster import Cluster
    from hostdeck.backends.sim.convoy import ConvoySim
    from hostdeck.backends.sim.proxmox import ProxmoxSim

    cluster = Cluster()
    hz = HetznerSim(servers=20, seed=21, token=TOKEN, action_seconds=0.05)
    cv = ConvoySim(servers=24, users=10, seed=5, token=CONVOY_TOKEN, cluster=cluster, install_seconds=0.05)
    pve = ProxmoxSim(cluster=cluster, seed=5, token_secret=PVE_SECRET, task_seconds=0.05)
    for sim in (hz, cv, pve):
        sim.start()
    config = Config(path=None, general=GeneralConfig())
    config.backends += [
        BackendConfig(name="hz", kind="hetzner", url=hz.base_url, options={"action_poll_seconds": 0.05}),
        BackendConfig(name="vps", kind="convoy", url=cv.base_url, options={"proxmox": "pve", "poll_seconds": 0.05}),
        BackendConfig(name="pve", kind="proxmox", url=pve.base_url,
                      options={"token_id": "hostdeck@pve!hostdeck", "task_poll_seconds": 0.05}),
    ]
    secrets = Secrets(overlay={("hz", "token"): TOKEN, ("vps", "token"): CONVOY_TOKEN, ("pve", "token_secret"): PVE_SECRET})

    def factory(initial_mode: str = "servers") -> HostdeckApp:
        app = HostdeckApp(Workspace(config, secrets, data_dir=tmp_path), initial_mode=initial_mode, auto_refresh=False)
        app.test_sims = {"hz": hz, "vps": cv, "pve": pve}
        return app

    yield factory
    for sim in (hz, cv, pve):
        sim.stop()


WHMCS_ID, WHMCS_SECRET = "tui-whmcs-identifier-0123", "tui-whmcs-secret-0123456"


@pytest.fixture
def sync_app(tmp_path):
    """WHMCS and Convoy (with its Proxmox cluster) and a [sync] table, as the demo has them."""
    from hostdeck.backends.sim.cluster import Cluster
    from hostdeck.backends.sim.convoy import ConvoySim
    from hostdeck.backends.sim.whmcs import WhmcsSim

    started = []

    def factory(*, clients: int = 40, latency_ms: float = 0.0, read_only: bool = False, concurrency: int = 8) -> HostdeckApp:
        whmcs = WhmcsSim(clients=clients, seed=6, identifier=WHMCS_ID, secret=WHMCS_SECRET, latency_ms=latency_ms)
        cv = ConvoySim(servers=4, users=6, seed=6, token=CONVOY_TOKEN, cluster=Cluster(), latency_ms=latency_ms)
        for sim in (whmcs, cv):
            sim.start()
            started.append(sim)
        config = Config(path=None, general=GeneralConfig(read_only=read_only))
        config.backends += [BackendConfig(name="billing", kind="whmcs", url=whmcs.base_url),
                            BackendConfig(name="vps", kind="convoy", url=cv.base_url, max_concurrency=8)]
        config.sync.billing, config.sync.panel, config.sync.concurrency = "billing", "vps", concurrency
        secrets = Secrets(overlay={("billing", "identifier"): WHMCS_ID, ("billing", "secret"): WHMCS_SECRET,
                                   ("billing", "accesskey"): "", ("vps", "token"): CONVOY_TOKEN})
        app = HostdeckApp(Workspace(config, secrets, read_only=read_only, data_dir=tmp_path), initial_mode="sync",
                          auto_refresh=False)
        app.test_sims = {"billing": whmcs, "vps": cv}
        return app

    yield factory
    for sim in started:
        sim.stop()


@pytest.fixture
def sites_app(tmp_path):
    """CloudPanel over SSH and Matomo, as the demo has them."""
    from hostdeck.backends.sim.cloudpanel import CloudPanelSim
    from hostdeck.backends.sim.matomo import MatomoSim

    panel = CloudPanelSim(cert_seconds=0.05)
    host, port = panel.start()
    matomo = MatomoSim(sites=3, token="tui-matomo-token-0123456789abcdef")
    matomo.start()
    config = Config(path=None, general=GeneralConfig())
    config.backends += [
        BackendConfig(name="web1", kind="cloudpanel", options={
            "host": host, "port": port, "key_file": str(panel.client_key_file), "host_key_fingerprint": panel.fingerprint,
            "connect_timeout": 5, "command_timeout": 5, "create_timeout": 5, "certificate_timeout": 5}),
        BackendConfig(name="stats", kind="matomo", url=matomo.base_url),
    ]
    secrets = Secrets(overlay={("web1", "key_passphrase"): "", ("stats", "token"): "tui-matomo-token-0123456789abcdef"})

    def factory() -> HostdeckApp:
        app = HostdeckApp(Workspace(config, secrets, data_dir=tmp_path), initial_mode="sites", auto_refresh=False)
        app.test_sims = {"web1": panel, "stats": matomo}
        return app

    yield factory
    panel.stop()
    matomo.stop()


@pytest.fixture
def billing_app(tmp_path):
    """Hetzner and Convoy servers billed in WHMCS (module actions act on them), and the VPS panel: issue 6's world."""
    from hostdeck.backends.demo import server_descriptors
    from hostdeck.backends.demo import wire_module_actions
    from hostdeck.backends.sim.cluster import Cluster
    from hostdeck.backends.sim.convoy import ConvoySim
    from hostdeck.backends.sim.vpspanel import VpsPanelSim
    from hostdeck.backends.sim.whmcs import WhmcsSim

    hz = HetznerSim(servers=30, seed=31, token=TOKEN, action_seconds=0.05)
    cv = ConvoySim(servers=10, users=6, seed=31, token=CONVOY_TOKEN, cluster=Cluster(), install_seconds=0.05)
    for sim in (hz, cv):
        sim.start()
    whmcs = WhmcsSim(clients=25, seed=31, identifier=WHMCS_ID, secret=WHMCS_SECRET, servers=server_descriptors(hz, cv))
    whmcs.start()
    wire_module_actions(whmcs, hz, cv)
    panel = VpsPanelSim(seed=31)
    panel.start()
    config = Config(path=None, general=GeneralConfig())
    emails = {str(u["id"]): c["email"] for u, c in zip(panel.users.values(), list(whmcs.clients.values())[:5])}
    config.backends += [
        BackendConfig(name="hz", kind="hetzner", url=hz.base_url, options={"action_poll_seconds": 0.05}),
        BackendConfig(name="vps", kind="convoy", url=cv.base_url, options={"poll_seconds": 0.05}),
        BackendConfig(name="billing", kind="whmcs", url=whmcs.base_url),
        BackendConfig(name="panel", kind="vpspanel", url=panel.base_url, options={"users": emails}),
    ]
    config.sync.billing, config.sync.panel = "billing", "vps"
    secrets = Secrets(overlay={("hz", "token"): TOKEN, ("vps", "token"): CONVOY_TOKEN, ("billing", "identifier"): WHMCS_ID,
                               ("billing", "secret"): WHMCS_SECRET, ("billing", "accesskey"): "",
                               ("panel", "api_key"): "demo-vpspanel-key-0123456789abcdefghijklmnop"})

    def factory(initial_mode: str = "sync") -> HostdeckApp:
        app = HostdeckApp(Workspace(config, secrets, data_dir=tmp_path), initial_mode=initial_mode, auto_refresh=False)
        app.test_sims = {"hz": hz, "vps": cv, "billing": whmcs, "panel": panel}
        return app

    yield factory
    for sim in (hz, cv, whmcs, panel):
        sim.stop()
