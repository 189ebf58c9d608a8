"""The Hetzner simulator's day-2 endpoints: rescue, images, type changes, backups, protection, ISOs, reverse DNS,
metrics, and the firewalls, volumes and primary IPs a server has (shared/api/hetzner.md, the OpenAPI schema).

Rules from the schema and the API's public documentation: `change_type` needs the server off (422
`server_not_stopped`) and a type of the same architecture whose disk is at least the server's current disk
(`invalid_server_type`; a disk kept with `upgrade_disk: false` keeps a later downgrade possible); `rebuild` refuses
a rebuild-protected server (403 `protected`) and answers `root_password: null` for snapshots and backups and for
servers made with SSH keys; enabling rescue twice answers `rescue_already_enabled`, disabling it twice
`rescue_already_disabled` (409; the codes of the API's call-specific error tables); a delete-protected image is
refused (403 `protected`), a system image cannot be deleted (422 `unsupported_error`). Unverified choices: a backup
image of a server without backups answers 422 `unsupported_error`; metrics are seeded curves, not recordings.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import random
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from .hetzner import ApiError
from .hetzner import invalid
from .hetzner import labels_error
from .hetzner import new_password
from .hetzner import ts
from .server import Handler
from .server import Request
from .server import Response
from .server import Router

if TYPE_CHECKING:
    from .hetzner import HetznerSim

METRIC_SERIES = {
    "cpu": (("cpu", 4.0, 35.0),),
    "disk": (("disk.0.iops.read", 2.0, 40.0), ("disk.0.iops.write", 5.0, 80.0),
             ("disk.0.bandwidth.read", 2e4, 4e5), ("disk.0.bandwidth.write", 5e4, 9e5)),
    "network": (("network.0.pps.in", 20.0, 400.0), ("network.0.pps.out", 15.0, 300.0),
                ("network.0.bandwidth.in", 4e3, 2e5), ("network.0.bandwidth.out", 8e3, 6e5)),
}
MAX_SAMPLES, DEFAULT_SAMPLES = 500, 200
ISOS = (("virtio-win-0.1.262.iso", "virtio-win-0.1.262", None), ("debian-12.8.0-amd64-netinst.iso", "Debian 12.8 netinst",
        "x86"), ("debian-12.8.0-arm64-netinst.iso", "Debian 12.8 netinst (arm64)", "arm"),
        ("ubuntu-24.04.1-live-server-amd64.iso", "Ubuntu 24.04.1 live server", "x86"),
        ("FreeBSD-14.1-RELEASE-amd64-disc1.iso", "FreeBSD 14.1", "x86"),
        ("systemrescue-11.02-amd64.iso", "SystemRescue 11.02", "x86"))


def parse_time(raw: str | None, name: str) -> float:
    if not raw:
        raise invalid({name: [f"{name} is required (ISO 8601)"]}, 400)
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise invalid({name: [f"{name} must be an ISO 8601 timestamp"]}, 400) from None
    if when.tzinfo is None:
        raise invalid({name: [f"{name} needs a time zone"]}, 400)
    return when.timestamp()


class Day2:
    """The day-2 state (ISOs, firewalls, volumes) and handlers of one HetznerSim; it holds the simulator's lock."""

    def __init__(self, sim: HetznerSim, seed: int) -> None:
        self.sim = sim
        self.rng = random.Random(seed * 7919 + 15)   # apart from the servers' seed: their data stays as it was
        self.isos = [{"id": 8000 + n, "name": name, "description": text, "type": "public", "architecture": arch,
                      "deprecation": None} for n, (name, text, arch) in enumerate(ISOS)]
        self.firewalls: list[dict[str, Any]] = [{"id": fid, "name": name, "labels": {}, "created": ts(1650000000 + n * 9_000_000),
                           "rules": [{"direction": "in", "protocol": "tcp", "port": port, "source_ips": ["0.0.0.0/0", "::/0"],
                                      "destination_ips": [], "description": None} for port in ports]}
                          for n, (fid, name, ports) in enumerate(zip(sim.firewall_ids,
                                                                     ("web", "ssh-only", "mail"),
                                                                     (("80", "443"), ("22",), ("25", "465", "993"))))]
        self.volumes: list[dict[str, Any]] = []
        self.keyed_servers: set[int] = set()   # made with SSH keys: rebuild sets no password
        self._volume_id = 100_000_000

    # ------------------------------------------------------------------ seed

    def seed_volumes(self, servers: list[dict[str, Any]]) -> None:
        for server in servers:
            if self.rng.random() < 0.08:
                self.add_volume(server, size=self.rng.choice((10, 20, 50, 100, 250)))

    def add_volume(self, server: dict[str, Any], *, size: int) -> dict[str, Any]:
        self._volume_id += 1 + self.rng.randrange(50)
        vid = self._volume_id
        volume = {"id": vid, "name": f"{server['name'].split('.')[0]}-data-{len(server['volumes']) + 1}",
                  "created": server["created"], "format": "ext4", "labels": dict(server["labels"]),
                  "linux_device": f"/dev/disk/by-id/scsi-0HC_Volume_{vid}", "location": server["location"],
                  "protection": {"delete": False}, "server": server["id"], "size": size, "status": "available"}
        self.volumes.append(volume)
        server["volumes"].append(vid)
        return volume

    # ------------------------------------------------------------------ routes

    def routes(self, r: Router[Handler]) -> None:
        s = self.sim
        r.add("DELETE", "/images/{id}", self.delete_image)
        r.add("GET", "/isos", self.list_isos)
        r.add("GET", "/isos/{id}", lambda q: s.get_item(q, "iso", self.isos))
        r.add("GET", "/servers/{id}/metrics", self.metrics)
        r.add("GET", "/firewalls", lambda q: s.list_items(q, "firewalls", self.firewall_list(), ("id", "name", "created")))
        r.add("GET", "/firewalls/{id}", lambda q: s.get_item(q, "firewall", self.firewall_list()))
        r.add("GET", "/volumes", self.list_volumes)
        r.add("GET", "/volumes/{id}", lambda q: s.get_item(q, "volume", self.volumes))
        r.add("GET", "/primary_ips", self.list_primary_ips)
        r.add("GET", "/primary_ips/{id}", lambda q: s.get_item(q, "primary_ip", self.primary_ips()))

    # ------------------------------------------------------------------ server actions

    def action(self, name: str, server: dict[str, Any], req: Request) -> Response:
        """POST /servers/{id}/actions/{name} for the day-2 actions (checked: the server exists)."""
        s = self.sim
        body = s.read_body(req)
        handler: Callable[[dict[str, Any], dict[str, Any]], Response] = getattr(self, f"_{name}")
        return handler(server, body)

    def _set_later(self, command: str, server: dict[str, Any], fields: dict[str, Any], **answer: Any) -> Response:
        """Start `command` (the answer: its action and `answer`); when it succeeds, the server's `fields` are set."""
        def done() -> None:
            server.update(fields)
            self.sim.touch(server)

        return Response.json(201, {"action": self._start(command, server, on_success=done), **answer})

    def _start(self, command: str, server: dict[str, Any], *, on_success: Callable[[], None] | None = None,
               on_error: Callable[[], None] | None = None) -> dict[str, Any]:
        self.sim.touch(server)
        return self.sim.start_job(command, server["id"], self.sim.clock(), on_success=on_success, on_error=on_error)

    def _enable_rescue(self, server: dict[str, Any], body: dict[str, Any]) -> Response:
        kind = body.get("type", "linux64")
        keys = body.get("ssh_keys") or []
        errors: dict[str, list[str]] = {}
        if kind != "linux64":
            errors["type"] = ["type must be linux64"]
        if not isinstance(keys, list) or any(self.sim.lookup(self.sim.ssh_keys, k) is None for k in keys):
            errors["ssh_keys"] = ["ssh_keys must be a list of existing SSH key IDs"]
        if errors:
            raise invalid(errors)
        if server["rescue_enabled"]:
            raise ApiError(409, "rescue_already_enabled", "rescue mode is already enabled for this server")
        self.sim.check_unlocked(server)
        return self._set_later("enable_rescue", server, {"rescue_enabled": True}, root_password=new_password())

    def _disable_rescue(self, server: dict[str, Any], body: dict[str, Any]) -> Response:
        if not server["rescue_enabled"]:
            raise ApiError(409, "rescue_already_disabled", "rescue mode is already disabled for this server")
        self.sim.check_unlocked(server)
        return self._set_later("disable_rescue", server, {"rescue_enabled": False})

    def _create_image(self, server: dict[str, Any], body: dict[str, Any]) -> Response:
        kind = body.get("type", "snapshot")
        description = body.get("description")
        errors: dict[str, list[str]] = {}
        if kind not in ("snapshot", "backup"):
            errors["type"] = ["type must be snapshot or backup"]
        if description is not None and not isinstance(description, str):
            errors["description"] = ["description must be a string"]
        if "labels" in body and (message := labels_error(body["labels"])):
            errors["labels"] = [message]
        if errors:
            raise invalid(errors)
        if kind == "backup" and not server["backup_window"]:
            raise ApiError(422, "unsupported_error", "backups are not enabled for this server: enable them first")
        self.sim.check_unlocked(server)
        now = self.sim.clock()
        source = server["image"] or {}
        size = round(float(server["primary_disk_size"]) * (0.05 + self.rng.random() * 0.2), 2)
        image: dict[str, Any] = {
            "id": self.sim.next_image_id(), "type": kind, "status": "creating", "name": None,
            "description": description or f"{server['name']}-{ts(now).replace(':', '')}",
            "image_size": None, "disk_size": server["primary_disk_size"], "created": ts(now),
            "created_from": {"id": server["id"], "name": server["name"]},
            "bound_to": server["id"] if kind == "backup" else None, "os_flavor": source.get("os_flavor", "unknown"),
            "os_version": source.get("os_version"), "architecture": server["server_type"]["architecture"],
            "rapid_deploy": False, "protection": {"delete": False}, "deprecated": None, "deleted": None,
            "labels": dict(body.get("labels") or {})}
        self.sim.images.append(image)

        def done() -> None:
            image["status"], image["image_size"] = "available", size

        def failed() -> None:
            if image in self.sim.images:
                self.sim.images.remove(image)

        action = self._start("create_image", server, on_success=done, on_error=failed)
        action["resources"].append({"id": image["id"], "type": "image"})
        return Response.json(201, {"action": action, "image": image})

    def _change_type(self, server: dict[str, Any], body: dict[str, Any]) -> Response:
        errors: dict[str, list[str]] = {}
        stype = self.sim.lookup(self.sim.server_types, body.get("server_type"))
        if stype is None:
            errors["server_type"] = ["server_type is required" if "server_type" not in body
                                     else f"unknown server type {body.get('server_type')!r}"]
        if not isinstance(body.get("upgrade_disk"), bool):
            errors["upgrade_disk"] = ["upgrade_disk is required and must be a boolean"]
        if errors:
            raise invalid(errors)
        assert stype is not None
        current = server["server_type"]
        location = server["location"]["name"]
        why = ("it is deprecated" if stype["deprecated"] else
               "it is the server's type already" if stype["id"] == current["id"] else
               f"its architecture is {stype['architecture']}, the server's {current['architecture']}"
               if stype["architecture"] != current["architecture"] else
               f"its storage is {stype['storage_type']}, the server's {current['storage_type']}"
               if stype["storage_type"] != current["storage_type"] else
               f"its disk ({stype['disk']} GB) is smaller than the server's ({server['primary_disk_size']} GB)"
               if stype["disk"] < server["primary_disk_size"] else
               f"it is not available in {location}" if not self.sim.available(stype, location) else "")
        if why:
            raise ApiError(422, "invalid_server_type", f"server type {stype['name']} does not fit this server: {why}")
        if server["status"] != "off":
            raise ApiError(422, "server_not_stopped", "the server must be stopped to change its type")
        self.sim.check_unlocked(server)
        upgrade = bool(body["upgrade_disk"])

        def done() -> None:
            server["server_type"] = stype
            if upgrade:
                server["primary_disk_size"] = int(stype["disk"])
            server["included_traffic"] = next((p["included_traffic"] for p in stype["prices"]
                                               if p["location"] == location), server["included_traffic"])
            self.sim.set_status(server, "running")   # "copies the content of its disk, and starts it again"

        self.sim.set_status(server, "migrating")
        action = self._start("change_server_type", server, on_success=done,
                             on_error=lambda: self.sim.set_status(server, "off"))
        return Response.json(201, {"action": action})

    def _disable_backup(self, server: dict[str, Any], body: dict[str, Any]) -> Response:
        self.sim.check_unlocked(server)

        def done() -> None:
            server["backup_window"] = None
            self.sim.images[:] = [i for i in self.sim.images if not (i["type"] == "backup" and i["bound_to"] == server["id"])]
            self.sim.touch(server)

        return Response.json(201, {"action": self._start("disable_backup", server, on_success=done)})

    def _change_protection(self, server: dict[str, Any], body: dict[str, Any]) -> Response:
        bad = [k for k in ("delete", "rebuild") if k in body and not isinstance(body[k], bool)]
        if bad:
            raise invalid({k: [f"{k} must be a boolean"] for k in bad})
        self.sim.check_unlocked(server)
        wanted = {k: body[k] for k in ("delete", "rebuild") if k in body}
        return self._set_later("change_protection", server, {"protection": {**server["protection"], **wanted}})

    def _attach_iso(self, server: dict[str, Any], body: dict[str, Any]) -> Response:
        iso = self.sim.lookup(self.isos, body.get("iso"))
        if iso is None:
            raise invalid({"iso": ["iso is required" if "iso" not in body else f"unknown ISO {body.get('iso')!r}"]})
        if iso["architecture"] not in (None, server["server_type"]["architecture"]):
            raise invalid({"iso": [f"ISO architecture {iso['architecture']} does not match the server's"]})
        self.sim.check_unlocked(server)
        return self._set_later("attach_iso", server, {"iso": iso})

    def _detach_iso(self, server: dict[str, Any], body: dict[str, Any]) -> Response:
        self.sim.check_unlocked(server)
        return self._set_later("detach_iso", server, {"iso": None})

    def _change_dns_ptr(self, server: dict[str, Any], body: dict[str, Any]) -> Response:
        ip, ptr = body.get("ip"), body.get("dns_ptr", "")
        errors: dict[str, list[str]] = {}
        if "dns_ptr" not in body:
            errors["dns_ptr"] = ["dns_ptr is required (null resets it)"]
        elif ptr is not None and (not isinstance(ptr, str) or not ptr or len(ptr) > 255):
            errors["dns_ptr"] = ["dns_ptr must be a host name or null"]
        family = self._ip_family(server, ip)
        if family is None:
            errors["ip"] = [f"{ip!r} is not a primary IP of this server"]
        if errors:
            raise invalid(errors)
        self.sim.check_unlocked(server)
        public = server["public_net"]

        def done() -> None:
            if family == "ipv4":
                public["ipv4"]["dns_ptr"] = ptr if ptr is not None else self._default_ptr(public["ipv4"]["ip"])
            else:
                entries = [e for e in public["ipv6"]["dns_ptr"] if e["ip"] != ip]
                if ptr is not None:
                    entries.append({"ip": ip, "dns_ptr": ptr})
                public["ipv6"]["dns_ptr"] = entries
            self.sim.touch(server)

        return Response.json(201, {"action": self._start("change_dns_ptr", server, on_success=done)})

    @staticmethod
    def _default_ptr(ip: str) -> str:
        return f"static.{'.'.join(reversed(ip.split('.')))}.clients.your-server.de"

    @staticmethod
    def _ip_family(server: dict[str, Any], ip: Any) -> str | None:
        if not isinstance(ip, str):
            return None
        public = server["public_net"]
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        if public["ipv4"] and address.version == 4 and ip == public["ipv4"]["ip"]:
            return "ipv4"
        if public["ipv6"] and address.version == 6 and address in ipaddress.ip_network(public["ipv6"]["ip"]):
            return "ipv6"
        return None

    def rebuild_password(self, server: dict[str, Any], image: dict[str, Any]) -> str | None:
        """None where the API sets none: a snapshot or backup keeps its own, a server made with SSH keys uses them."""
        if image.get("type") in ("snapshot", "backup") or server["id"] in self.keyed_servers:
            return None
        return new_password()

    # ------------------------------------------------------------------ images

    def delete_image(self, req: Request) -> Response:
        image = self.sim.lookup(self.sim.images, self.sim.int_id(req.params["id"], "image"))
        if image is None:
            raise ApiError(404, "not_found", f"image with ID '{req.params['id']}' not found")
        if image["type"] not in ("snapshot", "backup"):
            raise ApiError(422, "unsupported_error", "only snapshot and backup images can be deleted")
        if image["protection"]["delete"]:
            raise ApiError(403, "protected", "image deletion is protected; disable the protection first")
        self.sim.images.remove(image)
        return Response(204, b"", None)

    # ------------------------------------------------------------------ lists

    def list_isos(self, req: Request) -> Response:
        items = self.isos
        arch = req.arg("architecture")
        if arch:
            wildcard = (req.arg("include_architecture_wildcard") or "false").lower() == "true"
            items = [i for i in items if i["architecture"] == arch or (wildcard and i["architecture"] is None)]
        # `sort` is not in the schema's parameters, but the hcloud CLI sends it (`iso list`): the API takes it
        return self.sim.list_items(req, "isos", items, ("id", "name"))

    def firewall_list(self) -> list[dict[str, Any]]:
        applied: dict[int, list[dict[str, Any]]] = {f["id"]: [] for f in self.firewalls}
        for server in self.sim.servers.values():
            for fw in server["public_net"]["firewalls"]:
                applied.setdefault(fw["id"], []).append({"type": "server", "server": {"id": server["id"]}})
        return [{**f, "applied_to": applied[f["id"]]} for f in self.firewalls]

    def list_volumes(self, req: Request) -> Response:
        statuses = self.sim.multi(req, "status")
        items = [v for v in self.volumes if not statuses or v["status"] in statuses]
        return self.sim.list_items(req, "volumes", items, ("id", "name", "created"))

    def primary_ips(self) -> list[dict[str, Any]]:
        found = []
        for server in self.sim.servers.values():
            for kind in ("ipv4", "ipv6"):
                ip = server["public_net"][kind]
                if not ip:
                    continue
                ptr = [{"ip": ip["ip"], "dns_ptr": ip["dns_ptr"]}] if kind == "ipv4" else list(ip["dns_ptr"])
                found.append({"id": ip["id"], "name": f"primary_ip-{ip['id']}", "ip": ip["ip"], "type": kind,
                              "assignee_id": server["id"], "assignee_type": "server", "auto_delete": True,
                              "blocked": ip["blocked"], "created": server["created"], "dns_ptr": ptr, "labels": {},
                              "location": server["location"], "protection": {"delete": False}})
        return found

    def list_primary_ips(self, req: Request) -> Response:
        items = self.primary_ips()
        ip = req.arg("ip")
        if ip:
            items = [i for i in items if i["ip"] == ip]
        return self.sim.list_items(req, "primary_ips", items, ("id", "created"))

    # ------------------------------------------------------------------ metrics

    def metrics(self, req: Request) -> Response:
        server = self.sim.find(req.params["id"])
        kinds = list(dict.fromkeys(self.sim.multi(req, "type")))
        if not kinds or any(k not in METRIC_SERIES for k in kinds):
            raise invalid({"type": ["type must be one or more of cpu, disk, network"]}, 400)
        start, end = parse_time(req.arg("start"), "start"), parse_time(req.arg("end"), "end")
        if end <= start:
            raise invalid({"end": ["end must be after start"]}, 400)
        raw_step = req.arg("step")
        try:
            step = max(1, int(float(raw_step))) if raw_step else max(1, math.ceil((end - start) / DEFAULT_SAMPLES))
        except ValueError:
            raise invalid({"step": ["step must be a number of seconds"]}, 400) from None
        step = max(step, math.ceil((end - start) / MAX_SAMPLES))
        first = math.ceil(start / step) * step
        stamps = [float(t) for t in range(int(first), int(end) + 1, step)]
        series: dict[str, Any] = {}
        for kind in sorted(kinds):
            for name, floor, peak in METRIC_SERIES[kind]:
                series[name] = {"values": [[t, self._sample(server, name, t, floor, peak)] for t in stamps]}
        return Response.json(200, {"metrics": {"start": ts(start), "end": ts(end), "step": step, "time_series": series}})

    @staticmethod
    def _sample(server: dict[str, Any], name: str, when: float, floor: float, peak: float) -> str:
        """A day-shaped curve with noise, the same for the same server, series and time; zero while it is off."""
        if server["status"] == "off":
            return "0"
        digest = hashlib.blake2b(f"{server['id']}:{name}:{int(when) // 60}".encode(), digest_size=4).digest()
        noise = int.from_bytes(digest, "big") / 2 ** 32
        day = (math.sin((when % 86400) / 86400 * 2 * math.pi - 1.2) + 1) / 2
        value = floor + (peak - floor) * (0.7 * day + 0.3 * noise)
        return f"{min(value, 100.0) if name == 'cpu' else value:.3f}".rstrip("0").rstrip(".")
