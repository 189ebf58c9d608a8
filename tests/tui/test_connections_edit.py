"""Connections adds, edits and removes backends with the welcome screen's form: the config file (comments kept) and
the keyring change; a new or edited backend is loaded at once."""

from __future__ import annotations

import tomllib

from textual.widgets import Input

from hostdeck.backends.config import load_config
from hostdeck.tui.dialogs.add_backend import AddBackendDialog
from hostdeck.tui.dialogs.add_backend import KindDialog
from hostdeck.tui.dialogs.confirm import ConfirmDialog
from hostdeck.tui.screens.connections import ConnectionsScreen

from .conftest import TOKEN
from .onboarding_app import app_without_config
from .onboarding_app import fill
from .settling import settle

UNREACHABLE = "http://127.0.0.1:9"


def configured(tmp_path, monkeypatch, url: str):
    path = tmp_path / "config.toml"
    path.write_text(f'# ours\n[[backends]]\nname = "hz"\nkind = "hetzner"\nurl = "{url}"\n'
                    'default_location = "fsn1"  # Falkenstein\n')
    monkeypatch.setenv("HOSTDECK_CONFIG", str(path))
    app = app_without_config(tmp_path, monkeypatch, config=load_config(str(path)))
    app.initial_mode = "connections"
    return app, path


def said(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_edit_tests_with_the_stored_token_and_keeps_the_other_options(tmp_path, monkeypatch, sims,
                                                                            memory_keyring):
    sim = sims(servers=3)
    memory_keyring[("hostdeck", "hz:token")] = TOKEN
    app, path = configured(tmp_path, monkeypatch, UNREACHABLE)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ConnectionsScreen)
        await pilot.press("e")
        assert isinstance(app.screen, AddBackendDialog)
        assert app.screen.query_one("#name", Input).disabled
        assert app.screen.query_one("#option-url", Input).value == UNREACHABLE
        await fill(app, pilot, option_url=sim.base_url)  # the token field left empty: the stored one is used
        assert isinstance(app.screen, ConnectionsScreen)
        assert any(m.startswith("Saved hz to ") for m in said(app))
        assert app.workspace.adapter("hz").config.url == sim.base_url   # the running app uses the edit at once
    text = path.read_text()
    assert text.startswith("# ours\n") and 'default_location = "fsn1"  # Falkenstein' in text
    assert tomllib.loads(text)["backends"] == [{"name": "hz", "kind": "hetzner", "url": sim.base_url,
                                                "default_location": "fsn1"}]
    assert memory_keyring == {("hostdeck", "hz:token"): TOKEN}


async def test_remove_asks_for_the_name_then_deletes_the_table_and_the_secret(tmp_path, monkeypatch, memory_keyring):
    memory_keyring[("hostdeck", "hz:token")] = TOKEN
    app, path = configured(tmp_path, monkeypatch, UNREACHABLE)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")
        await settle(app, pilot)
        assert said(app).count("Cancelled: nothing was changed.") == 1  # one word, not two
        assert "hz" in path.read_text()
        await pilot.press("d")
        app.screen.query_one(Input).value = "hz"
        await pilot.click("#confirm")
        await settle(app, pilot)
        assert any(m.startswith("Removed hz from ") and "deleted token from the keyring" in m for m in said(app))
        assert "hz" not in app.workspace.adapters and app.screen.query_one("DataTable").row_count == 0
    assert tomllib.loads(path.read_text()) == {}
    assert memory_keyring == {}


async def test_add_starts_with_the_kind_and_escape_says_cancelled(tmp_path, monkeypatch, memory_keyring):
    app, _ = configured(tmp_path, monkeypatch, UNREACHABLE)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        assert isinstance(app.screen, KindDialog)
        await pilot.press("down", "down", "enter")
        assert isinstance(app.screen, AddBackendDialog) and app.screen.kind.kind == "proxmox"
        assert app.screen.query_one("#secret-token_secret", Input).password
        await pilot.press("escape")
        await settle(app, pilot)
        assert "Add Proxmox VE backend: cancelled, nothing was saved." in said(app)


async def test_on_an_empty_table_every_key_says_what_to_do(tmp_path, monkeypatch):
    app = app_without_config(tmp_path, monkeypatch)
    app.initial_mode = "connections"
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        assert "press a to add one" in str(app.screen.query_one("#connection-detail").render())
        for key, doing in (("t", "Test"), ("k", "Set credential"), ("e", "Edit"), ("d", "Remove")):
            await pilot.press(key)
            await pilot.pause()
            assert f"{doing}: no backend is configured yet. Press a to add one." in said(app)


async def test_a_backend_added_here_is_loaded_at_once(tmp_path, monkeypatch, sims, memory_keyring):
    first, second = sims(servers=3), sims(servers=4, seed=5)
    memory_keyring[("hostdeck", "hz:token")] = TOKEN
    app, path = configured(tmp_path, monkeypatch, first.base_url)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        assert isinstance(app.screen, KindDialog)
        await pilot.press("enter")
        assert isinstance(app.screen, AddBackendDialog) and app.screen.kind.kind == "hetzner"
        await fill(app, pilot, name="hz2", option_url=second.base_url, secret_token=TOKEN)
        assert isinstance(app.screen, ConnectionsScreen)
        assert any(m.startswith("Saved hz2 to ") and m.endswith("its servers are loading.") for m in said(app))
        assert set(app.workspace.adapters) == {"hz", "hz2"}
        table = app.screen.query_one("DataTable")
        assert [str(key.value) for key in table.rows] == ["hz", "hz2"]
        await pilot.press("1")
        await settle(app, pilot)
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        backends = {server.backend for server in app.servers_screen.servers.values()}
        assert backends == {"hz", "hz2"}
    assert memory_keyring[("hostdeck", "hz2:token")] == TOKEN


def test_removing_a_proxmox_that_a_panel_names_warns_about_the_panels_line():
    from types import SimpleNamespace

    from hostdeck.backends.config import BackendConfig
    from hostdeck.tui.screens.connections import _named_by

    backends = [BackendConfig(name="vps", kind="convoy", url="https://panel", options={"proxmox": "pve"}),
                BackendConfig(name="vps2", kind="convoy", url="https://panel2", options={"proxmox_nodes": {"n1": "pve"}}),
                BackendConfig(name="pve", kind="proxmox", url="https://pve:8006")]
    app = SimpleNamespace(workspace=SimpleNamespace(config=SimpleNamespace(backends=backends)))
    assert _named_by(app, "pve") == (" vps, vps2 name it as their Proxmox: remove that line from their table too, "
                                     "or the next start stops at it.")
    assert _named_by(app, "vps") == ""
