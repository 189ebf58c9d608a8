"""The adapters the conformance suite (test_conformance.py) runs against their simulators, and what differs between
them: the call that reads, the route its faults go on, the words of their errors, one write and how to count it.

Everything here goes through the adapters' public methods and the simulators' public knobs (faults, request_log);
a vendor quirk belongs in that adapter's own test file, not here.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import pytest

from hostdeck.backends.contract import PowerAction
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ProtocolError
from hostdeck.backends.errors import UnavailableError

from . import cv
from . import hz
from . import mt
from . import pve
from . import vp
from . import wh

Call = Callable[[Any, Any], Awaitable[Any]]          # (adapter, sim) -> awaitable
Fault = dict[str, Any]
ErrorCase = tuple[Fault, type[BackendError], str]


@dataclass(frozen=True)
class Probe:
    """A read with faults on `route`: `call` returns what `complete` checks is the whole answer."""

    route: str
    call: Call
    complete: Callable[[Any, Any], bool]


@dataclass(frozen=True)
class Write:
    """One mutation, the route its faults go on, and how many times the simulator received it."""

    route: str
    call: Call
    sent: Callable[[Any], int]


@dataclass(frozen=True)
class Subject:
    name: str
    open_sim: Callable[[], AbstractContextManager[Any]]
    make: Callable[..., Any]
    secret: str
    reads: tuple[Probe, ...]             # transient faults on each still give the whole answer
    failing: Probe                        # persistent faults on this one are typed errors
    transient: tuple[Fault, ...]
    persistent: tuple[ErrorCase, ...]
    timeout: tuple[float, float, int]     # the adapter's timeout, the hang, how many requests hang
    write: Write
    refused_path: str = ""
    bad_login: dict[str, str] = field(default_factory=dict)
    fix_words: tuple[str, ...] = ()       # what the auth error tells the person to run
    shows_echo: bool = False              # the error message quotes the server's (scrubbed) text
    shared_sim: bool = False              # reads only: one simulator for the module, its faults cleared
    open_fresh: Callable[[], AbstractContextManager[Any]] | None = None   # a smaller one for the other tests


def rate_limited(**extra: Any) -> Fault:
    return dict(kind="status", status=429, count=2, **extra)


def flaky(probability: float) -> Fault:
    return dict(kind="status", status=503, probability=probability)


GATEWAY_HICCUPS: tuple[Fault, ...] = (
    dict(kind="status", status=502, count=2),
    dict(kind="status", status=503, count=2),
    dict(kind="status", status=504, count=2),
    dict(kind="html", status=502, count=2),
    dict(kind="reset", count=2),
)
EMPTY: ErrorCase = (dict(kind="empty", count=1), ProtocolError, "empty")


def persistent(busy: str, server_error: ErrorCase, *extra: ErrorCase) -> tuple[ErrorCase, ...]:
    """The persistent faults every adapter turns into one typed error; `busy` is the 503's words."""
    return (
        (dict(kind="status", status=503, count=50), UnavailableError, busy),
        server_error,
        (dict(kind="malformed", count=1), ProtocolError, "not valid JSON"),
        (dict(kind="content_type", count=1), ProtocolError, "not JSON"),
        (dict(kind="html", status=502, count=50), UnavailableError, "error page"),
        (dict(kind="reset", count=50), UnavailableError, "closed"),
        *extra,
    )


def server_error(words: str) -> ErrorCase:
    return (dict(kind="status", status=500, count=1), UnavailableError, words)


def counted(*methods: str, path_end: str = "") -> Callable[[Any], int]:
    """How many requests with one of `methods` whose path ends with `path_end` the simulator received."""
    return lambda sim: sum(1 for r in sim.request_log if r["method"] in methods and r["path"].endswith(path_end))


def length(expected: int) -> Callable[[Any, Any], bool]:
    return lambda sim, answer: len(answer) == expected


# Hetzner Cloud ----------------------------------------------------------------------------------------------------
def running(servers: dict[Any, Any], is_running: Callable[[Any], bool]) -> str:
    return str(next(sid for sid, s in sorted(servers.items()) if is_running(s)))


async def hetzner_power_off(adapter: Any, sim: Any) -> Any:
    sid = running(sim.servers, lambda s: s["status"] == "running" and not s["name"].startswith("legacy"))
    return await adapter.power(sid, PowerAction.OFF)


HETZNER_SERVERS = Probe("GET /servers", lambda a, sim: a.list_servers(), length(260))
HETZNER = Subject(
    name="hetzner", open_sim=hz.open_sim, make=hz.make_adapter, secret=hz.TOKEN,
    reads=(HETZNER_SERVERS,), failing=HETZNER_SERVERS,
    transient=(rate_limited(code="rate_limit_exceeded"), *GATEWAY_HICCUPS, flaky(0.2)),
    persistent=persistent("try again", server_error("server error")),
    timeout=(0.5, 3.0, 10), refused_path="/v1", bad_login=dict(token="wrong-token"),
    fix_words=("hostdeck secret set hz token",),
    write=Write("POST /servers/*/actions/poweroff", hetzner_power_off, counted("POST", path_end="/poweroff")),
)


# Convoy -------------------------------------------------------------------------------------------------------------
async def convoy_suspend(adapter: Any, sim: Any) -> Any:
    server = next(s for s in sim.servers.values() if s["status"] is None)
    return await adapter.suspend(server["uuid_short"])


CONVOY_LIST = Probe("GET /servers", lambda a, sim: a.list_servers(), length(cv.SERVERS))
CONVOY = Subject(
    name="convoy", open_sim=cv.open_sim, make=cv.make_adapter, secret=cv.TOKEN,
    reads=(CONVOY_LIST,), failing=CONVOY_LIST,
    transient=(rate_limited(), *GATEWAY_HICCUPS, flaky(0.2)),
    persistent=persistent("try again", server_error("server error"), EMPTY,
                          (dict(kind="html", status=200, count=1), ProtocolError, "text/html")),
    timeout=(0.3, 2.0, 10), refused_path="/api/application", bad_login=dict(token="9|" + "z" * 40),
    fix_words=("hostdeck secret set cv token",),
    write=Write("POST /servers/*/settings/suspend", convoy_suspend, counted("POST", path_end="/suspend")),
)


# Proxmox VE -------------------------------------------------------------------------------------------------------
async def proxmox_stop(adapter: Any, sim: Any) -> Any:
    node, vmid = next(key for key, vm in sorted(sim.cluster.vms.items()) if vm.status == "running" and not vm.lock)
    return await adapter.power(f"{node}/{vmid}", PowerAction.OFF)


PROXMOX_LIST = Probe("GET /nodes/*/qemu", lambda a, sim: a.list_servers(), length(45))
PROXMOX = Subject(
    name="proxmox", open_sim=pve.open_sim, make=pve.make_adapter, secret=pve.SECRET,
    reads=(PROXMOX_LIST,), failing=Probe("GET /nodes/pve-fsn-2/qemu", PROXMOX_LIST.call, PROXMOX_LIST.complete),
    transient=(dict(kind="status", status=500, message="unexpected proxy error", count=2), *GATEWAY_HICCUPS,
               dict(kind="status", status=595, count=2), flaky(0.3)),
    persistent=persistent("try again", (dict(kind="status", status=500, message="got unexpected trouble", count=50),
                                        UnavailableError, "got unexpected trouble"), EMPTY),
    timeout=(0.3, 2.0, 50), bad_login=dict(secret="wrong"), fix_words=("hostdeck secret set pve token_secret",),
    write=Write("POST /nodes/*/qemu/*/status/stop", proxmox_stop, counted("POST", path_end="/status/stop")),
)


# WHMCS --------------------------------------------------------------------------------------------------------------
def whmcs_actions(name: str) -> Callable[[Any], int]:
    return lambda sim: wh.actions(sim).count(name)


async def whmcs_suspend(adapter: Any, sim: Any) -> Any:
    sid = next(sid for sid, row in sim.services.items()
               if row["status"] == "Active" and sim.products[int(row["pid"])]["module"])
    return await adapter.module_suspend(str(sid))


WHMCS_CLIENTS = Probe("GetClients", lambda a, sim: a.get_clients(), length(1043))
WHMCS = Subject(
    name="whmcs", make=wh.make_adapter, secret=wh.SECRET,
    open_sim=wh.open_big_sim, shared_sim=True, open_fresh=wh.open_sim,
    reads=(WHMCS_CLIENTS,), failing=WHMCS_CLIENTS,
    transient=(rate_limited(), *GATEWAY_HICCUPS, dict(kind="reset_mid", count=2), flaky(0.2)),
    persistent=persistent("error page", server_error("error page"), EMPTY,
                          (dict(kind="status", status=200, code="no_result", count=1), ProtocolError, "no 'result'")),
    timeout=(0.2, 1.0, 10), bad_login=dict(identifier="wrong-identifier"),
    fix_words=("hostdeck secret set wh identifier", "hostdeck secret set wh secret"),
    write=Write("ModuleSuspend", whmcs_suspend, whmcs_actions("ModuleSuspend")),
)


# Matomo ---------------------------------------------------------------------------------------------------------------
def matomo_methods(name: str) -> Callable[[Any], int]:
    return lambda sim: mt.methods(sim).count(name)


MAINTENANCE = "Matomo is under maintenance"
MATOMO = Subject(
    name="matomo", make=mt.make_adapter, secret=mt.TOKEN,
    open_sim=mt.open_big_sim, shared_sim=True, open_fresh=mt.open_sim,
    reads=(Probe("SitesManager.getSitesIdFromSiteUrl", lambda a, sim: a.find_sites_by_url(sim.site_urls[9][0]),
                 lambda sim, ids: ids == [9]),
           Probe("SitesManager.getSiteFromId", lambda a, sim: a.site(9), lambda sim, site: site.id == 9)),
    failing=Probe("API.getMatomoVersion", lambda a, sim: a.version(), lambda sim, version: bool(version)),
    transient=(rate_limited(), *GATEWAY_HICCUPS, dict(kind="status", status=503, message=MAINTENANCE, count=2),
               dict(kind="reset_mid", count=2), flaky(0.2)),
    persistent=persistent("error page", server_error("error page"), EMPTY,
                          (dict(kind="status", status=503, message=MAINTENANCE, count=50), UnavailableError,
                           "maintenance"),
                          (dict(kind="status", status=200, code="no_value", count=1), ProtocolError, "no 'value'")),
    timeout=(0.2, 0.6, 10),
    write=Write("SitesManager.addSite", lambda a, sim: a.add_site("conformance", ["https://conformance.example"]),
                matomo_methods("SitesManager.addSite")),
)


# VPS panel ------------------------------------------------------------------------------------------------------------
async def vpspanel_updates(adapter: Any, sim: Any) -> bool:
    states = [(await adapter.update_vps(vps_id, status="running")).status for vps_id in (1001, 1002, 1003, 1004)]
    return states == ["running"] * 4 and await adapter.delete_vps(1005) is True and (await adapter.test_connection()).ok


VPSPANEL = Subject(
    name="vpspanel", open_sim=vp.open_sim, make=vp.make_adapter, secret=vp.KEY,
    reads=(Probe("POST /api/vps/sync", vpspanel_updates, lambda sim, ok: ok),),
    failing=Probe("POST /api/vps/sync", lambda a, sim: a.update_vps(1001, status="stopped"), lambda sim, r: True),
    transient=(rate_limited(), *GATEWAY_HICCUPS, flaky(0.2)),
    persistent=persistent("try again", server_error("server error"), EMPTY),
    timeout=(0.2, 0.6, 10), bad_login=dict(key="another-key-that-is-long-enough-0123456789"),
    fix_words=("hostdeck secret set vp api_key",), shows_echo=True,
    write=Write("create", lambda a, sim: a.create_vps(vp.a_record()), lambda sim: len(vp.sync_posts(sim, "create"))),
)

SUBJECTS: tuple[Subject, ...] = (HETZNER, CONVOY, PROXMOX, WHMCS, MATOMO, VPSPANEL)


def cases(pick: Callable[[Subject], tuple[Any, ...]]) -> list[Any]:
    """(subject, item) for each subject's items, with readable ids: the suite's parametrisation."""
    return [pytest.param(subject, item, id=f"{subject.name}-{n}") for subject in SUBJECTS
            for n, item in enumerate(pick(subject))]


def by_name(names: Iterator[str] | tuple[str, ...]) -> list[Any]:
    wanted = set(names)
    return [pytest.param(s, id=s.name) for s in SUBJECTS if s.name in wanted]
