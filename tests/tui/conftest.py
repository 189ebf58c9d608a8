"""A running app over real simulators, for Pilot and snapshot tests."""

from __future__ import annotations

import pytest

from backends.config import BackendConfig, Config, GeneralConfig
from backends.secrets import Secrets
from backends.sim.hetzner import HetznerSim
from backends.workspace import Workspace
from tui.app import HostdeckApp

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
