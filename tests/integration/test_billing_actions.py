"""Acting on linked servers through WHMCS's module actions: the simulated service status and the server both change
(the WHMCS simulator's module hook is wired to the Hetzner and Convoy simulators as in the demo)."""

from __future__ import annotations

import pytest

from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.sync.billing_actions import new_password

from . import wh
from .billing_env import world  # noqa: F401 - the fixture


async def linked_server(w, service_id):
    backend, sid = w.server_of(service_id)
    await w.links.link(service_id, backend, sid)
    return next(a for a in w.servers if a.name == backend), await next(a for a in w.servers if a.name == backend).get_server(sid)


def module_calls(w):
    return [a for a in wh.actions(w.whmcs) if a.startswith("Module")]


async def test_suspend_unsuspend_password_and_terminate_a_hetzner_server_through_whmcs(world):
    w = world
    service_id = w.billed("hetzner")[0]
    _, server = await linked_server(w, service_id)
    assert w.hz_server(server.id)["status"] == "running"

    result = await w.actions.suspend(server, "unpaid invoice")
    assert result.status == "success" and result.action == "ModuleSuspend"
    assert result.service.status == "Suspended" and w.service(service_id)["status"] == "Suspended"
    assert w.service(service_id)["suspensionreason"] == "unpaid invoice"
    assert w.hz_server(server.id)["status"] == "off"                       # the module powered it off

    result = await w.actions.unsuspend(server)
    assert result.service.status == "Active" and w.service(service_id)["status"] == "Active"
    assert w.hz_server(server.id)["status"] == "running"

    password = new_password()
    result = await w.actions.change_password(server, password)
    assert result.status == "success" and w.service(service_id)["password"] == password
    assert w.service(service_id)["status"] == "Active"

    result = await w.actions.terminate(server)
    assert result.service.status == "Terminated" and w.service(service_id)["status"] == "Terminated"
    assert int(server.id) not in w.hz.servers                               # the module deleted it
    assert module_calls(w) == ["ModuleSuspend", "ModuleUnsuspend", "ModuleChangePw", "ModuleTerminate"]
    log = [e["description"] for e in w.whmcs.activity[-4:]]
    assert all("Successful" in d and f"Service ID: {service_id}" in d for d in log)
    # billing and reality agree: no leak, no gone for it
    report = await w.links.drift()
    assert not [i for i in report.items if i.service_id == service_id]


async def test_suspend_and_unsuspend_a_convoy_server_through_whmcs(world):
    w = world
    service_id = w.billed("convoy")[0]
    _, server = await linked_server(w, service_id)
    result = await w.actions.suspend(server)
    assert result.service.status == "Suspended" and w.cv.servers[server.id]["status"] == "suspended"
    result = await w.actions.unsuspend(server)
    assert result.service.status == "Active" and w.cv.servers[server.id]["status"] is None
    result = await w.actions.terminate(server)
    assert result.service.status == "Terminated" and server.id not in w.cv.servers


async def test_a_server_without_a_linked_service_is_refused_before_any_call(world):
    w = world
    server = (await w.servers[0].list_servers())[0]
    with pytest.raises(ValidationError, match="has no linked WHMCS service") as caught:
        await w.actions.suspend(server)
    assert caught.value.code == "no_service_link"
    for action in (w.actions.unsuspend, w.actions.terminate):
        with pytest.raises(ValidationError):
            await action(server)
    with pytest.raises(ValidationError):
        await w.actions.change_password(server, "Whatever-123-abc")
    assert module_calls(w) == []
    routes = w.actions.routes(server, "suspend")
    assert [(r.route, r.available) for r in routes] == [("billing", False), ("direct", True)]


async def test_the_action_menu_offers_both_routes_and_says_which_keeps_billing_in_step(world):
    w = world
    service_id = w.billed("hetzner")[0]
    _, server = await linked_server(w, service_id)
    routes = w.actions.routes(server)
    assert [r.action for r in routes if r.route == "billing"] == ["suspend", "unsuspend", "terminate", "change_password"]
    for r in routes:
        assert r.available
        assert r.keeps_billing_in_step is (r.route == "billing")
    billing = next(r for r in routes if r.route == "billing" and r.action == "suspend")
    assert f"service #{service_id}" in billing.label and "ModuleSuspend" in billing.label
    assert "WHMCS is not told" in next(r for r in routes if r.route == "direct" and r.action == "suspend").reason


async def test_a_module_error_is_passed_through_and_nothing_changes(world):
    w = world
    service_id = w.billed("hetzner")[0]
    _, server = await linked_server(w, service_id)
    w.whmcs.fail_next_module("Hetzner API: server is locked", "ModuleSuspend")
    with pytest.raises(BackendError, match="server is locked"):
        await w.actions.suspend(server)
    assert w.service(service_id)["status"] == "Active" and w.hz_server(server.id)["status"] == "running"


async def test_a_lost_answer_is_read_back_never_resent(world):
    w = world
    service_id = w.billed("hetzner")[0]
    _, server = await linked_server(w, service_id)
    w.whmcs.faults.add("ModuleSuspend", "reset_mid", count=1)          # done, but the answer is lost
    result = await w.actions.suspend(server)
    assert result.status == "applied" and result.service.status == "Suspended"
    assert module_calls(w) == ["ModuleSuspend"]
    assert w.hz_server(server.id)["status"] == "off"


async def test_a_password_change_through_whmcs_is_named_for_what_the_module_changes(world):
    """No public server module for these backends resets root through ModuleChangePw (CkHosting/Convoy_WHMCS has no
    ChangePassword; tw-yuan/convoy-whmcs changes the customer's panel user): the route never promises root."""
    from hostdeck.backends.sync.billing_actions import password_meaning

    w = world
    _, convoy_server = await linked_server(w, w.billed("convoy")[0])
    billing = next(r for r in w.actions.routes(convoy_server, "change_password") if r.route == "billing")
    assert billing.title == "Change panel login password through WHMCS"
    assert "root" not in billing.title.lower() and "Reset root password" in billing.reason
    assert password_meaning(w.actions.kind_of(convoy_server)) == "panel login password"
    _, cloud_server = await linked_server(w, w.billed("hetzner")[0])
    billing = next(r for r in w.actions.routes(cloud_server, "change_password") if r.route == "billing")
    assert billing.title == "Change service password through WHMCS" and "not known to be root" in billing.reason
    direct = next(r for r in w.actions.routes(cloud_server, "change_password") if r.route == "direct")
    assert "root" in direct.title
