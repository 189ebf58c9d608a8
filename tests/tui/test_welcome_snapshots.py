"""Snapshots of the welcome screen and the add form (pytest-textual-snapshot), with a fixed config path."""

from __future__ import annotations

from .onboarding_app import app_without_config
from .settling import settle

SIZE = (120, 36)
CONFIG_FILE = "/home/ana/.config/hostdeck/config.toml"  # named on screen; nothing is written in these tests


def test_welcome_screen(snap_compare, tmp_path, monkeypatch):
    async def run_before(pilot):
        await settle(pilot.app, pilot)

    assert snap_compare(app_without_config(tmp_path, monkeypatch, config_file=CONFIG_FILE), terminal_size=SIZE,
                        run_before=run_before)


def test_add_form_masks_the_secret(snap_compare, tmp_path, monkeypatch, memory_keyring):
    async def run_before(pilot):
        await settle(pilot.app, pilot)
        await pilot.press("down", "down", "enter")  # Proxmox VE: a URL, a token id, a fingerprint and a secret
        await settle(pilot.app, pilot)
        pilot.app.screen.query_one("#option-url").value = "https://pve-1.example.com:8006"
        pilot.app.screen.query_one("#option-token_id").value = "hostdeck@pve!hostdeck"
        pilot.app.screen.query_one("#secret-token_secret").value = "not-shown-0123"
        await pilot.pause()

    assert snap_compare(app_without_config(tmp_path, monkeypatch, config_file=CONFIG_FILE), terminal_size=SIZE,
                        run_before=run_before)


async def open_the_hetzner_form(pilot) -> None:
    await settle(pilot.app, pilot)
    await pilot.press("enter")  # Hetzner Cloud
    await settle(pilot.app, pilot)


def test_add_form_without_a_keyring_offers_the_ways_out(snap_compare, tmp_path, monkeypatch, no_keyring):
    assert snap_compare(app_without_config(tmp_path, monkeypatch, config_file=CONFIG_FILE), terminal_size=SIZE,
                        run_before=open_the_hetzner_form)


def test_welcome_screen_at_80x24(snap_compare, tmp_path, monkeypatch):
    """The smallest terminal: the seven kinds and the --demo hint fit, VPS panel highlighted."""
    async def run_before(pilot):
        await settle(pilot.app, pilot)
        await pilot.press(*["down"] * 6)

    assert snap_compare(app_without_config(tmp_path, monkeypatch, config_file=CONFIG_FILE), terminal_size=(80, 24),
                        run_before=run_before)


def test_add_form_without_a_keyring_at_80x24(snap_compare, tmp_path, monkeypatch, no_keyring):
    """The smallest terminal: the first field, the start of the no-keyring answer and all three buttons."""
    assert snap_compare(app_without_config(tmp_path, monkeypatch, config_file=CONFIG_FILE), terminal_size=(80, 24),
                        run_before=open_the_hetzner_form)
