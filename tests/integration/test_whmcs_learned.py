"""What real WHMCS installations do that the docs do not say (shared/api/whmcs.md "Learned at first contact";
WHMCS/developer-docs getclients.md: `orderby` is new in 8.2), held against the simulator over loopback sockets."""

from __future__ import annotations

import asyncio

import pytest

from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.sim.whmcs import WhmcsSim

from .wh import IDENTIFIER
from .wh import SECRET
from .wh import call
from .wh import make_adapter


def reads(sim, action: str) -> list[dict]:
    return [r for r in sim.page_reads if r["action"] == action.lower()]


@pytest.mark.parametrize("version, forbidden", [("8.1.3", ()), ("7.10.2", ()), ("8.13.1", ("WhmcsDetails",))])
async def test_before_8_2_clients_are_paged_one_after_another_without_orderby(version, forbidden):
    """Also when the version cannot be read (WhmcsDetails not allowed in the API role): assume the oldest."""
    with WhmcsSim(clients=130, seed=4, identifier=IDENTIFIER, secret=SECRET, version=version,
                  forbidden_actions=forbidden) as sim:
        wh = make_adapter(sim, page_size=25)
        try:
            clients = await wh.get_clients()
        finally:
            await wh.aclose()
        assert sorted(int(c.id) for c in clients) == sorted(sim.clients)
        pages = reads(sim, "GetClients")
        assert len(pages) == 6 and all(p["orderby"] is None for p in pages)
        # each page was asked for only after the one before it had been answered
        assert [p["answered_before"] for p in pages] == list(range(6))


async def test_from_8_2_clients_are_ordered_by_id_and_read_concurrently():
    with WhmcsSim(clients=130, seed=4, identifier=IDENTIFIER, secret=SECRET, version="8.2.0") as sim:
        wh = make_adapter(sim, page_size=25)
        try:
            clients, _ = await asyncio.gather(wh.get_clients(), wh.get_clients())
        finally:
            await wh.aclose()
        assert sorted(int(c.id) for c in clients) == sorted(sim.clients)
        assert all(p["orderby"] == "id" for p in reads(sim, "GetClients"))
        assert len(reads(sim, "WhmcsDetails")) == 1          # the version is read once per adapter


def test_sim_ignores_orderby_before_8_2():
    with WhmcsSim(clients=40, seed=4, identifier=IDENTIFIER, secret=SECRET, version="8.1.0") as old, \
            WhmcsSim(clients=40, seed=4, identifier=IDENTIFIER, secret=SECRET, version="8.2.0") as new:
        old_ids = [c["id"] for c in call(old, "GetClients", orderby="id", limitnum=40).json()["clients"]["client"]]
        new_ids = [c["id"] for c in call(new, "GetClients", orderby="id", limitnum=40).json()["clients"]["client"]]
        assert [int(i) for i in new_ids] == sorted(int(i) for i in new_ids)
        assert old_ids != sorted(old_ids, key=int)          # by name: orderby was not read


def test_sim_sends_numbers_as_strings_and_empty_lists_as_empty_strings():
    with WhmcsSim(clients=12, seed=4, identifier=IDENTIFIER, secret=SECRET, string_numbers=True) as sim:
        body = call(sim, "GetClients", limitnum=2).json()
        assert body["totalresults"] == "12" and body["numreturned"] == "2" and body["startnumber"] == "0"
        assert all(isinstance(c["id"], str) for c in body["clients"]["client"])
        assert call(sim, "GetClients", search="nobody-has-this-name").json()["clients"] == ""
        assert call(sim, "GetActivityLog", description="no such words").json()["activity"] == ""
    with WhmcsSim(clients=12, identifier=IDENTIFIER, secret=SECRET, version="7.10.2") as old:
        assert old.string_numbers is True                    # older versions answer strings by default


async def test_adapter_reads_string_numbers_and_empty_strings():
    with WhmcsSim(clients=60, seed=5, identifier=IDENTIFIER, secret=SECRET, string_numbers=True) as sim:
        wh = make_adapter(sim, page_size=25)
        try:
            clients = await wh.get_clients()
            assert len(clients) == 60 and all(c.id.isdigit() for c in clients)
            assert await wh.get_clients(search="nobody-has-this-name") == []
            services = await wh.get_services()
            assert services and all(s.id.isdigit() for s in services)
            entries = await wh.get_activity_log(limit=None)
            assert len(entries) == len(sim.activity) and all(e.id > 0 for e in entries)
        finally:
            await wh.aclose()


def test_sim_activity_log_limitstart_is_a_page_index():
    with WhmcsSim(clients=30, seed=4, identifier=IDENTIFIER, secret=SECRET) as sim:
        newest_first = [e["id"] for e in reversed(sim.activity)]
        page = call(sim, "GetActivityLog", limitstart=2, limitnum=5).json()
        assert [int(e["id"]) for e in page["activity"]["entry"]] == newest_first[10:15]


async def test_adapter_reads_every_activity_page_by_index():
    with WhmcsSim(clients=70, seed=4, identifier=IDENTIFIER, secret=SECRET) as sim:
        assert len(sim.activity) > 60
        wh = make_adapter(sim, page_size=25)
        try:
            everything = await wh.get_activity_log(limit=None)
            newest = await wh.get_activity_log(limit=60)
        finally:
            await wh.aclose()
        assert sorted(e.id for e in everything) == sorted(e["id"] for e in sim.activity)
        assert len({e.id for e in newest}) == 60
        starts = [int(r["limitstart"]) for r in reads(sim, "GetActivityLog")]
        assert max(starts) < 10                               # page numbers, never row offsets like 25 or 50


async def test_user_not_found_from_a_module_is_a_panel_user_problem():
    with WhmcsSim(clients=20, seed=6, identifier=IDENTIFIER, secret=SECRET) as sim:
        sid = next(str(i) for i, s in sim.services.items()
                   if s["status"] == "Active" and sim.products[int(s["pid"])]["module"])
        sim.fail_next_module("User not found", action="ModuleChangePw")
        wh = make_adapter(sim)
        try:
            with pytest.raises(BackendError) as caught:
                await wh.module_change_password(sid, "Another-Pass-123!")
        finally:
            await wh.aclose()
        assert not isinstance(caught.value, NotFoundError)
        assert caught.value.code == "panel_user_not_found"
        assert "panel" in caught.value.message and "hostdeck sync clients" in caught.value.message
