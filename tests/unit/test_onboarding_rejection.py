"""A connection test of a backend being added that is rejected: the advice fits a backend that was not saved (add it
again with the right secret), never `hostdeck secret set` for a name that is not in the config."""

from __future__ import annotations

from pathlib import Path

from hostdeck.backends.hetzner.errors import classify
from hostdeck.backends.onboarding import draft
from hostdeck.backends.onboarding import rejection
from hostdeck.backends.whmcs.errors import CREDENTIALS_FIX


def test_hetzner_401_becomes_add_it_again_with_the_token_and_where_it_is_made(tmp_path: Path) -> None:
    d = draft(tmp_path / "config.toml", "hz", "hetzner", {})
    error = classify(401, {"error": {"code": "unauthorized", "message": "unable to authenticate"}}, "test", "hz").message
    assert "hostdeck secret set hz token" in error
    text = rejection(d, error, "add it again")
    assert text == ("the API token was rejected (401). Fix: nothing was saved; add it again with the right API token "
                    "(project > Security > API tokens).")


def test_a_fix_that_says_where_to_create_the_secret_keeps_that_part(tmp_path: Path) -> None:
    d = draft(tmp_path / "config.toml", "billing", "whmcs", {"url": "https://billing.example.com"})
    error = f"WHMCS rejected the API credentials. Fix: {CREDENTIALS_FIX.replace('{backend}', 'billing')}."
    text = rejection(d, error, "run `hostdeck backend add billing ...` again")
    assert "secret set" not in text and "Manage API Credentials" in text
    assert text == ("WHMCS rejected the API credentials. Fix: create an API credential under System Settings > Manage "
                    "API Credentials; then, as nothing was saved, run `hostdeck backend add billing ...` again with the "
                    "right API identifier and API secret.")


def test_an_error_without_secret_advice_is_kept(tmp_path: Path) -> None:
    d = draft(tmp_path / "config.toml", "hz", "hetzner", {})
    assert rejection(d, "connection refused (127.0.0.1:9).", "add it again") == "connection refused (127.0.0.1:9)."
