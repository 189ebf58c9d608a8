"""The credential guard at first contact: a wrong secret costs one rejected login in total, whoever runs.

WHMCS bans an address after three failed logins (shared/api/whmcs.md). Cron runs of the real command line (subprocesses
sharing one data dir, some started together), a TUI-like start in this process, and an explicit `hostdeck test` against
the WHMCS simulator, which bans like WHMCS does: the address must never be banned, and a corrected secret works at once.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hostdeck.backends.config import load_config
from hostdeck.backends.errors import AuthError
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.sim.hetzner import HetznerSim
from hostdeck.backends.sim.whmcs import WhmcsSim
from hostdeck.backends.store import Store
from hostdeck.backends.workspace import Workspace
from tests.support.cli import cli_env

from .wh import IDENTIFIER
from .wh import SECRET

ROOT = Path(__file__).resolve().parents[2]
HZ_TOKEN = "hz-sentinel-token-5c1d9e"
WRONG = "wrong-whmcs-secret-7a3f1b"


@pytest.fixture
def world(tmp_path):
    with WhmcsSim(clients=30, seed=3, identifier=IDENTIFIER, secret=SECRET) as wh, \
            HetznerSim(servers=12, seed=3, token=HZ_TOKEN) as hz:
        config = tmp_path / "config.toml"
        config.write_text(f'[sync]\nbilling = "wh"\n\n[[backends]]\nname = "hz"\nkind = "hetzner"\nurl = "{hz.base_url}"\n\n'
                          f'[[backends]]\nname = "wh"\nkind = "whmcs"\nurl = "{wh.base_url}"\n')
        data = tmp_path / "data"
        # an installed hostdeck: the store exists (several first runs at once racing to create it is another matter)
        Store(path=data / "hostdeck.db").close()
        env = cli_env(config=config, data=data, keyring_file=tmp_path / "keyring.json",
                      HOSTDECK_SECRET_HZ_TOKEN=HZ_TOKEN, HOSTDECK_SECRET_WH_IDENTIFIER=IDENTIFIER,
                      HOSTDECK_SECRET_WH_SECRET=WRONG, XDG_CONFIG_HOME=str(tmp_path / "xdg"))
        yield wh, hz, env, config, data


def start(env, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hostdeck.cli.main", *args], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def run(env, *args) -> tuple[int, str, str]:
    return finish(start(env, *args))


def whmcs_logins(wh) -> int:
    """Requests that reached WHMCS with credentials (every one the simulator logged)."""
    return sum(1 for r in wh.request_log if r.get("action"))


async def tui_like_start(config: Path, data: Path) -> list[BaseException | object]:
    """What the TUI does at start, in this process: the billing lists and the connection test, all at once."""
    overlay = {("wh", "identifier"): IDENTIFIER, ("wh", "secret"): WRONG, ("wh", "accesskey"): "",
               ("hz", "token"): HZ_TOKEN}
    ws = Workspace(load_config(config), Secrets(overlay=overlay), data_dir=data)
    wh = ws.adapter("wh")
    try:
        return await asyncio.gather(wh.get_clients(), wh.get_services(), wh.get_products(), wh.test_connection(),
                                    return_exceptions=True)
    finally:
        await ws.aclose()


def test_six_cron_runs_and_a_tui_start_cost_one_rejected_login_and_never_a_ban(world):
    wh, hz, env, config, data = world
    # three cron jobs that start in the same second, then three more one after another
    together = [start(env, "sync", "services", "--propose"), start(env, "sync", "services", "--propose"),
                start(env, "servers", "--json")]
    results = [finish(p) for p in together]
    results += [run(env, "sync", "services", "--propose"), run(env, "servers"), run(env, "test")]
    assert wh.rejected_logins == 1 and whmcs_logins(wh) == 1, wh.request_log
    for _code, _out, err in results:
        assert "Traceback" not in err
    assert [code != 0 for code, _, _ in results[:2]] == [True, True]   # each sync run says WHMCS failed
    assert results[2][0] == 0 and len(json.loads(results[2][1])) == 12  # the server list needs no WHMCS
    refused = results[3][2]
    assert results[3][0] != 0 and "credentials rejected at" in refused and "was not sent" in refused, refused
    assert "change HOSTDECK_SECRET_WH_IDENTIFIER / HOSTDECK_SECRET_WH_SECRET" in refused  # the env wins over the keyring
    assert "hostdeck test wh" in refused and WRONG not in refused
    code, out, err = results[4]
    assert code == 0 and "hz" in out                                  # Hetzner is not held up by WHMCS's rejection
    code, out, err = results[5]                                       # `hostdeck test` from cron: not explicit
    assert code == 1 and "credentials rejected at" in out

    outcome = asyncio.run(tui_like_start(config, data))
    assert all(isinstance(r, AuthError) for r in outcome[:3]), outcome
    assert not outcome[3].ok and outcome[3].error.startswith("credentials rejected at")
    assert wh.rejected_logins == 1 and whmcs_logins(wh) == 1

    code, out, err = run(env, "test", "wh", "--json")                # asked for by name: tried once more
    (report,) = json.loads(out)
    assert code == 1 and not report["ok"] and "Authentication Failed" in report["error"]
    assert wh.rejected_logins == 2 and whmcs_logins(wh) == 2 and not wh.banned

    # the rejection is kept as a keyed fingerprint, never the secret; the key is private
    rows = sqlite3.connect(data / "hostdeck.db").execute(
        "SELECT backend, fingerprint, message FROM credential_rejections").fetchall()
    assert [r[0] for r in rows] == ["wh"] and len(rows[0][1]) == 64 and int(rows[0][1], 16) >= 0
    assert WRONG.encode() not in (data / "hostdeck.db").read_bytes()
    key = data / "credential.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600

    fixed = dict(env, HOSTDECK_SECRET_WH_SECRET=SECRET)               # corrected: used on the next run
    code, out, err = run(fixed, "sync", "services", "--propose", "--json")
    assert code == 0, err
    assert json.loads(out)["errors"] == {} and whmcs_logins(wh) > 2          # WHMCS answered this time
    assert wh.rejected_logins == 2 and not wh.banned
    assert run(fixed, "test", "--json")[0] == 0


def test_a_success_of_an_explicit_test_clears_the_rejection_for_every_process(world):
    wh, hz, env, config, data = world
    wh.allowed_ips.clear()                                          # the API IP list is wrong, not the secret
    good = dict(env, HOSTDECK_SECRET_WH_SECRET=SECRET)
    code, out, err = run(good, "sync", "services", "--propose")
    assert code != 0 and "API IP Access Restriction" in err and whmcs_logins(wh) == 1
    assert run(good, "sync", "services", "--propose")[0] != 0 and whmcs_logins(wh) == 1   # not sent again
    wh.allowed_ips.add("127.0.0.1")                                  # mended on WHMCS's side
    code, out, err = run(good, "test", "wh", "--json")
    assert code == 0 and json.loads(out)[0]["ok"], out
    assert sqlite3.connect(data / "hostdeck.db").execute("SELECT count(*) FROM credential_rejections").fetchone() == (0,)
    assert run(good, "sync", "services", "--propose")[0] == 0


def test_a_ban_is_reported_with_its_fix_and_not_deepened(world):
    wh, hz, env, config, data = world
    wh.banned["127.0.0.1"] = float("inf")                           # banned before hostdeck ever ran (another tool)
    good = dict(env, HOSTDECK_SECRET_WH_SECRET=SECRET)
    code, out, err = run(good, "test", "--json")
    report = next(r for r in json.loads(out) if r["backend"] == "wh")
    assert not report["ok"] and "IP Banned" in report["error"] and "Banned IPs" in report["error"]
    assert run(good, "sync", "services", "--propose")[0] != 0 and whmcs_logins(wh) == 1


# the same guard for token backends, in-process ------------------------------------------------------------------------
def _hetzner():
    from . import hz

    return HetznerSim(servers=120, seed=4, token=hz.TOKEN), hz.make_adapter, hz.TOKEN, "hz", "token"


def _convoy():
    from hostdeck.backends.sim.convoy import ConvoySim

    from . import cv

    return ConvoySim(servers=80, seed=4, token=cv.TOKEN), cv.make_adapter, cv.TOKEN, "cv", "token"


@pytest.mark.parametrize("backend", [_hetzner, _convoy], ids=["hetzner", "convoy"])
async def test_a_rejected_token_is_sent_once_by_concurrent_work_and_never_by_another_process(backend, tmp_path,
                                                                                              monkeypatch):
    from hostdeck.backends.credentials_guard import StoredRejections
    from hostdeck.backends.secrets import env_name

    sim, make_adapter, token, name, field = backend()
    with sim:
        # two processes on one data dir: two adapters, each with its own view of the store
        tui, cron = make_adapter(sim, token="wrong-token-0000"), make_adapter(sim, token="wrong-token-0000")
        tui.rejections, cron.rejections = StoredRejections(tmp_path), StoredRejections(tmp_path)
        outcome = await asyncio.gather(tui.list_servers(), tui.list_servers(), tui.test_connection(),
                                       tui.get_server("x"), return_exceptions=True)
        assert len(sim.request_log) == 1                       # the first request went alone; the rest never left
        assert all(isinstance(r, AuthError) for r in outcome if not hasattr(r, "ok")), outcome
        assert sum("credentials rejected at" in str(r) for r in outcome if isinstance(r, AuthError)) >= 2
        with pytest.raises(AuthError, match="credentials rejected at .* was not sent") as err:
            await cron.list_servers()
        assert f"hostdeck secret set {name} {field}" in err.value.message and env_name(name, field) in err.value.message
        assert "wrong-token-0000" not in err.value.message and len(sim.request_log) == 1
        assert not (await cron.explicit_test()).ok and len(sim.request_log) == 2     # asked for: once more
        assert not (await cron.test_connection()).ok and len(sim.request_log) == 2   # and then not again
        monkeypatch.setenv(env_name(name, field), token)                             # corrected while running
        assert len(await tui.list_servers()) == len(sim.servers)
        assert (await cron.test_connection()).ok
        for adapter in (tui, cron):
            await adapter.aclose()


async def test_a_rejected_secret_from_the_environment_is_named_as_the_thing_to_change(tmp_path, monkeypatch):
    """The keyring fix changes nothing while HOSTDECK_SECRET_… overrides it: the messages name the variable, and the
    refusal does not repeat the backend's own 'Fix:'."""
    from hostdeck.backends.credentials_guard import StoredRejections
    from hostdeck.backends.secrets import env_name

    sim, make_adapter, _token, name, field = _hetzner()
    with sim:
        monkeypatch.setenv(env_name(name, field), "wrong-from-env-0000")
        first, second = make_adapter(sim, token="overridden"), make_adapter(sim, token="overridden")
        first.rejections, second.rejections = StoredRejections(tmp_path), StoredRejections(tmp_path)
        with pytest.raises(AuthError) as err:
            await first.list_servers()
        assert env_name(name, field) in err.value.message and env_name(name, field) in str(err.value)
        with pytest.raises(AuthError, match="credentials rejected at") as refused:
            await second.list_servers()
        assert f"change {env_name(name, field)}" in refused.value.message
        assert refused.value.message.count("Fix:") == 1 and "wrong-from-env-0000" not in refused.value.message
        for adapter in (first, second):
            await adapter.aclose()
