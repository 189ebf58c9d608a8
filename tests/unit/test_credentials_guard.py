"""The credential guard's rules: keyed fingerprints, one login at a time, refusals that name the fix, the store read
without SQLAlchemy."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest

from hostdeck.backends.credentials_guard import CredentialGuard
from hostdeck.backends.credentials_guard import Rejections
from hostdeck.backends.credentials_guard import StoredRejections
from hostdeck.backends.errors import AuthError
from hostdeck.backends.errors import UnavailableError

ROOT = Path(__file__).resolve().parents[2]


def test_fingerprints_are_keyed_with_a_private_local_key(tmp_path):
    old = os.umask(0)
    try:
        one = StoredRejections(tmp_path / "a")
        fp = one.fingerprint("wh", {"identifier": "id", "secret": "s3cret"})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a" / "credential.key").stat().st_mode) == 0o600
    assert len(fp) == 64 and fp != hashlib.sha256(b"s3cret").hexdigest()
    assert StoredRejections(tmp_path / "a").fingerprint("wh", {"secret": "s3cret", "identifier": "id"}) == fp
    assert StoredRejections(tmp_path / "b").fingerprint("wh", {"identifier": "id", "secret": "s3cret"}) != fp
    assert one.fingerprint("wh", {"identifier": "id", "secret": "other"}) != fp
    assert one.fingerprint("bill", {"identifier": "id", "secret": "s3cret"}) != fp
    assert one.fingerprint("wh", {"identifier": "id", "secret": "s3cret"}, identity="u@h") != fp


async def test_the_first_request_goes_alone_and_a_rejection_stops_the_rest():
    guard = CredentialGuard("hz", {"token": "t0ken-1"}, Rejections())
    sent = []

    async def send():
        sent.append(1)
        await asyncio.sleep(0.01)
        raise AuthError("rejected (401)", http_status=401)

    results = await asyncio.gather(*(guard.run(send, operation=f"page {n}") for n in range(8)), return_exceptions=True)
    assert len(sent) == 1 and all(isinstance(r, AuthError) for r in results)
    refusals = [r for r in results if r.code == "credential_rejected_before"]
    assert len(refusals) == 7 and "page 3 was not sent" in str(refusals[2])
    assert "hostdeck secret set hz token" in refusals[0].message and "HOSTDECK_SECRET_HZ_TOKEN" in refusals[0].message
    assert "hostdeck test hz" in refusals[0].message and "t0ken-1" not in refusals[0].message


async def test_once_authenticated_requests_fan_out_and_other_failures_are_not_rejections():
    guard = CredentialGuard("cv", {"token": "t0ken-2"}, Rejections())
    in_flight, most = 0, 0

    async def ok():
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return "ok"

    async def down():
        raise UnavailableError("connection refused", retryable=True)

    with pytest.raises(UnavailableError):
        await guard.run(down, operation="first")          # not an answer about the credentials
    assert not guard.accepted and guard.rejection is None
    assert await asyncio.gather(*(guard.run(ok, operation="x") for _ in range(6))) == ["ok"] * 6
    assert guard.accepted and most > 1                      # the first went alone, then the rest at once


async def test_an_explicit_try_is_allowed_once_and_success_clears_the_rejection():
    book = Rejections()
    first = CredentialGuard("wh", {"secret": "s-1"}, book)

    async def rejected():
        raise AuthError("Authentication Failed", http_status=200)

    async def fine():
        return "ok"

    with pytest.raises(AuthError):
        await first.run(rejected, operation="GetClients")
    later = CredentialGuard("wh", {"secret": "s-1"}, book)          # another process, the same book
    with pytest.raises(AuthError, match="credentials rejected at .*Authentication Failed"):
        await later.run(fine, operation="GetClients")
    later.allow_once()
    assert await later.run(fine, operation="WhmcsDetails") == "ok"  # mended on the server: tried once, worked
    assert book.find("wh", later.fingerprint) is None
    assert await CredentialGuard("wh", {"secret": "s-1"}, book).run(fine, operation="GetClients") == "ok"


async def test_a_judge_finds_a_rejection_in_a_success_answer():
    guard = CredentialGuard("mt", {"token": "t0ken-3"}, Rejections())

    async def body_says_no():
        return {"result": "error", "message": "Unable to authenticate with the provided token."}

    judge = lambda answer: AuthError("token rejected", http_status=200) if answer.get("result") == "error" else None  # noqa: E731
    with pytest.raises(AuthError, match="token rejected"):     # raised by the guard, like a 401
        await guard.run(body_says_no, operation="v", judge=judge)
    with pytest.raises(AuthError, match="credentials rejected at"):
        await guard.run(body_says_no, operation="v", judge=judge)


async def test_a_judged_rejection_of_a_secret_from_the_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv("HOSTDECK_SECRET_WH_SECRET", "wrong")
    guard = CredentialGuard("wh", {"identifier": "id", "secret": "wrong"}, Rejections())

    async def body_says_no():
        return {"result": "error", "message": "Authentication Failed"}

    judge = lambda answer: AuthError("WHMCS rejected the API credentials.", http_status=200)  # noqa: E731
    with pytest.raises(AuthError, match="comes from HOSTDECK_SECRET_WH_SECRET, which overrides the keyring"):
        await guard.run(body_says_no, operation="v", judge=judge)


def test_local_auth_errors_are_not_rejections():
    from hostdeck.backends.credentials_guard import is_rejection

    assert is_rejection(AuthError("401", http_status=401))
    assert is_rejection(AuthError("ssh refused", code="ssh_auth_failed"))
    assert not is_rejection(AuthError("key file encrypted, no passphrase", code="key_passphrase_missing"))
    assert not is_rejection(AuthError("unknown host key", code="unknown_host_key"))


def test_the_store_is_read_and_written_without_sqlalchemy(tmp_path):
    from hostdeck.backends.store import Store

    Store(path=tmp_path / "hostdeck.db").close()
    script = f"""
import sys, asyncio
from pathlib import Path
from hostdeck.backends.credentials_guard import CredentialGuard, StoredRejections
from hostdeck.backends.errors import AuthError
book = StoredRejections(Path({str(tmp_path)!r}))
guard = CredentialGuard("wh", {{"secret": "s-9"}}, book)
async def no():
    raise AuthError("Authentication Failed", http_status=200)
async def main():
    try:
        await guard.run(no, operation="GetClients")
    except AuthError:
        pass
    again = CredentialGuard("wh", {{"secret": "s-9"}}, StoredRejections(Path({str(tmp_path)!r})))
    try:
        await again.run(no, operation="GetClients")
    except AuthError as exc:
        assert exc.code == "credential_rejected_before", exc
asyncio.run(main())
assert "sqlalchemy" not in sys.modules, "sqlalchemy was imported"
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.strip() == "ok", proc.stderr
    import sqlite3

    rows = sqlite3.connect(tmp_path / "hostdeck.db").execute("SELECT backend, message FROM credential_rejections").fetchall()
    assert rows == [("wh", "Authentication Failed")]


def test_a_missing_store_is_created_when_a_rejection_must_be_kept(tmp_path):
    book = StoredRejections(tmp_path / "fresh")
    fp = book.fingerprint("hz", {"token": "t"})
    assert book.find("hz", fp) is None                     # no database yet: nothing rejected, nothing created
    assert not (tmp_path / "fresh" / "hostdeck.db").exists()
    from datetime import datetime

    from hostdeck.backends.credentials_guard import Rejection

    assert book.record("hz", fp, Rejection(datetime.now(UTC), "401"))
    assert StoredRejections(tmp_path / "fresh").find("hz", fp).message == "401"


def test_a_database_url_keeps_rejections_through_the_store(tmp_path):
    """A configured database (PostgreSQL for a team; a SQLite URL here) goes through the Store's engine."""
    from datetime import datetime

    from hostdeck.backends.credentials_guard import Rejection
    from hostdeck.backends.store import Store

    store = Store(f"sqlite:///{tmp_path / 'team.db'}")
    try:
        book = StoredRejections(tmp_path, database_url=store.url, store=lambda: store)
        fp = book.fingerprint("wh", {"secret": "s"})
        assert book.find("wh", fp) is None
        assert book.record("wh", fp, Rejection(datetime(2026, 12, 6, 20, 0, tzinfo=UTC), "Authentication Failed"))
        again = StoredRejections(tmp_path, database_url=store.url, store=lambda: store)
        found = again.find("wh", fp)
        assert found.message == "Authentication Failed" and found.rejected_at == datetime(2026, 12, 6, 20, 0,
                                                                                         tzinfo=UTC)
        assert book.record("wh", fp, Rejection(datetime.now(UTC), "again"))     # replaced, not duplicated
        again.clear("wh", fp)
        assert StoredRejections(tmp_path, database_url=store.url, store=lambda: store).find("wh", fp) is None
    finally:
        store.close()


def test_a_damaged_key_file_is_replaced_and_processes_agree_on_the_key(tmp_path):
    (tmp_path / "credential.key").write_text("not hex at all")
    fp = StoredRejections(tmp_path).fingerprint("hz", {"token": "t"})
    assert len(bytes.fromhex((tmp_path / "credential.key").read_text())) == 32
    assert StoredRejections(tmp_path).fingerprint("hz", {"token": "t"}) == fp
    assert [p.name for p in tmp_path.iterdir()] == ["credential.key"]      # nothing left aside
