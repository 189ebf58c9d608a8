"""Day-2 operations of the Convoy adapter over real sockets: templates from Convoy; snapshots, backups and metrics
through the Proxmox of the server's node, under Convoy's status rules and limits; and the refusals of what neither
Convoy's application API nor Proxmox offers (ConvoyPanel/panel v4.6.1 has no reinstall or backups for tokens)."""

from __future__ import annotations

import pytest

from hostdeck.backends.contract import Capability
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import ReadOnlyError
from hostdeck.backends.errors import UnsupportedError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.models import Server
from hostdeck.backends.operations import ImageKind
from hostdeck.backends.operations import MetricKind

from .joined import joined_sims
from .joined import workspace


@pytest.fixture
def sims():
    with joined_sims(servers=30, seed=6) as both:
        yield both


@pytest.fixture
async def vps(sims):
    ws = workspace(*sims, proxmox="pve")
    yield ws.adapter("vps")
    await ws.aclose()


async def normal_server(vps, cv, *, backups: int | None = 5, snapshots: int | None = 5) -> Server:
    """A server with status null whose limits are set to these values (None: unlimited)."""
    server = next(s for s in await vps.list_servers() if s.raw_status == "null" and s.raw.get("vmid"))
    cv.servers[server.id].update(backup_limit=backups, snapshot_limit=snapshots)
    return server


def pve_writes(pve) -> list[dict]:
    return [r for r in pve.request_log if r["method"] in ("POST", "PUT", "DELETE")]


# templates -----------------------------------------------------------------------------------------------------


async def test_templates_are_the_system_images_of_the_servers_node(sims, vps):
    cv, _pve = sims
    server = await normal_server(vps, cv)
    images = await vps.list_images(kinds=(ImageKind.SYSTEM,), server_id=server.id)
    node_id = cv.servers[server.id]["node_id"]
    groups = {g["id"] for g in cv.template_groups.values() if g["node_id"] == node_id}
    expected = {t["uuid"]: t["name"] for t in cv.templates.values() if t["template_group_id"] in groups}
    assert {i.id: i.name for i in images} == expected
    assert all(i.kind is ImageKind.SYSTEM and i.backend == "vps" for i in images)
    assert any("hidden" in i.description for i in images)      # Windows is hidden from customers, not from admins


async def test_templates_are_listed_without_proxmox_too(sims):
    cv, pve = sims
    ws = workspace(cv, pve)
    images = await ws.adapter("vps").list_images(kinds=(ImageKind.SYSTEM,))
    assert len(images) == len(cv.templates) and all("node " in i.description for i in images)
    await ws.aclose()


# snapshots and backups through Proxmox -----------------------------------------------------------------------------


async def test_a_snapshot_is_taken_on_the_servers_vm(sims, vps):
    cv, pve = sims
    server = await normal_server(vps, cv)
    node, vmid = server.raw["node"], server.raw["vmid"]
    pve.guest(node, vmid).snapshots.clear()
    image = await vps.create_image(server.id, description="before the upgrade")
    assert image.backend == "vps" and image.server_id == server.id and image.kind is ImageKind.SNAPSHOT
    assert pve.guest(node, vmid).snapshots[image.name]["description"] == "before the upgrade"
    assert not [r for r in cv.request_log if r["method"] != "GET"]          # Convoy itself saw no write
    listed = await vps.list_images(server_id=server.id)
    assert [i.id for i in listed if i.kind is ImageKind.SNAPSHOT] == [image.id]
    assert all(i.server_id == server.id for i in listed)


async def test_a_backup_goes_to_the_nodes_backup_storage(sims, vps):
    cv, pve = sims
    server = await normal_server(vps, cv)
    node_record = cv.nodes[cv.servers[server.id]["node_id"]]
    image = await vps.create_image(server.id, description="by hand", kind=ImageKind.BACKUP)
    assert image.id.startswith(f"{server.raw['node']}/{node_record['backup_storage']}:backup/vzdump-qemu-")
    vzdump = next(r for r in pve.request_log if r["path"].endswith("/vzdump"))
    assert f"storage={node_record['backup_storage']}" in vzdump["body"]
    result = await vps.delete_image(image.id, server_id=server.id)
    assert result.backend == "vps" and result.server_id == server.id and result.status == "success"
    assert image.id.split("/", 1)[1] not in pve.volumes[(server.raw["node"], "local")]


@pytest.mark.parametrize(("limit", "existing"), [(1, 1), (0, 0)])     # a limit of 0 allows no backup at all
async def test_the_backup_limit_refuses_with_the_panels_text_and_sends_nothing(sims, vps, limit, existing):
    cv, pve = sims
    server = await normal_server(vps, cv, backups=limit)
    pve.volumes.clear()
    for n in range(existing):
        pve.add_backup(server.raw["node"], server.raw["vmid"], when=1_700_000_000 + n)
    text = f"Cannot create a new backup, this server has reached its limit of {limit} backups"
    with pytest.raises(ConflictError, match=text):
        await vps.create_image(server.id, kind=ImageKind.BACKUP)
    assert not pve_writes(pve)


async def test_the_snapshot_limit_is_kept_too(sims, vps):
    cv, pve = sims
    server = await normal_server(vps, cv, snapshots=1)
    pve.add_snapshot(server.raw["node"], server.raw["vmid"], "one")
    with pytest.raises(ConflictError, match="limit of 1 snapshots"):
        await vps.create_image(server.id)
    assert not pve_writes(pve)


@pytest.mark.parametrize(("status", "words"), [("suspended", "suspended; unsuspend it first"),
                                                ("installing", "has not finished installing"),
                                                ("restoring_backup", "a backup is being restored")])
async def test_a_server_that_is_not_normal_is_refused(sims, vps, status, words):
    cv, pve = sims
    server = await normal_server(vps, cv)
    cv.set_status(server.id, status)
    current = await vps.get_server(server.id)
    assert words in vps.missing_reason(Capability.IMAGES, current)
    with pytest.raises(ConflictError, match=words):
        await vps.create_image(server.id, kind=ImageKind.BACKUP)
    assert not pve_writes(pve)


async def test_deleting_another_servers_image_through_a_server_is_refused(sims, vps):
    cv, pve = sims
    server = await normal_server(vps, cv)
    with pytest.raises(ValidationError, match="is not one of server"):
        await vps.delete_image(f"{server.raw['node']}/{server.raw['vmid'] + 1}/before-upgrade", server_id=server.id)
    assert not pve_writes(pve)


async def test_whole_panel_listing_keeps_convoy_servers_only(sims, vps):
    cv, pve = sims
    images = await vps.list_images()
    ids = {s.id for s in await vps.list_servers()}
    assert images and all(i.server_id in ids and i.backend == "vps" for i in images)
    vm_images = {(n, v) for (n, v), g in pve.guests.items() if g.snapshots}
    assert {i.server_id for i in images if i.kind is ImageKind.SNAPSHOT} == \
        {s for s in ids if (cv.nodes[cv.servers[s]["node_id"]]["cluster"], cv.servers[s]["vmid"]) in vm_images}


async def test_read_only_refuses_images_but_lists_them(sims):
    cv, pve = sims
    ws = workspace(cv, pve, read_only=True, proxmox="pve")
    vps = ws.adapter("vps")
    server = await normal_server(vps, cv)
    with pytest.raises(ReadOnlyError):
        await vps.create_image(server.id, kind=ImageKind.BACKUP)
    assert await vps.list_images(server_id=server.id) is not None
    assert vps.missing_reason(Capability.IMAGES) == "read-only mode is on."
    assert not pve_writes(pve)
    await ws.aclose()


# metrics ----------------------------------------------------------------------------------------------------------


async def test_metrics_come_from_proxmox_rrddata(sims, vps):
    cv, pve = sims
    server = await normal_server(vps, cv)
    metrics = await vps.metrics(server.id, MetricKind.CPU, "1h")
    assert metrics.backend == "vps" and metrics.server_id == server.id and metrics.step_seconds == 60
    assert metrics.series[0].name == "cpu" and metrics.series[0].points
    rrd = next(r for r in pve.request_log if r["path"].endswith("/rrddata"))
    assert rrd["path"].endswith(f"/nodes/{server.raw['node']}/qemu/{server.raw['vmid']}/rrddata")
    call = vps.describe_call(Capability.METRICS, server)
    assert call.startswith("via Proxmox (pve): GET") and "rrddata" in call


async def test_metrics_of_a_deleting_server_are_refused(sims, vps):
    cv, _pve = sims
    server = await normal_server(vps, cv)
    cv.set_status(server.id, "deleting")
    with pytest.raises(ConflictError, match="being deleted"):
        await vps.metrics(server.id, MetricKind.CPU)


# without Proxmox, and what nobody offers ---------------------------------------------------------------------------


async def test_without_proxmox_images_and_metrics_say_how_to_join(sims):
    cv, pve = sims
    ws = workspace(cv, pve)
    vps = ws.adapter("vps")
    assert Capability.IMAGES not in vps.capabilities and Capability.METRICS not in vps.capabilities
    for capability in (Capability.IMAGES, Capability.METRICS):
        assert 'proxmox = "<name>"' in vps.missing_reason(capability)
    server = await normal_server(vps, cv)
    with pytest.raises(UnsupportedError, match="no snapshots or backups"):
        await vps.create_image(server.id)
    with pytest.raises(UnsupportedError, match="no snapshots or backups"):
        await vps.list_images(server_id=server.id)
    with pytest.raises(UnsupportedError, match="no statistics"):
        await vps.metrics(server.id, MetricKind.CPU)
    assert not pve.request_log
    await ws.aclose()


REFUSED = [
    (Capability.REBUILD, "cannot reinstall", "rebuild", ("00000000", "Debian 12")),
    (Capability.RESCUE, "no rescue system", "enable_rescue", ("00000000",)),
    (Capability.ISO, "cannot mount ISOs", "attach_iso", ("00000000", "x.iso")),
    (Capability.CHANGE_TYPE, "resize", "change_type", ("00000000", "big")),
    (Capability.BACKUPS, "no backup schedule", "set_backups", ("00000000", True)),
    (Capability.PROTECT, "no delete or rebuild protection", "set_protection", ("00000000",)),
    (Capability.LABELS, "no labels", "set_labels", ("00000000", {"a": "b"})),
    (Capability.RDNS, "reverse DNS", "set_reverse_dns", ("00000000", "203.0.113.1", "a.example")),
    (Capability.ATTACHMENTS, "no firewalls", "attachments", ("00000000",)),
]


@pytest.mark.parametrize(("capability", "words", "method", "args"), REFUSED)
async def test_what_neither_api_offers_is_refused_with_the_reason(sims, vps, capability, words, method, args):
    cv, pve = sims
    assert capability not in vps.capabilities
    assert words in vps.missing_reason(capability)
    with pytest.raises(UnsupportedError, match=words):
        await getattr(vps, method)(*args)
    assert not [r for r in cv.request_log + pve.request_log if r["method"] != "GET"]


def test_joined_capabilities_are_exactly_what_works(sims, vps):
    assert {Capability.IMAGES, Capability.METRICS} <= vps.capabilities
    assert not {Capability.REBUILD, Capability.RESCUE, Capability.ISO, Capability.CHANGE_TYPE, Capability.BACKUPS,
                Capability.PROTECT, Capability.LABELS, Capability.RDNS, Capability.ATTACHMENTS} & vps.capabilities


async def test_a_vm_locked_in_proxmox_greys_out_images(sims, vps):
    cv, pve = sims
    server = await normal_server(vps, cv)
    pve.cluster.get_vm(server.raw["node"], server.raw["vmid"]).lock = "backup"
    current = await vps.get_server(server.id)
    assert vps.missing_reason(Capability.IMAGES, current) == "server is locked in Proxmox (backup); try again when that " \
                                                              "has finished."
    with pytest.raises(ConflictError, match="locked \\(backup\\)"):
        await vps.create_image(server.id)
    assert not pve_writes(pve)
