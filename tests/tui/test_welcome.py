"""The first start without a config: the welcome screen names the config path and the seven kinds, and its add form
tests the connection before it saves (the Hetzner simulator over a real socket, an in-memory keyring)."""

from __future__ import annotations

import stat
import tomllib

from textual.widgets import Input
from textual.widgets import OptionList

from hostdeck.backends.kinds import KINDS
from hostdeck.backends.registry import adapter_class
from hostdeck.tui.dialogs.add_backend import AddBackendDialog
from hostdeck.tui.screens.servers.screen import ServersScreen
from hostdeck.tui.screens.welcome import WelcomeScreen

from .conftest import TOKEN
from .onboarding_app import app_without_config
from .onboarding_app import fill
from .settling import settle


def said(app) -> list[str]:
    return [n.message for n in app._notifications]


def status(app) -> str:
    return str(app.screen.query_one("#add-status").render())


def test_each_kind_asks_for_the_secrets_its_adapter_reads():
    for kind in KINDS:
        assert tuple(s.key for s in kind.secrets) == adapter_class(kind.kind).secret_fields, kind.kind


async def test_first_start_without_a_config_opens_the_welcome_screen(tmp_path, monkeypatch):
    app = app_without_config(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert str(tmp_path / "config.toml") in str(app.screen.query_one("#welcome-config").render())
        kinds = app.screen.query_one(OptionList)
        assert [kinds.get_option_at_index(i).id for i in range(kinds.option_count)] == [k.kind for k in KINDS]
        assert "--demo" in str(app.screen.query_one("#welcome-demo").render())


async def test_adding_hetzner_saves_the_config_and_the_keyring_after_a_good_test(tmp_path, monkeypatch, sims,
                                                                                  memory_keyring):
    sim = sims(servers=3)
    app = app_without_config(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # Hetzner Cloud, the first kind
        assert isinstance(app.screen, AddBackendDialog)
        assert app.screen.query_one("#secret-token", Input).password
        await fill(app, pilot, option_url=sim.base_url, secret_token=TOKEN)
        assert not isinstance(app.screen, AddBackendDialog), status(app)
        assert any(m.startswith("Saved hz to ") and m.endswith("its servers are loading.") for m in said(app))
        await settle(app, pilot)
        assert isinstance(app.screen, ServersScreen)  # loaded without a restart
        assert sorted(s.name for s in app.screen.servers.values()) == sorted(s["name"] for s in sim.servers.values())
    config = tmp_path / "config.toml"
    text = config.read_text()
    assert TOKEN not in text
    assert tomllib.loads(text)["backends"] == [{"name": "hz", "kind": "hetzner", "url": sim.base_url}]
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert memory_keyring == {("hostdeck", "hz:token"): TOKEN}


async def test_a_rejected_token_saves_nothing_and_says_why(tmp_path, monkeypatch, sims, memory_keyring):
    sim = sims(servers=3)
    app = app_without_config(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await fill(app, pilot, option_url=sim.base_url, secret_token="WRONG-token")
        assert isinstance(app.screen, AddBackendDialog)  # open, to correct the token
        assert "connection test failed, so nothing was saved" in status(app)
    assert not (tmp_path / "config.toml").exists()
    assert memory_keyring == {}


async def test_without_a_keyring_the_form_names_the_ways_out_and_saves_nothing(tmp_path, monkeypatch, sims):
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    sim = sims(servers=3)
    app = app_without_config(tmp_path, monkeypatch)
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(app, pilot)
            await pilot.press("enter")
            await fill(app, pilot, option_url=sim.base_url, secret_token=TOKEN)
            assert isinstance(app.screen, AddBackendDialog)
            text = status(app)
    finally:
        keyring.set_keyring(previous)
    assert "No usable keyring" in text and "HOSTDECK_SECRET_HZ_TOKEN" in text and "Nothing was saved" in text
    assert "install and unlock a keyring backend" in text
    assert not (tmp_path / "config.toml").exists()


async def test_a_missing_required_field_is_said_and_escape_cancels_with_a_word(tmp_path, monkeypatch, memory_keyring):
    app = app_without_config(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "enter")  # ConvoyPanel: its URL has no default
        await fill(app, pilot, secret_token="1|token")
        assert "URL is needed" in status(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert "Add ConvoyPanel backend: cancelled, nothing was saved." in said(app)
    assert not (tmp_path / "config.toml").exists()
    assert memory_keyring == {}
