"""The Hetzner simulator's day-2 endpoints over real loopback sockets: the schema, and the API's status rules."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from hostdeck.backends.sim.hetzner import HetznerSim
from tests.integration.test_hetzner_sim import READONLY
from tests.integration.test_hetzner_sim import FakeClock
from tests.integration.test_hetzner_sim import assert_error
from tests.integration.test_hetzner_sim import client
from tests.integration.test_hetzner_sim import running_server
from tests.integration.test_hetzner_sim import schema_check  # noqa: F401 - a fixture
from tests.integration.test_hetzner_sim import sim  # noqa: F401 - a fixture

A = 10.0  # the action_seconds of the `sim` fixture


def off_server(sim: HetznerSim) -> int:
    """A stopped x86 server in the EU (where cx52 is sold) of a type still sold, with a disk smaller than cx52's."""
    return next(i for i, s in sim.servers.items() if s["status"] == "off" and s["server_type"]["architecture"] == "x86"
                and not s["server_type"]["deprecated"] and s["primary_disk_size"] < 320
                and s["location"]["name"] in ("fsn1", "nbg1", "hel1") and not s["protection"]["delete"])


def iso_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def test_day2_endpoints_match_the_openapi_schema(schema_check):  # noqa: F811
    s = HetznerSim(servers=80, seed=2, action_seconds=A)
    s.clock = FakeClock()
    with s, client(s) as c:
        sid = running_server(s)
        off = off_server(s)
        rescue = c.post(f"/servers/{sid}/actions/enable_rescue", json={"type": "linux64", "ssh_keys": [s.ssh_keys[0]["id"]]})
        assert rescue.status_code == 201, rescue.text
        schema_check("enable_rescue_mode_for_server", rescue)
        s.clock.advance(A)
        schema_check("disable_rescue_mode_for_server", c.post(f"/servers/{sid}/actions/disable_rescue"))
        s.clock.advance(A)
        image = c.post(f"/servers/{sid}/actions/create_image", json={"description": "before", "labels": {"k": "v"}})
        assert image.status_code == 201, image.text
        schema_check("create_image_from_server", image)
        s.clock.advance(A)
        schema_check("change_type_of_server", c.post(f"/servers/{off}/actions/change_type",
                                                     json={"server_type": "cx52", "upgrade_disk": False}))
        for name, op in (("enable_backup", "enable_and_configure_backups_for_server"),
                         ("disable_backup", "disable_backups_for_server")):
            schema_check(op, c.post(f"/servers/{sid}/actions/{name}"))
            s.clock.advance(A)
        schema_check("change_server_protection", c.post(f"/servers/{sid}/actions/change_protection",
                                                        json={"delete": True, "rebuild": True}))
        s.clock.advance(A)
        schema_check("attach_iso_to_server", c.post(f"/servers/{sid}/actions/attach_iso", json={"iso": "systemrescue-11.02-amd64.iso"}))
        s.clock.advance(A)
        schema_check("get_server", c.get(f"/servers/{sid}"))  # with an ISO
        schema_check("detach_iso_from_server", c.post(f"/servers/{sid}/actions/detach_iso"))
        s.clock.advance(A)
        ip = s.servers[sid]["public_net"]["ipv4"]["ip"]
        schema_check("change_reverse_dns_entry_for_this_server",
                     c.post(f"/servers/{sid}/actions/change_dns_ptr", json={"ip": ip, "dns_ptr": "a.example.com"}))
        now = s.clock.now
        metrics = c.get(f"/servers/{sid}/metrics", params={"type": "cpu,disk,network", "start": iso_time(now - 3600),
                                                         "end": iso_time(now)})
        schema_check("get_metrics_for_server", metrics)
        schema_check("list_images", c.get("/images", params={"type": "snapshot", "per_page": 50}))
        schema_check("delete_image", c.delete(f"/images/{s.images[0]['id']}"))   # a system image: the error schema
        schema_check("list_isos", c.get("/isos"))
        schema_check("get_iso", c.get("/isos/8000"))
        schema_check("list_firewalls", c.get("/firewalls"))
        schema_check("get_firewall", c.get(f"/firewalls/{s.firewall_ids[0]}"))
        schema_check("list_volumes", c.get("/volumes", params={"per_page": 50}))
        schema_check("list_primary_ips", c.get("/primary_ips", params={"per_page": 50}))
        schema_check("get_primary_ip", c.get(f"/primary_ips/{s.servers[sid]['public_net']['ipv4']['id']}"))
        schema_check("get_metrics_for_server", c.get(f"/servers/{sid}/metrics", params={"type": "cpu"}))  # error


def test_rescue_twice_is_a_conflict_and_the_flag_follows_the_action(sim):
    sid = running_server(sim)
    with client(sim) as c:
        first = c.post(f"/servers/{sid}/actions/enable_rescue", json={"type": "linux64"}).json()
        assert first["action"]["command"] == "enable_rescue" and len(first["root_password"]) >= 16
        assert c.get(f"/servers/{sid}").json()["server"]["rescue_enabled"] is False   # only once the action succeeds
        sim.clock.advance(A)
        assert c.get(f"/servers/{sid}").json()["server"]["rescue_enabled"] is True
        assert_error(c.post(f"/servers/{sid}/actions/enable_rescue", json={}), 409, "rescue_already_enabled")
        assert_error(c.post(f"/servers/{sid}/actions/enable_rescue", json={"type": "freebsd64"}), 422, "invalid_input")
        assert c.post(f"/servers/{sid}/actions/disable_rescue").status_code == 201
        sim.clock.advance(A)
        assert c.get(f"/servers/{sid}").json()["server"]["rescue_enabled"] is False
        assert_error(c.post(f"/servers/{sid}/actions/disable_rescue"), 409, "rescue_already_disabled")
        assert_error(c.post(f"/servers/{sid}/actions/enable_rescue", json={"ssh_keys": [1]}), 422, "invalid_input")


def test_change_type_needs_the_server_off_and_a_disk_at_least_as_big(sim):
    running, off = running_server(sim), off_server(sim)
    disk, original = sim.servers[off]["primary_disk_size"], sim.servers[off]["server_type"]["name"]
    smaller = next(t["name"] for t in sim.server_types if t["architecture"] == "x86" and t["disk"] < disk
                   and not t["deprecated"]) if disk > 40 else None
    with client(sim) as c:
        body = {"server_type": "cx52", "upgrade_disk": False}
        assert_error(c.post(f"/servers/{running}/actions/change_type", json=body), 422, "server_not_stopped")
        assert_error(c.post(f"/servers/{off}/actions/change_type", json={"server_type": "cx52"}), 422, "invalid_input")
        assert_error(c.post(f"/servers/{off}/actions/change_type", json={"server_type": "cax41", "upgrade_disk": False}),
                     422, "invalid_server_type")   # arm
        assert_error(c.post(f"/servers/{off}/actions/change_type", json={"server_type": "cpx11", "upgrade_disk": False}),
                     422, "invalid_server_type")   # deprecated
        if smaller:
            assert_error(c.post(f"/servers/{off}/actions/change_type", json={"server_type": smaller, "upgrade_disk": False}),
                         422, "invalid_server_type")
        r = c.post(f"/servers/{off}/actions/change_type", json=body)
        assert r.status_code == 201 and r.json()["action"]["command"] == "change_server_type"
        assert c.get(f"/servers/{off}").json()["server"]["status"] == "migrating"
        sim.clock.advance(A)
        server = c.get(f"/servers/{off}").json()["server"]
        assert server["server_type"]["name"] == "cx52" and server["primary_disk_size"] == disk   # disk kept
        assert server["status"] == "running"
        c.post(f"/servers/{off}/actions/poweroff")
        sim.clock.advance(A)
        r = c.post(f"/servers/{off}/actions/change_type", json={"server_type": original, "upgrade_disk": True})
        assert r.status_code == 201, r.text   # the kept disk allows the way back
        sim.clock.advance(A)
        assert c.get(f"/servers/{off}").json()["server"]["server_type"]["name"] == original


def test_rebuild_refuses_protected_and_has_no_password_for_a_snapshot(sim):
    sid = running_server(sim)
    protected = running_server(sim, protected=True)
    with client(sim) as c:
        assert_error(c.post(f"/servers/{protected}/actions/rebuild", json={"image": "debian-12"}), 403, "protected")
        snapshot = next(i for i in sim.images if i["type"] == "snapshot")
        r = c.post(f"/servers/{sid}/actions/rebuild", json={"image": str(snapshot["id"])})
        assert r.status_code == 201 and r.json()["root_password"] is None


def test_create_list_and_delete_images(sim):
    sid = running_server(sim)
    sim.servers[sid]["backup_window"] = None
    with client(sim) as c:
        made = c.post(f"/servers/{sid}/actions/create_image", json={"description": "pre-upgrade", "type": "snapshot"}).json()
        image = made["image"]
        assert image["status"] == "creating" and image["created_from"]["id"] == sid and image["description"] == "pre-upgrade"
        assert {"id": image["id"], "type": "image"} in made["action"]["resources"]
        sim.clock.advance(A)
        listed = c.get("/images", params={"type": "snapshot", "per_page": 50}).json()["images"]
        assert any(i["id"] == image["id"] and i["status"] == "available" and i["image_size"] for i in listed)
        assert_error(c.post(f"/servers/{sid}/actions/create_image", json={"type": "backup"}), 422, "unsupported_error")
        c.post(f"/servers/{sid}/actions/enable_backup")
        sim.clock.advance(A)
        backup = c.post(f"/servers/{sid}/actions/create_image", json={"type": "backup"}).json()["image"]
        sim.clock.advance(A)
        bound = c.get("/images", params={"type": "backup", "bound_to": str(sid)}).json()["images"]
        assert [i["id"] for i in bound] == [backup["id"]]
        sim.images[-1]["protection"]["delete"] = True
        assert_error(c.delete(f"/images/{backup['id']}"), 403, "protected")
        sim.images[-1]["protection"]["delete"] = False
        assert c.delete(f"/images/{image['id']}").status_code == 204
        assert_error(c.get(f"/images/{image['id']}"), 404, "not_found")
        assert_error(c.delete(f"/images/{sim.images[0]['id']}"), 422, "unsupported_error")   # a system image
        c.post(f"/servers/{sid}/actions/disable_backup")
        sim.clock.advance(A)
        sim.advance()
        assert sim.servers[sid]["backup_window"] is None
        assert c.get("/images", params={"type": "backup", "bound_to": str(sid)}).json()["images"] == []


def test_protection_iso_and_reverse_dns(sim):
    sid = running_server(sim)
    with client(sim) as c:
        c.post(f"/servers/{sid}/actions/change_protection", json={"delete": True})
        sim.clock.advance(A)
        sim.advance()
        assert sim.servers[sid]["protection"] == {"delete": True, "rebuild": False}
        assert_error(c.post(f"/servers/{sid}/actions/change_protection", json={"delete": "yes"}), 422, "invalid_input")
        isos = c.get("/isos", params={"architecture": "x86", "include_architecture_wildcard": "true"}).json()["isos"]
        assert "virtio-win-0.1.262.iso" in {i["name"] for i in isos}
        assert_error(c.post(f"/servers/{sid}/actions/attach_iso", json={"iso": "nope.iso"}), 422, "invalid_input")
        c.post(f"/servers/{sid}/actions/attach_iso", json={"iso": "8004"})
        sim.clock.advance(A)
        assert c.get(f"/servers/{sid}").json()["server"]["iso"]["name"] == "FreeBSD-14.1-RELEASE-amd64-disc1.iso"
        c.post(f"/servers/{sid}/actions/detach_iso")
        sim.clock.advance(A)
        sim.advance()
        assert sim.servers[sid]["iso"] is None
        public = sim.servers[sid]["public_net"]
        ip4, default = public["ipv4"]["ip"], public["ipv4"]["dns_ptr"]
        c.post(f"/servers/{sid}/actions/change_dns_ptr", json={"ip": ip4, "dns_ptr": "mail.example.com"})
        sim.clock.advance(A)
        sim.advance()
        assert public["ipv4"]["dns_ptr"] == "mail.example.com"
        c.post(f"/servers/{sid}/actions/change_dns_ptr", json={"ip": ip4, "dns_ptr": None})
        sim.clock.advance(A)
        sim.advance()
        assert public["ipv4"]["dns_ptr"].endswith(".clients.your-server.de") or public["ipv4"]["dns_ptr"] == default
        ip6 = public["ipv6"]["ip"].replace("::/64", "::1")
        c.post(f"/servers/{sid}/actions/change_dns_ptr", json={"ip": ip6, "dns_ptr": "v6.example.com"})
        sim.clock.advance(A)
        sim.advance()
        assert {"ip": ip6, "dns_ptr": "v6.example.com"} in public["ipv6"]["dns_ptr"]
        assert_error(c.post(f"/servers/{sid}/actions/change_dns_ptr", json={"ip": "192.0.2.1", "dns_ptr": "x.example"}),
                     422, "invalid_input")


def test_metrics_values_are_strings_with_at_most_500_samples(sim):
    sid = running_server(sim)
    now = sim.clock.now
    with client(sim) as c:
        doc = c.get(f"/servers/{sid}/metrics", params={"type": "network", "start": iso_time(now - 86400),
                                                      "end": iso_time(now)}).json()["metrics"]
        assert set(doc["time_series"]) == {"network.0.pps.in", "network.0.pps.out", "network.0.bandwidth.in",
                                           "network.0.bandwidth.out"}
        values = doc["time_series"]["network.0.bandwidth.in"]["values"]
        assert 150 <= len(values) <= 200 and doc["step"] == 432
        assert all(isinstance(t, float) and isinstance(v, str) and float(v) > 0 for t, v in values)
        week = c.get(f"/servers/{sid}/metrics", params=[("type", "cpu"), ("start", iso_time(now - 7 * 86400)),
                                                        ("end", iso_time(now)), ("step", "60")]).json()["metrics"]
        assert len(week["time_series"]["cpu"]["values"]) <= 501 and week["step"] >= 1209
        assert all(0 <= float(v) <= 100 for _, v in week["time_series"]["cpu"]["values"])
        assert_error(c.get(f"/servers/{sid}/metrics", params={"type": "gpu", "start": iso_time(now - 60),
                                                              "end": iso_time(now)}), 400, "invalid_input")


def test_firewalls_volumes_and_primary_ips_name_their_server(sim):
    with client(sim) as c:
        firewalls = c.get("/firewalls").json()["firewalls"]
        applied = {r["server"]["id"] for f in firewalls for r in f["applied_to"]}
        assert applied == {sid for sid, s in sim.servers.items() if s["public_net"]["firewalls"]}
        volumes = c.get("/volumes", params={"per_page": 50}).json()["volumes"]
        assert volumes and all(v["id"] in sim.servers[v["server"]]["volumes"] for v in volumes)
        sid = running_server(sim)
        ip = sim.servers[sid]["public_net"]["ipv4"]["ip"]
        (primary,) = c.get("/primary_ips", params={"ip": ip}).json()["primary_ips"]
        assert primary["assignee_id"] == sid and primary["type"] == "ipv4"


def test_read_only_token_is_forbidden_on_every_day2_write(sim):
    sid = running_server(sim)
    before = (sim.servers[sid]["rescue_enabled"], dict(sim.servers[sid]["labels"]), len(sim.images))
    with client(sim, token=READONLY) as ro:
        for name in ("enable_rescue", "disable_rescue", "create_image", "change_type", "enable_backup", "disable_backup",
                     "change_protection", "attach_iso", "detach_iso", "change_dns_ptr", "rebuild"):
            assert_error(ro.post(f"/servers/{sid}/actions/{name}", json={}), 403, "forbidden")
        assert_error(ro.put(f"/servers/{sid}", json={"labels": {}}), 403, "forbidden")
        assert_error(ro.delete(f"/images/{sim.images[-1]['id']}"), 403, "forbidden")
        assert ro.get(f"/servers/{sid}/metrics", params={"type": "cpu", "start": iso_time(sim.clock.now - 60),
                                                         "end": iso_time(sim.clock.now)}).status_code == 200
    sim.clock.advance(A)
    sim.advance()
    assert (sim.servers[sid]["rescue_enabled"], sim.servers[sid]["labels"], len(sim.images)) == before


@pytest.mark.skipif(shutil.which("hcloud") is None, reason="the hcloud CLI is not installed")
def test_the_hcloud_cli_drives_the_day2_endpoints():
    """The official CLI as a client: it looks names up, sends IDs and follows the actions to their end."""
    with HetznerSim(servers=30, seed=15, action_seconds=0.1) as s:
        env = dict(os.environ, HCLOUD_ENDPOINT=s.base_url, HCLOUD_TOKEN="demo-hetzner-token")

        def hcloud(*args: str) -> str:
            proc = subprocess.run(["hcloud", *args], env=env, capture_output=True, text=True, timeout=60)
            assert proc.returncode == 0, (args, proc.stdout + proc.stderr)
            return proc.stdout

        sid = off_server(s)
        name = s.servers[sid]["name"]
        assert "root password" in hcloud("server", "enable-rescue", name, "--ssh-key", "ops-key")
        hcloud("server", "change-type", name, "cx52", "--keep-disk")
        hcloud("server", "add-label", name, "tier=gold")
        hcloud("server", "enable-protection", name, "delete")
        hcloud("server", "attach-iso", name, "systemrescue-11.02-amd64.iso")
        assert "systemrescue" in hcloud("iso", "list")
        assert "cpu" in hcloud("server", "metrics", "--type", "cpu", name).lower()
        s.advance()
        server = s.servers[sid]
        assert server["rescue_enabled"] and server["server_type"]["name"] == "cx52" and server["labels"]["tier"] == "gold"
        assert server["protection"]["delete"] and server["iso"]["name"] == "systemrescue-11.02-amd64.iso"
