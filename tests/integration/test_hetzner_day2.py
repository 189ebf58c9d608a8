"""The Hetzner adapter's day-2 operations against the simulator over real loopback sockets: one test per method, and
the refusals (protected, not stopped, rescue twice, read-only before anything is sent)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hostdeck.backends.contract import Capability
from hostdeck.backends.contract import PowerAction
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import PermissionDenied
from hostdeck.backends.errors import ReadOnlyError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.operations import ImageKind
from hostdeck.backends.operations import MetricKind
from tests.support.fixtures import adapter_fixture
from tests.support.fixtures import sim_fixture

from .hz import READONLY_TOKEN
from .hz import make_adapter
from .hz import open_sim
from .hz import plain_server

sim = sim_fixture(open_sim)
hz = adapter_fixture(make_adapter)


def writes(sim) -> list[dict]:
    return [r for r in sim.request_log if r["method"] in ("POST", "PUT", "DELETE")]


def state(sim, sid: int) -> dict:
    sim.advance()
    return sim.servers[sid]


async def test_rescue_enable_shows_a_password_and_twice_is_refused(sim, hz):
    sid, _ = plain_server(sim, rescue_enabled=False)
    result = await hz.enable_rescue(str(sid), ssh_keys=["ops-key"])
    assert len(result.secret) >= 16 and "reboot" in result.note
    assert state(sim, sid)["rescue_enabled"] is True
    body = next(r for r in writes(sim) if r["path"].endswith("/enable_rescue"))
    assert body["method"] == "POST"
    with pytest.raises(ConflictError) as refused:
        await hz.enable_rescue(str(sid))
    assert refused.value.code == "rescue_already_enabled" and "already on" in refused.value.message
    await hz.disable_rescue(str(sid))
    assert state(sim, sid)["rescue_enabled"] is False


async def test_rescue_sends_the_key_ids(sim, hz):
    sid, _ = plain_server(sim, rescue_enabled=False)
    await hz.enable_rescue(str(sid), ssh_keys=["deploy-key", str(sim.ssh_keys[0]["id"])])
    with pytest.raises(ValidationError):
        await hz.enable_rescue(str(sid), ssh_keys=["no-such-key"])


async def test_rebuild_returns_the_new_password_and_refuses_protection_before_sending(sim, hz):
    sid, _ = plain_server(sim)
    result = await hz.rebuild(str(sid), "debian-12")
    assert result.secret and state(sim, sid)["image"]["name"] == "debian-12"
    assert state(sim, sid)["status"] == "running"
    sim.servers[sid]["protection"]["rebuild"] = True
    sent = len(writes(sim))
    with pytest.raises(PermissionDenied) as refused:
        await hz.rebuild(str(sid), "debian-12")
    assert "--rebuild off" in refused.value.message and len(writes(sim)) == sent
    server = await hz.get_server(str(sid))
    assert "rebuild protection is on" in hz.missing_reason(Capability.REBUILD, server)


async def test_create_list_and_delete_a_snapshot(sim, hz):
    sid, _ = plain_server(sim)
    image = await hz.create_image(str(sid), description="before upgrade")
    assert image.kind is ImageKind.SNAPSHOT and image.description == "before upgrade" and image.status == "available"
    assert image.server_id == str(sid)
    listed = await hz.list_images()
    assert image.id in {i.id for i in listed} and all(i.kind in (ImageKind.SNAPSHOT, ImageKind.BACKUP) for i in listed)
    mine = await hz.list_images(server_id=str(sid))
    assert image.id in {i.id for i in mine} and {i.server_id for i in mine} == {str(sid)}
    await hz.delete_image(image.id)
    assert image.id not in {str(i["id"]) for i in sim.images}


async def test_type_choices_price_difference_and_disk_rule(sim, hz):
    sid, raw = plain_server(sim, status="off")
    choices = {c.name: c for c in await hz.type_choices(str(sid))}
    assert raw["server_type"]["name"] not in choices
    location = raw["location"]["name"]

    def gross(name: str) -> Decimal:
        stype = next(t for t in sim.server_types if t["name"] == name)
        price = next(p for p in stype["prices"] if p["location"] == location)["price_monthly"]["gross"]
        return Decimal(price).quantize(Decimal("0.01"))

    big = choices["cx52"]
    assert big.allowed and big.monthly_difference == gross("cx52") - gross(raw["server_type"]["name"])
    assert big.monthly_gross == gross("cx52")
    assert not choices["cax11"].allowed and "arm" in choices["cax11"].reason
    smaller = [c for c in choices.values() if c.disk_gb is not None and c.disk_gb < raw["primary_disk_size"]]
    assert all(not c.allowed for c in smaller)


async def test_change_type_keeps_the_disk_and_refuses_a_running_server(sim, hz):
    running, _ = plain_server(sim)
    sent = len(writes(sim))
    with pytest.raises(ConflictError) as refused:
        await hz.change_type(str(running), "cx52")
    assert "shut it down" in refused.value.message and len(writes(sim)) == sent
    sid, raw = plain_server(sim, status="off")
    disk = raw["primary_disk_size"]
    result = await hz.change_type(str(sid), "cx52")
    assert "kept" in result.message
    assert state(sim, sid)["server_type"]["name"] == "cx52" and state(sim, sid)["primary_disk_size"] == disk
    body = [r for r in sim.request_log if r["path"].endswith("/change_type")]
    assert body


async def test_backups_name_the_price_and_toggle_the_window(sim, hz):
    sid, raw = plain_server(sim, backup_window=None)
    result = await hz.set_backups(str(sid), True)
    price = Decimal(next(p for p in raw["server_type"]["prices"]
                         if p["location"] == raw["location"]["name"])["price_monthly"]["gross"])
    assert f"+{(price * Decimal('0.2')).quantize(Decimal('0.01'))} EUR" in result.message and "20%" in result.message
    assert state(sim, sid)["backup_window"]
    await hz.set_backups(str(sid), False)
    assert state(sim, sid)["backup_window"] is None


async def test_protection_changes_only_what_is_asked(sim, hz):
    sid, _ = plain_server(sim)
    await hz.set_protection(str(sid), delete=True)
    assert state(sim, sid)["protection"] == {"delete": True, "rebuild": False}
    await hz.set_protection(str(sid), delete=False, rebuild=True)
    assert state(sim, sid)["protection"] == {"delete": False, "rebuild": True}
    with pytest.raises(ValidationError):
        await hz.set_protection(str(sid))


async def test_labels_merge_keeping_the_others(sim, hz):
    sid, raw = plain_server(sim)
    before = dict(raw["labels"])
    server = await hz.set_labels(str(sid), {"tier": "gold"}, remove=["role"] if "role" in before else ())
    expected = {k: v for k, v in before.items() if k != "role"} | {"tier": "gold"}
    assert sim.servers[sid]["labels"] == expected == server.labels
    with pytest.raises(ValidationError):
        await hz.set_labels(str(sid), {"bad key!": "x"})
    assert sim.servers[sid]["labels"] == expected


async def test_iso_attach_and_detach(sim, hz):
    sid, _ = plain_server(sim)
    await hz.attach_iso(str(sid), "systemrescue-11.02-amd64.iso")
    assert state(sim, sid)["iso"]["name"] == "systemrescue-11.02-amd64.iso"
    found = await hz.attachments(str(sid))
    assert [a.name for a in found.of("iso")] == ["systemrescue-11.02-amd64.iso"]
    await hz.detach_iso(str(sid))
    assert state(sim, sid)["iso"] is None


async def test_reverse_dns_set_and_reset(sim, hz):
    sid, raw = plain_server(sim)
    ip = raw["public_net"]["ipv4"]["ip"]
    await hz.set_reverse_dns(str(sid), ip, "mx.example.com")
    assert state(sim, sid)["public_net"]["ipv4"]["dns_ptr"] == "mx.example.com"
    await hz.set_reverse_dns(str(sid), ip, None)
    assert state(sim, sid)["public_net"]["ipv4"]["dns_ptr"].endswith("clients.your-server.de")


@pytest.mark.parametrize("kind, names", [(MetricKind.CPU, {"cpu"}),
                                         (MetricKind.NETWORK, {"network.0.bandwidth.in", "network.0.bandwidth.out",
                                                               "network.0.pps.in", "network.0.pps.out"})])
async def test_metrics_are_floats_with_units(sim, hz, kind, names):
    sid, _ = plain_server(sim)
    metrics = await hz.metrics(str(sid), kind, "1h")
    assert {s.name for s in metrics.series} == names and metrics.step_seconds > 0
    for series in metrics.series:
        assert series.points and all(isinstance(v, float) for v in series.values)
        assert series.unit in ("percent", "bytes/s", "packets/s")
    doc = metrics.as_json()
    assert doc["type"] == kind.value and set(doc["series"]) == names
    with pytest.raises(ValidationError):
        await hz.metrics(str(sid), kind, "2d")


async def test_attachments_name_firewalls_volumes_and_primary_ips(sim, hz):
    with_both = [i for i, s in sorted(sim.servers.items()) if s["volumes"] and s["public_net"]["firewalls"]]
    sid = (with_both or [i for i, s in sorted(sim.servers.items()) if s["volumes"]])[0]
    raw = sim.servers[sid]
    found = await hz.attachments(str(sid))
    assert [a.id for a in found.of("volume")] == [str(v) for v in raw["volumes"]]
    assert all("-data-" in a.name and "GB" in a.detail for a in found.of("volume"))
    assert [a.id for a in found.of("firewall")] == [str(f["id"]) for f in raw["public_net"]["firewalls"]]
    ips = {a.name for a in found.of("primary_ip")}
    assert ips == {ip["ip"] for ip in (raw["public_net"]["ipv4"], raw["public_net"]["ipv6"]) if ip}


async def test_read_only_refuses_every_day2_write_before_sending(sim):
    hz = make_adapter(sim, read_only=True)
    sid, _ = plain_server(sim)
    sent = len(sim.request_log)
    calls = [hz.enable_rescue(str(sid)), hz.disable_rescue(str(sid)), hz.rebuild(str(sid), "debian-12"),
             hz.create_image(str(sid)), hz.delete_image("1"), hz.change_type(str(sid), "cx52"),
             hz.set_backups(str(sid), True), hz.set_protection(str(sid), delete=True),
             hz.set_labels(str(sid), {"a": "b"}), hz.attach_iso(str(sid), "x"), hz.detach_iso(str(sid)),
             hz.set_reverse_dns(str(sid), "192.0.2.1", None)]
    for call in calls:
        with pytest.raises(ReadOnlyError):
            await call
    assert len(sim.request_log) == sent
    assert not hz.can(Capability.RESCUE) and hz.can(Capability.METRICS)
    await hz.aclose()


async def test_a_read_only_token_is_refused_by_the_api(sim):
    hz = make_adapter(sim, token=READONLY_TOKEN)
    sid, _ = plain_server(sim)
    with pytest.raises(PermissionDenied) as refused:
        await hz.set_protection(str(sid), delete=True)
    assert refused.value.code == "forbidden"
    await hz.aclose()


async def test_describe_call_names_each_day2_call(sim, hz):
    sid, _ = plain_server(sim)
    server = await hz.get_server(str(sid))
    assert hz.describe_call(Capability.RESCUE, server, variant="rescue_disable") == \
        f"POST /servers/{sid}/actions/disable_rescue"
    assert hz.describe_call(Capability.ISO, server, variant="iso_detach").endswith("/detach_iso")
    assert hz.describe_call(Capability.METRICS, server, variant="metrics") == f"GET /servers/{sid}/metrics"
    assert hz.describe_call(Capability.POWER, server, PowerAction.ON) == f"POST /servers/{sid}/actions/poweron"
    for capability in (Capability.RESCUE, Capability.REBUILD, Capability.IMAGES, Capability.CHANGE_TYPE,
                       Capability.BACKUPS, Capability.PROTECT, Capability.LABELS, Capability.ISO, Capability.RDNS,
                       Capability.METRICS, Capability.ATTACHMENTS):
        assert hz.can(capability) and hz.describe_call(capability, server)
