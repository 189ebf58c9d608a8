"""The add form where the first hour goes wrong: no usable keyring (said at once, the secrets file only after its button),
and a CloudPanel host whose SSH host key hostdeck has never seen (shown with its fingerprint and trusted in a confirm
step before the test). Real simulators over real sockets."""

from __future__ import annotations

import stat
import tomllib

from textual.widgets import Button
from textual.widgets import Input

from hostdeck.backends.sim.cloudpanel import CloudPanelSim
from hostdeck.tui.dialogs.add_backend import AddBackendDialog
from hostdeck.tui.dialogs.confirm import ConfirmDialog
from hostdeck.tui.screens.servers.screen import ServersScreen

from .conftest import TOKEN
from .onboarding_app import app_without_config
from .onboarding_app import fill
from .settling import settle

CLOUDPANEL = 4  # its place in the welcome screen's list of kinds


def said(app) -> list[str]:
    return [n.message for n in app._notifications]


def status(app) -> str:
    return str(app.screen.query_one("#add-status").render())


async def test_without_a_keyring_the_form_says_so_at_once_and_the_file_is_used_only_when_chosen(
        tmp_path, monkeypatch, sims, no_keyring):
    sim = sims(servers=3)
    app = app_without_config(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # Hetzner Cloud
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, AddBackendDialog)
        text = status(app)
        assert "No usable keyring" in text and "HOSTDECK_SECRET_HZ_TOKEN" in text and "Use a secrets file" in text
        button = form.query_one("#file-store", Button)
        assert button.display
        await fill(app, pilot, option_url=sim.base_url, secret_token=TOKEN)  # not chosen yet: refused again
        assert app.screen is form and "No usable keyring" in status(app)
        assert not (tmp_path / "config.toml").exists() and not sim.request_log

        await pilot.click("#file-store")
        await pilot.pause()
        assert "secrets.toml" in status(app) and button.disabled
        await pilot.click("#save")
        await settle(app, pilot)
        assert app.screen is not form, status(app)
        assert any(m.startswith("Saved hz to ") and m.endswith("its servers are loading.") for m in said(app))
        await settle(app, pilot)
        assert isinstance(app.screen, ServersScreen)  # this session reads the secrets file it just chose
        assert sorted(s.name for s in app.screen.servers.values()) == sorted(s["name"] for s in sim.servers.values())
    config = tomllib.loads((tmp_path / "config.toml").read_text())
    assert config["general"] == {"secret_store": "file"} and TOKEN not in (tmp_path / "config.toml").read_text()
    secrets = tmp_path / "secrets.toml"
    assert tomllib.loads(secrets.read_text()) == {"hz": {"token": TOKEN}}
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600


async def _cloudpanel_form(app, pilot, panel: CloudPanelSim) -> AddBackendDialog:
    await settle(app, pilot)
    await pilot.press(*["down"] * CLOUDPANEL, "enter")
    await settle(app, pilot)
    form = app.screen
    assert isinstance(form, AddBackendDialog) and form.kind.kind == "cloudpanel"
    host, port = panel.address
    for ident, value in (("option-host", host), ("option-port", str(port)), ("option-key_file", panel.client_key_file)):
        form.query_one(f"#{ident}", Input).value = value
    await pilot.click("#save")
    for _ in range(100):  # the worker fetches the key, then waits for the answer: wait for the dialog, not the worker
        await pilot.pause(0.05)
        if isinstance(app.screen, ConfirmDialog):
            return form
    raise AssertionError(f"no host key confirmation; the form says: {status(app)}")


async def test_a_cloudpanel_host_key_is_shown_and_trusted_before_the_test(tmp_path, monkeypatch, memory_keyring):
    monkeypatch.setenv("HOSTDECK_DATA_DIR", str(tmp_path / "data"))  # its known_hosts: empty, the key is new
    with CloudPanelSim(cert_seconds=0.05) as panel:
        app = app_without_config(tmp_path, monkeypatch)
        async with app.run_test(size=(120, 40)) as pilot:
            await _cloudpanel_form(app, pilot, panel)
            shown = str(app.screen.query_one("#dialog-body").render())
            assert panel.fingerprint in shown and "ecdsa-sha2-nistp256" in shown
            assert not panel.commands  # nothing is run before the key is trusted
            assert app.screen.focused.id == "cancel"  # trusting is a choice, not the default
            await pilot.press("right", "enter")  # Trust
            await settle(app, pilot)
            assert not isinstance(app.screen, AddBackendDialog), status(app)
            assert any(m.startswith("Saved web1 to ") for m in said(app))
            assert panel.commands  # the test ran after the key was trusted
    table = tomllib.loads((tmp_path / "config.toml").read_text())["backends"][0]
    assert table["host_key_fingerprint"] == panel.fingerprint and table["kind"] == "cloudpanel"


async def test_a_host_key_not_trusted_saves_nothing_and_runs_nothing(tmp_path, monkeypatch, memory_keyring):
    monkeypatch.setenv("HOSTDECK_DATA_DIR", str(tmp_path / "data"))
    with CloudPanelSim(cert_seconds=0.05) as panel:
        app = app_without_config(tmp_path, monkeypatch)
        async with app.run_test(size=(120, 40)) as pilot:
            form = await _cloudpanel_form(app, pilot, panel)
            await pilot.press("escape")
            await settle(app, pilot)
            assert app.screen is form and "Cancelled" in " ".join(said(app))
            assert "Host key not trusted" in status(app)
            assert not panel.commands
    assert not (tmp_path / "config.toml").exists()


async def test_the_add_form_moves_between_its_buttons_with_the_arrows(tmp_path, monkeypatch, memory_keyring):
    app = app_without_config(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, AddBackendDialog) and isinstance(form.focused, Input)
        await pilot.press("left")  # in a field, left is the field's own
        assert isinstance(form.focused, Input)
        form.query_one("#cancel", Button).focus()
        await pilot.press("right")
        assert form.focused.id == "save"  # the hidden secrets-file button is skipped
        await pilot.press("right")
        assert form.focused.id == "cancel"
        await pilot.press("left")
        assert form.focused.id == "save"


async def test_connections_shows_the_file_as_the_source_and_remove_deletes_its_entries(tmp_path, monkeypatch, sims,
                                                                                       no_keyring):
    from hostdeck.backends.config import load_config
    from hostdeck.backends.secrets import secrets_for
    from hostdeck.backends.workspace import Workspace
    from hostdeck.tui.app import HostdeckApp

    sim = sims(servers=3)
    path = tmp_path / "config.toml"
    path.write_text(f'[general]\nsecret_store = "file"\n\n[[backends]]\nname = "hz"\nkind = "hetzner"\n'
                    f'url = "{sim.base_url}"\n')
    (tmp_path / "secrets.toml").write_text(f'[hz]\ntoken = "{TOKEN}"\n')
    monkeypatch.setenv("HOSTDECK_CONFIG", str(path))
    monkeypatch.delenv("HOSTDECK_SECRET_HZ_TOKEN", raising=False)
    config = load_config(str(path))
    app = HostdeckApp(Workspace(config, secrets_for(config), data_dir=tmp_path / "data"), initial_mode="connections",
                      auto_refresh=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#connections-table")
        assert str(table.get_row_at(0)[3]) == "file"
        assert f"file {tmp_path / 'secrets.toml'}" in str(app.screen.query_one("#connection-detail").render())
        await pilot.press("t")
        await settle(app, pilot)
        assert app.connection_reports["hz"].ok  # the token came from the file
        await pilot.press("d")
        await pilot.pause()
        app.screen.query_one("#confirm-text", Input).value = "hz"
        await pilot.click("#confirm")
        await settle(app, pilot)
        assert any(m.startswith("Removed hz") and "the secrets file" in m for m in said(app))
    assert tomllib.loads((tmp_path / "secrets.toml").read_text()) == {}


async def test_at_100x30_the_buttons_stay_on_screen_below_a_long_answer(tmp_path, monkeypatch, no_keyring):
    app = app_without_config(tmp_path, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "down", "enter")  # Proxmox VE: three options and a secret
        await settle(app, pilot)
        form = app.screen
        assert "No usable keyring" in status(app)
        assert form.focused.id == "name" and form.focused.region.height  # the first field stays in view to type in
        await fill(app, pilot, option_url="https://pve-1.example.com:8006", option_token_id="hostdeck@pve!hostdeck",
                   secret_token_secret="s3cret")
        assert app.screen is form and "No usable keyring" in status(app)
        for ident in ("#cancel", "#file-store", "#save", "#add-status"):
            region = form.query_one(ident).region
            assert region.height and region.bottom <= 30, (ident, region)
        shown = form.query_one("#add-fields").region
        assert form.query_one("#add-status").region.y >= shown.y  # the answer is scrolled into view


async def test_a_token_in_the_environment_needs_no_keyring_and_is_stored_nowhere(tmp_path, monkeypatch, sims,
                                                                                   no_keyring):
    sim = sims(servers=3)
    app = app_without_config(tmp_path, monkeypatch)
    monkeypatch.setenv("HOSTDECK_SECRET_HZ_TOKEN", TOKEN)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert "No usable keyring" not in status(app)
        await fill(app, pilot, option_url=sim.base_url)  # the token field left empty
        assert not isinstance(app.screen, AddBackendDialog), status(app)
        assert any(m.startswith("Saved hz to ") for m in said(app))
    assert TOKEN not in (tmp_path / "config.toml").read_text() and not (tmp_path / "secrets.toml").exists()
