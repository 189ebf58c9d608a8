"""Transport limits over loopback: a total deadline per request, a response size cap, redaction by value, and the
connection test's latency as the network's round trip (issue 11)."""

from __future__ import annotations

import json
import time
import tracemalloc

import pytest

from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ProtocolError
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.sim.hetzner import HetznerSim
from hostdeck.backends.sim.whmcs import WhmcsSim
from tests.support.cli import cli_env
from tests.support.cli import run_cli

from . import hz
from . import wh


@pytest.fixture
def sim():
    with HetznerSim(servers=30, seed=7, token=hz.TOKEN) as s:
        yield s


def recorded(adapter) -> str:
    return json.dumps([e.as_dict() for e in adapter.events.recent()], default=str)


async def test_an_answer_that_trickles_ends_at_the_deadline_and_is_not_resent(sim):
    adapter = hz.make_adapter(sim, timeout=1.0)
    sim.faults.add("GET /servers", "trickle", delay=0.05, count=10)   # a page of 30 servers: minutes at this pace
    started = time.monotonic()
    with pytest.raises(UnavailableError) as err:
        await adapter.list_servers()
    assert err.value.code == "deadline" and "still arriving after 1 s" in err.value.message
    assert time.monotonic() - started < 10                               # far from the minutes the body would take
    assert [r["route"] for r in sim.request_log] == ["GET /servers"]     # slow is not lost: not sent again
    report = await adapter.test_connection()                             # other routes are unaffected
    assert report.ok
    await adapter.aclose()


async def test_silence_is_still_a_timeout_that_a_read_may_retry(sim):
    adapter = hz.make_adapter(sim, timeout=0.5)
    sim.faults.add("GET /servers", "hang", delay=2.0, count=1)
    assert len(await adapter.list_servers()) == 30                      # the second try answered
    assert [r["route"] for r in sim.request_log] == ["GET /servers"] * 2
    await adapter.aclose()


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
async def test_a_huge_answer_is_refused_at_the_cap_without_holding_it(sim, chunked):
    adapter = hz.make_adapter(sim, max_response_mb=4)
    sim.faults.add("GET /servers", "huge", size=1024 ** 3, chunked=chunked)   # 1 GiB
    tracemalloc.start()
    try:
        with pytest.raises(ProtocolError) as err:
            await adapter.list_servers()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.value.code == "response_too_large" and "larger than 4 MiB" in err.value.message
    assert "max_response_mb" in err.value.message and "backend hz" in err.value.message
    assert ("1024 MiB announced" in err.value.message) is (not chunked)
    assert peak < 64 * 1024 ** 2                                           # read up to the cap, never the gigabyte
    assert len(sim.request_log) == 1
    assert len(await adapter.list_servers()) == 30
    await adapter.aclose()


async def test_the_default_cap_is_64_mib_and_the_config_is_checked(sim):
    adapter = hz.make_adapter(sim)
    sim.faults.add("GET /servers", "huge", size=1024 ** 3)
    with pytest.raises(ProtocolError, match="larger than 64 MiB"):
        await adapter.list_servers()
    await adapter.aclose()
    from hostdeck.backends.errors import ConfigError

    with pytest.raises(ConfigError, match="max_response_mb"):
        _ = hz.make_adapter(sim, max_response_mb="lots").http


async def test_an_error_that_echoes_the_authorization_header_is_scrubbed_everywhere(sim, tmp_path):
    from hostdeck.backends.store import Store
    from hostdeck.backends.store import fast_events

    adapter = hz.make_adapter(sim)
    sim.faults.add("GET /servers", "echo_headers", status=400)
    with pytest.raises(BackendError) as err:
        await adapter.list_servers()
    assert "Authorization: Bearer ***" in err.value.message and hz.TOKEN not in err.value.message
    assert hz.TOKEN not in str(err.value.details) and hz.TOKEN not in recorded(adapter)
    assert "Authorization: Bearer ***" in recorded(adapter)              # the echo is kept, the secret is not
    db = tmp_path / "hostdeck.db"
    Store(path=db).close()
    assert fast_events.append_events(db, adapter.events.recent())
    assert hz.TOKEN.encode() not in db.read_bytes()
    await adapter.aclose()


async def test_whmcs_credentials_echoed_in_an_error_never_reach_an_exception_or_the_log():
    with WhmcsSim(clients=5, identifier=wh.IDENTIFIER, secret=wh.SECRET) as s:
        adapter = wh.make_adapter(s, access_key=wh.ACCESS_KEY)
        s.faults.add("GetClients", "echo_headers", status=400)
        with pytest.raises(BackendError) as err:
            await adapter.get_clients()
        shown = err.value.message + str(err.value.details) + recorded(adapter)
        for secret in (wh.IDENTIFIER, wh.SECRET, wh.ACCESS_KEY):
            assert secret not in shown
        await adapter.aclose()


async def test_any_event_recorded_after_the_secrets_are_known_is_scrubbed(sim):
    from hostdeck.backends.models import Event
    from hostdeck.backends.models import EventKind

    adapter = hz.make_adapter(sim)
    await adapter.test_connection()
    adapter.audit(f"a note that quotes the token {hz.TOKEN} by mistake", target="x",
                  detail={"deep": [f"Bearer {hz.TOKEN}"]})
    adapter.events.record(Event(backend="hz", kind=EventKind.API, message="m", path=f"/x?t={hz.TOKEN}"))
    assert hz.TOKEN not in recorded(adapter)
    await adapter.aclose()


def _latency_cases():
    from hostdeck.backends.sim.convoy import ConvoySim
    from hostdeck.backends.sim.matomo import MatomoSim
    from hostdeck.backends.sim.vpspanel import VpsPanelSim

    from . import cv
    from . import mt
    from . import vp

    yield HetznerSim(servers=5, seed=7, token=hz.TOKEN, latency_ms=50), hz.make_adapter
    yield WhmcsSim(clients=5, identifier=wh.IDENTIFIER, secret=wh.SECRET, latency_ms=50), wh.make_adapter
    yield ConvoySim(servers=5, users=5, seed=7, token=cv.TOKEN, latency_ms=50), cv.make_adapter
    yield MatomoSim(sites=3, seed=7, token=mt.TOKEN, latency_ms=50), mt.make_adapter
    yield VpsPanelSim(seed=7, api_key=vp.KEY, latency_ms=50), vp.make_adapter
    from hostdeck.backends.sim.proxmox import ProxmoxSim

    from . import pve

    yield ProxmoxSim(vms_per_node=1, seed=7, token_id=pve.TOKEN_ID, token_secret=pve.SECRET, latency_ms=50), \
        pve.make_adapter


async def test_connection_test_latency_is_the_round_trip_of_one_request():
    """The simulators answer 50 ms after each request: the reported latency is that round trip, not building clients.
    A behaviour bound (within 1.3x), not a timing of our code; the best of three fresh adapters, so that a loaded
    machine's hiccup is not taken for a client that counts its own set-up."""
    for sim, make_adapter in _latency_cases():
        with sim:
            seen = []
            for _ in range(3):
                adapter = make_adapter(sim)
                report = await adapter.test_connection()
                await adapter.aclose()
                assert report.ok, report.error
                assert report.latency_ms >= 50, (adapter.kind, report.latency_ms)
                seen.append(report.latency_ms)
                if report.latency_ms < 65:
                    break
            assert min(seen) < 65, (adapter.kind, seen)


def test_hostdeck_test_reports_the_round_trip_not_the_start_up(tmp_path):
    """`hostdeck test` in a fresh process (importing httpx, building clients: ~126 ms before) against simulators 50 ms
    away reports 50-65 ms (the best of three runs, for a loaded machine)."""
    with HetznerSim(servers=5, seed=7, token=hz.TOKEN, latency_ms=50) as s, \
            WhmcsSim(clients=5, identifier=wh.IDENTIFIER, secret=wh.SECRET, latency_ms=50) as w:
        config = tmp_path / "config.toml"
        config.write_text(f'[[backends]]\nname = "hz"\nkind = "hetzner"\nurl = "{s.base_url}"\n\n'
                          f'[[backends]]\nname = "wh"\nkind = "whmcs"\nurl = "{w.base_url}"\n')
        env = cli_env(config=config, data=tmp_path / "data", keyring_file=tmp_path / "keyring.json",
                      HOSTDECK_SECRET_HZ_TOKEN=hz.TOKEN, HOSTDECK_SECRET_WH_IDENTIFIER=wh.IDENTIFIER,
                      HOSTDECK_SECRET_WH_SECRET=wh.SECRET)
        best: dict[str, float] = {}
        for _ in range(3):
            proc = run_cli(env, "test", "--json", timeout=60)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            for report in json.loads(proc.stdout):
                assert report["latency_ms"] >= 50, report
                best[report["backend"]] = min(best.get(report["backend"], 1e9), report["latency_ms"])
            if max(best.values()) < 65:
                break
        assert set(best) == {"hz", "wh"} and max(best.values()) < 65, best


async def test_a_request_cut_off_mid_answer_leaves_no_stuck_connection_behind(sim):
    """A cancelled worker (Sync's cancel key) stops a request while its body arrives: the next requests of the same
    adapter must not wait on that half-read connection."""
    import asyncio

    adapter = hz.make_adapter(sim, timeout=3.0)
    await adapter.test_connection()                                      # one ready connection
    sim.faults.add("GET /servers", "trickle", delay=0.05, count=1)
    cut = asyncio.ensure_future(adapter.list_servers())
    for _ in range(200):                                                 # until the trickling answer has begun
        await asyncio.sleep(0.01)
        if any(r["route"] == "GET /servers" for r in sim.request_log):
            break
    await asyncio.sleep(0.1)
    cut.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cut
    started = time.monotonic()
    for _ in range(3):
        assert (await adapter.test_connection()).ok
    assert time.monotonic() - started < 2.5                              # not a wait for the stuck connection's pool
    await adapter.aclose()
