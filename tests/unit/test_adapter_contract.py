"""The adapter contract: roles declared and kept, capabilities with reasons, the shared paging and connection test."""

from __future__ import annotations

import asyncio

import pytest

from hostdeck.backends.adapter_base.paging import FirstPage
from hostdeck.backends.adapter_base.paging import read_all
from hostdeck.backends.config import BackendConfig
from hostdeck.backends.contract import Capability
from hostdeck.backends.errors import ProtocolError
from hostdeck.backends.models import Server
from hostdeck.backends.models import ServerStatus
from hostdeck.backends.registry import ADAPTERS
from hostdeck.backends.registry import adapter_class
from hostdeck.backends.roles import PROMISES
from hostdeck.backends.roles import Role
from hostdeck.backends.secrets import Secrets

EXPECTED_ROLES = {
    "hetzner": {Role.SERVER_PROVIDER, Role.CATALOG_SOURCE},
    "convoy": {Role.SERVER_PROVIDER, Role.CATALOG_SOURCE, Role.PANEL_USERS},
    "proxmox": {Role.SERVER_PROVIDER, Role.HYPERVISOR},
    "whmcs": {Role.BILLING_SYSTEM},
    "cloudpanel": {Role.SITE_HOST},
    "matomo": {Role.ANALYTICS},
    "vpspanel": {Role.PANEL_MIRROR},
}


@pytest.mark.parametrize("kind", sorted(ADAPTERS))
def test_every_adapter_declares_its_roles_and_has_what_each_role_promises(kind):
    cls = adapter_class(kind)
    assert set(cls.roles) == EXPECTED_ROLES[kind]
    for role in cls.roles:
        promise = PROMISES[role]
        members = [m for m in vars(promise) if not m.startswith("_") and callable(getattr(promise, m, None))]
        missing = [m for m in members if not callable(getattr(cls, m, None))]
        assert not missing, f"{kind} plays {role.value} but has no {missing}"


def test_roles_that_are_not_servers_are_told_apart_by_plays_not_by_method_names():
    whmcs = adapter_class("whmcs")
    assert Role.BILLING_SYSTEM in whmcs.roles and Role.SERVER_PROVIDER not in whmcs.roles
    assert Role.SITE_HOST not in adapter_class("matomo").roles   # both have add_site; only CloudPanel hosts sites


def _convoy(read_only: bool = False):
    config = BackendConfig(name="cv", kind="convoy", url="http://127.0.0.1:9")
    return adapter_class("convoy")(config, secrets=Secrets(overlay={("cv", "token"): "7|x" * 10}), read_only=read_only)


def _server(status: str | None) -> Server:
    return Server(backend="cv", id="abc", name="web", status=ServerStatus.RUNNING, raw_status=str(status),
                  raw={"status": status})


@pytest.mark.parametrize("capability", [Capability.RESIZE, Capability.RENAME])
def test_convoy_says_why_a_server_cannot_be_resized_or_renamed(capability):
    adapter = _convoy()
    assert adapter.plays(Role.SERVER_PROVIDER) and adapter.can(capability)
    assert adapter.missing_reason(capability, _server(None)) is None
    assert "suspended; unsuspend it first" in adapter.missing_reason(capability, _server("suspended"))
    assert "finished installing" in adapter.missing_reason(capability, _server("installing"))
    assert _convoy(read_only=True).missing_reason(capability, _server(None)) == "read-only mode is on."
    assert not _convoy(read_only=True).can(capability)


def test_an_adapter_without_a_capability_names_itself_in_the_reason():
    config = BackendConfig(name="hz", kind="hetzner")
    hetzner = adapter_class("hetzner")(config, secrets=Secrets(overlay={("hz", "token"): "t" * 64}))
    assert not hetzner.can(Capability.RESIZE)
    assert hetzner.missing_reason(Capability.RESIZE) == "hetzner backends cannot resize."


# paging ---------------------------------------------------------------------------------------------------------------
def _pages(pages: dict[int, list[int]], total: int | None, calls: list[int]):
    async def first() -> FirstPage[int]:
        calls.append(1)
        return FirstPage([{"id": i} for i in pages[1]], range(2, len(pages) + 1), total)

    async def page(n: int) -> list[dict[str, int]]:
        calls.append(n)
        await asyncio.sleep(0)
        return [{"id": i} for i in pages[n]]

    return first, page


@pytest.mark.parametrize("concurrent", [True, False])
def test_a_paged_listing_is_complete_deduplicated_and_reports_progress(concurrent):
    calls: list[int] = []
    seen: list[tuple[int, int]] = []
    first, page = _pages({1: [1, 2], 2: [2, 3], 3: [4]}, 4, calls)
    items = asyncio.run(read_all(first, page, key=lambda i: i["id"], operation="list", backend="b",
                                 progress=lambda done, total: seen.append((done, total)), concurrent=concurrent))
    assert [i["id"] for i in items] == [1, 2, 3, 4]
    assert sorted(calls) == [1, 2, 3] and seen[0] == (1, 3) and seen[-1] == (3, 3)


def test_a_listing_short_of_its_total_is_read_again_once_then_fails_with_the_count():
    calls: list[int] = []
    first, page = _pages({1: [1], 2: [2]}, 5, calls)
    with pytest.raises(ProtocolError, match=r"list rows: got 2 of 5 rows twice in a row.*or WHMCS is not paging"):
        asyncio.run(read_all(first, page, key=lambda i: i["id"], operation="list rows", backend="b", noun="rows",
                             server="WHMCS"))
    assert calls.count(1) == 2


def test_a_failing_page_cancels_the_others_and_raises():
    started: list[int] = []
    cancelled: list[int] = []

    async def first() -> FirstPage[int]:
        return FirstPage([{"id": 0}], [1, 2, 3], 4)

    async def page(n: int) -> list[dict[str, int]]:
        started.append(n)
        if n == 1:
            raise ProtocolError("page 1 broke", backend="b")
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(n)
            raise
        return []

    with pytest.raises(ProtocolError, match="page 1 broke"):
        asyncio.run(read_all(first, page, key=lambda i: i["id"], operation="list", backend="b"))
    assert sorted(cancelled) == [2, 3]


# the connection test template ------------------------------------------------------------------------------------------
def test_a_connection_test_reports_a_config_problem_in_plain_words():
    config = BackendConfig(name="mt", kind="matomo")   # no URL
    matomo = adapter_class("matomo")(config, secrets=Secrets(overlay={("mt", "token"): "a" * 32}))
    report = asyncio.run(matomo.test_connection())
    assert not report.ok and "needs the URL of the Matomo installation" in report.error
    assert report.latency_ms is None


def test_a_connection_test_reports_a_missing_secret_in_plain_words():
    config = BackendConfig(name="hz2", kind="hetzner", url="http://127.0.0.1:9")
    hetzner = adapter_class("hetzner")(config, secrets=Secrets(overlay={}, isolated=True))
    report = asyncio.run(hetzner.test_connection())
    assert not report.ok and report.error == "The demo has no token for backend 'hz2'."   # a SecretError, as said
