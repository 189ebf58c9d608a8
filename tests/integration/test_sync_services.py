"""WHMCS services <-> servers against the simulators: proposals from each kind of evidence, ambiguity, accept one and
all confident, rejections remembered, manual link and unlink, the billing column, and drift of each kind."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.sync.services import ServiceLinks
from tests.support.cli import cli_env
from tests.support.cli import run_cli

from .billing_env import open_world  # noqa: F401 - world: the fixture
from .billing_env import world  # noqa: F401 - world: the fixture


def by_service(proposals, service_id):
    return [p for p in proposals if p.service_id == service_id]


async def test_proposals_from_each_kind_of_evidence(world):
    w = world
    s_label, s_id, s_ip, s_domain, s_part = w.billed("hetzner")[:5]
    s_convoy = w.billed("convoy")[0]
    server = {sid: w.server_of(sid)[1] for sid in (s_label, s_id, s_ip, s_domain, s_part, s_convoy)}
    name = {sid: w.hz_server(server[sid])["name"] for sid in (s_label, s_id, s_ip, s_domain, s_part)}
    ip = {sid: w.hz_server(server[sid])["public_net"]["ipv4"]["ip"] for sid in (s_ip,)}
    # leave each service exactly one kind of evidence
    w.set_service(s_label, server_id="", ip="", domain="")
    w.set_hz(server[s_label], label=s_label)
    w.set_service(s_id, ip="", domain="")
    w.set_service(s_ip, server_id="", domain="")
    w.set_service(s_domain, server_id="", ip="")
    w.set_service(s_part, server_id="", ip="", domain=f"{name[s_part]}.customer.example")
    w.set_service(s_convoy, ip="", domain="")
    proposals = await w.links.propose()

    def only(sid):
        found = by_service(proposals, sid)
        assert len(found) == 1, (sid, found)
        return found[0]

    p = only(s_label)
    assert (p.backend, p.server_id) == ("hz", server[s_label])
    assert [e.text for e in p.evidence] == [f"label whmcs_service_id={s_label}"] and p.score == 100 and p.confident
    p = only(s_id)
    assert [e.kind for e in p.evidence] == ["server_id"] and p.score == 90 and p.confident
    assert p.evidence[0].text == f"server_id custom field = {server[s_id]} (hetznercloud module)"
    p = only(s_ip)
    assert [e.text for e in p.evidence] == [f"dedicated ip {ip[s_ip]}"] and p.score == 60 and not p.confident
    p = only(s_domain)
    assert [e.text for e in p.evidence] == [f"domain {name[s_domain]} = server name"] and p.score == 40
    assert not p.confident
    p = only(s_part)
    assert p.score == 25 and "starts with the server name" in p.evidence[0].text and not p.confident
    p = only(s_convoy)
    assert (p.backend, p.server_id) == ("cv", server[s_convoy]) and p.score == 90 and p.confident
    assert p.evidence[0].text == f"server_id custom field = {server[s_convoy]} (convoy module)"
    # a seeded service has all three at once: capped at 100, all shown
    full = only(next(sid for sid in w.billed("hetzner")[5:] if w.service(sid)["dedicatedip"]))
    assert full.score == 100 and {e.kind for e in full.evidence} == {"server_id", "ip", "domain"}
    # the JSON shape the CLI prints
    assert set(full.as_dict()) >= {"service_id", "backend", "server_id", "evidence", "score", "confident", "ambiguous"}


async def test_two_servers_for_a_service_is_ambiguous_and_never_accepted_in_bulk(world):
    w = world
    mine, other = w.billed("hetzner", own_ip=True)[:2]
    a, b = w.server_of(mine)[1], w.server_of(other)[1]
    # its IP is server a's, its domain is server b's name
    w.set_service(mine, server_id="", domain=w.hz_server(b)["name"])
    proposals = await w.links.propose()
    found = by_service(proposals, mine)
    assert {p.server_id for p in found} == {a, b}
    assert all(p.ambiguous and not p.confident for p in found)
    assert any(f"hz/{b}" in c for c in next(p for p in found if p.server_id == a).contenders)
    # the other service keeps its own confident proposal for server b
    assert [p.confident for p in by_service(proposals, other)] == [True]
    refused = await w.links.accept([mine])
    assert refused[0].result == "refused" and "link the right one" in refused[0].reason
    outcomes = await w.links.accept("all-confident")
    assert mine not in {o.service_id for o in outcomes if o.result == "linked"}
    assert other in {o.service_id for o in outcomes if o.result == "linked"}
    # server b is taken now, so it is no longer a candidate; staff decides by hand
    assert all(p.server_id != b for p in by_service(await w.links.propose(), mine))
    linked = await w.links.link(mine, "hz", a)
    assert linked.result == "linked" and (linked.backend, linked.server_id) == ("hz", a)


async def test_accept_one_then_all_confident_and_the_billing_column(world):
    w = world
    first = w.billed("hetzner")[0]
    outcomes = await w.links.accept([first])
    assert [(o.service_id, o.result) for o in outcomes] == [(first, "linked")]
    again = await w.links.propose()
    assert not by_service(again, first)
    assert all((p.backend, p.server_id) != w.server_of(first) for p in again)   # never a linked server
    confident = {p.service_id for p in again if p.confident}
    outcomes = await w.links.accept("all-confident")
    assert {o.service_id for o in outcomes if o.result == "linked"} == confident
    links = {l.service_id: l for l in w.links.links()}
    assert set(links) == confident | {first}
    assert links[first].how == "accepted" and links[first].evidence
    assert all(not p.confident for p in await w.links.propose())
    # billing_for / the billing column / the detail section come from the last snapshot
    snap = await w.links.snapshot()
    backend, sid = w.server_of(first)
    server = snap.server(backend, sid)
    client, service = w.links.billing_for(server)
    seeded = w.service(first)
    assert service.id == first and client.id == seeded["clientid"]
    assert w.links.billing_cell(server).endswith(f"#{first} Active")
    title, rows = w.links.detail_section(server)
    fields = dict(rows)
    assert title == "Billing" and fields["product"].startswith(seeded["name"])
    assert fields["billing cycle"] == seeded["billingcycle"] and fields["next due date"] == seeded["nextduedate"]
    assert fields["recurring amount"].startswith(seeded["recurringamount"]) and fields["status"] == "Active"
    w.links.annotate([server])
    assert server.billing_link == w.links.billing_cell(server)
    await w.links.unlink(first)
    await w.links.snapshot()
    assert w.links.billing_for(server) is None and w.links.detail_section(server) is None
    assert w.links.billing_cell(server) == ""


async def test_reject_is_remembered(world):
    w = world
    mine, other = w.billed("hetzner", own_ip=True)[:2]
    a, b = w.server_of(mine)[1], w.server_of(other)[1]
    w.set_service(mine, server_id="", domain=w.hz_server(b)["name"])        # two candidates: a (ip), b (domain)
    outcomes = await w.links.reject(mine, "hz", b)
    assert [(o.result, o.server_id) for o in outcomes] == [("rejected", b)]
    left = by_service(await w.links.propose(), mine)
    assert [p.server_id for p in left] == [a] and not left[0].ambiguous     # b is gone, so a is no longer contested
    await w.links.reject(mine)                                              # every remaining proposal of it
    fresh = ServiceLinks(w.billing, w.servers, w.store)                     # remembered in the store
    assert not by_service(await fresh.propose(), mine)
    rows = [r for r in w.links.map.all_links("service") if r.left_id == mine]
    assert [(r.status, r.right_system) for r in rows] == [("rejected", "hz")]
    assert set(rows[0].drift["rejected"]) == {a, b}
    # linking by hand still works (and takes back that rejection); unlinking keeps the other rejections
    await w.links.link(mine, "hz", a)
    assert [l.server_id for l in w.links.links() if l.service_id == mine] == [a]
    await w.links.unlink(mine)
    assert [p.server_id for p in by_service(await w.links.propose(), mine)] == [a]
    await w.links.reject(mine)
    assert (await w.links.reject(mine))[0].result == "refused"               # nothing left to reject


async def test_manual_link_and_unlink(world):
    w = world
    mine, other = w.billed("hetzner")[:2]
    a, b = w.server_of(mine)[1], w.server_of(other)[1]
    outcome = await w.links.link(mine, "hz", a)
    assert outcome.result == "linked" and [l.how for l in w.links.links()] == ["manual"]
    assert (await w.links.link(mine, "hz", a)).reason == "it was linked already."
    with pytest.raises(ConflictError, match=f"paid by service {mine}"):
        await w.links.link(other, "hz", a)                                  # a server is paid by one service
    with pytest.raises(ConflictError, match="unlink it first"):
        await w.links.link(mine, "hz", b)                                   # a service pays for one server
    await w.links.link(mine, "hz", b, replace=True)
    assert [(l.backend, l.server_id) for l in w.links.links()] == [("hz", b)]
    with pytest.raises(NotFoundError):
        await w.links.link(mine, "hz", "999999999")                         # looked up first
    with pytest.raises(NotFoundError):
        await w.links.link("99999", "hz", a)
    unlinked = await w.links.unlink(mine)
    assert unlinked.result == "unlinked" and w.links.links() == []
    with pytest.raises(NotFoundError):
        await w.links.unlink(mine)
    assert by_service(await w.links.propose(), mine)                       # its evidence proposes it again
    log = {r["operation"] for r in w.links.map.log(limit=50)}
    assert {"link", "replaced", "unlink"} <= log


async def test_drift_of_each_kind(world):
    w = world
    await w.links.accept("all-confident")
    running = w.billed("hetzner")
    suspended, terminated, removed, resized, still_fine = running[:5]
    w.set_service(suspended, status="Suspended")                     # server still running: leak
    w.set_service(terminated, status="Terminated")                   # server still exists: leak
    w.remove_hz(w.server_of(removed)[1])                             # Active, server gone: gone
    plan = w.service(resized)["name"]
    w.set_hz(w.server_of(resized)[1], plan="cx52" if plan != "cx52" else "cx22")   # plan mismatch
    cv_service = w.billed("convoy")[0]
    with w.cv._lock:
        w.cv.servers[w.server_of(cv_service)[1]]["cpu"] += 2          # Convoy: billed "N vCPU/..." but has more
    await w.links.unlink(still_fine)                                 # its server is now an orphan
    report = await w.links.drift()
    leaks = {i.service_id: i for i in report.of("leak")}
    assert leaks[suspended].server_status == "running" and "Suspended" in leaks[suspended].message
    assert "still exists" in leaks[terminated].message and leaks[terminated].facts["linked"]
    gone = {i.service_id: i for i in report.of("gone")}
    assert gone[removed].facts["linked"] is True and gone[removed].server_id == w.server_of(removed)[1]
    for ghost in w.whmcs.orphans:                                    # billed servers no backend has, never linked
        if w.service(str(ghost))["status"] in ("Active", "Suspended"):
            assert gone[str(ghost)].facts["linked"] is False
    plans = {i.service_id: i for i in report.of("plan")}
    assert set(plans) == {resized, cv_service}
    assert "plan" in plans[resized].facts["differs"] and plans[resized].facts["billed"]["plan"] == plan
    assert set(plans[cv_service].facts["differs"]) == {"cores"}
    orphans = {(i.backend, i.server_id): i for i in report.of("orphan")}
    assert w.server_of(still_fine) in orphans
    assert orphans[w.server_of(still_fine)].facts["proposal"] == still_fine   # and the proposal that would fix it
    assert report.counts()["leak"] >= 2 and report.errors == {}
    assert not any(i.service_id == still_fine for i in report.items if i.kind != "orphan")
    # a backend that cannot be listed is named, and nothing is concluded about its servers
    w.cv.faults.add(route="*", kind="status", status=500, count=50)
    partial = await w.links.drift()
    assert "cv" in partial.errors
    assert not [i for i in partial.items if i.backend == "cv"]
    assert not [i for i in partial.of("gone") if not i.facts.get("linked")]   # "no backend has it" needs every backend


def test_the_commands_against_the_demo(tmp_path):
    import json

    env = cli_env()

    def hostdeck(*args):
        return run_cli(env, "--demo", *args, timeout=60)

    drift = hostdeck("sync", "drift", "--json")
    assert drift.returncode == 0, drift.stderr                 # drift found is a report, not a failure
    doc = json.loads(drift.stdout)
    assert doc["errors"] == {} and doc["counts"]["orphan"] > 0 and doc["counts"]["gone"] > 0
    proposed = hostdeck("sync", "services", "--propose")
    assert proposed.returncode == 0, proposed.stderr
    assert "server_id custom field" in proposed.stdout and "SCORE" in proposed.stdout
    refused = hostdeck("sync", "services", "--accept", "999999")
    assert refused.returncode == 1 and "no proposal for service 999999" in refused.stdout


async def test_an_old_whmcs_gives_the_same_links_and_drift(tmp_path):
    """WHMCS 7.10 answers every number as a string, sends "" for empty lists and ignores orderby (shared/api/whmcs.md,
    learned at first contact): the service links read from it are the same as from a current one."""
    results = []
    for version in ("8.13.1", "7.10.2"):
        with ExitStack() as stack:
            w = open_world(stack, tmp_path / f"{version}.db", whmcs_version=version)
            try:
                proposals = await w.links.propose()
                drift = await w.links.drift()
                results.append(({(p.service_id, p.backend, p.server_id, p.score) for p in proposals},
                                {(i.kind, i.service_id, i.server_id) for i in drift.items}))
            finally:
                await w.aclose()
    assert results[0] == results[1] and results[0][0]
