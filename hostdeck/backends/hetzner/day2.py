"""Hetzner's day-2 operations: rescue, rebuild, images, type changes, backups, protection, labels, ISOs, reverse DNS,
metrics and what is attached to a server. `HetznerAdapter` inherits them; the calls are in `api.Day2Client`.

Every mutation asks `_require` first, so read-only mode refuses before anything is sent."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..adapter_base.http_adapter import HttpAdapter
from ..contract import Capability
from ..contract import ProgressFn
from ..errors import BackendError
from ..errors import ConflictError
from ..errors import NotFoundError
from ..errors import PermissionDenied
from ..errors import ValidationError
from ..models import ActionResult
from ..models import CatalogKind
from ..models import SecretResult
from ..models import Server
from ..operations import PERIODS
from ..operations import Attachment
from ..operations import Image
from ..operations import ImageKind
from ..operations import MetricKind
from ..operations import Metrics
from ..operations import MetricSeries
from ..operations import ServerAttachments
from ..operations import TypeChoice
from ..validate import check_labels
from . import parse
from .api import ActionsClient
from .api import Day2Client
from .api import ServersClient

UNITS = {"cpu": "percent", "iops": "iops", "bandwidth": "bytes/s", "pps": "packets/s"}
RESCUE_NOTE = ("the rescue system starts at the next reboot (reboot the server now to enter it); it is switched off "
               "again after its first boot or 60 minutes unused.")
# The API call of each day-2 action, by the catalogue's action id (the action menu passes it as `variant`).
CALLS = {
    "rescue_enable": "POST /servers/{id}/actions/enable_rescue",
    "rescue_disable": "POST /servers/{id}/actions/disable_rescue",
    "rebuild": "POST /servers/{id}/actions/rebuild",
    "image_create": "POST /servers/{id}/actions/create_image",
    "image_list": "GET /images?type=snapshot, ?type=backup",
    "image_delete": "DELETE /images/{image}",
    "change_type": "POST /servers/{id}/actions/change_type (GET /server_types for the choices)",
    "backups_enable": "POST /servers/{id}/actions/enable_backup",
    "backups_disable": "POST /servers/{id}/actions/disable_backup",
    "protect": "POST /servers/{id}/actions/change_protection",
    "labels": "PUT /servers/{id} (labels, merged with the current ones)",
    "iso_attach": "POST /servers/{id}/actions/attach_iso",
    "iso_detach": "POST /servers/{id}/actions/detach_iso",
    "rdns": "POST /servers/{id}/actions/change_dns_ptr",
    "metrics": "GET /servers/{id}/metrics",
    "attachments": "GET /servers/{id}, /firewalls/{id}, /volumes/{id}",
}
BY_CAPABILITY = {Capability.RESCUE: "rescue_enable", Capability.REBUILD: "rebuild", Capability.IMAGES: "image_create",
                 Capability.CHANGE_TYPE: "change_type", Capability.BACKUPS: "backups_enable",
                 Capability.PROTECT: "protect", Capability.LABELS: "labels", Capability.ISO: "iso_attach",
                 Capability.RDNS: "rdns", Capability.METRICS: "metrics", Capability.ATTACHMENTS: "attachments"}
DAY2_CAPABILITIES = frozenset(BY_CAPABILITY)


def day2_call(capability: Capability, server_id: str, variant: str | None) -> str:
    """The API call of a day-2 action (`variant`: the catalogue's action id), "" for other capabilities."""
    key = variant if variant in CALLS else BY_CAPABILITY.get(capability)
    return CALLS[key].replace("{id}", server_id) if key else ""


def parse_image(backend: str, raw: dict[str, Any]) -> Image:
    try:
        kind = ImageKind(str(raw.get("type") or "snapshot"))
    except ValueError:
        kind = ImageKind.SYSTEM
    source = raw.get("created_from") or {}
    size = raw.get("image_size")
    return Image(backend=backend, id=str(raw.get("id")), name=str(raw.get("name") or raw.get("description") or raw.get("id")),
                 kind=kind,
                 description=str(raw.get("description") or ""), status=str(raw.get("status") or "available"),
                 created=parse.parse_time(raw.get("created")), size_gb=float(size) if size is not None else None,
                 server_id=str(source["id"]) if isinstance(source, dict) and source.get("id") is not None else
                 (str(raw["bound_to"]) if raw.get("bound_to") is not None else None),
                 protected=bool((raw.get("protection") or {}).get("delete")))


def metric_unit(name: str) -> str:
    for part, unit in UNITS.items():
        if part in name.split("."):
            return unit
    return ""


def parse_metrics(backend: str, server_id: str, kind: MetricKind, period: str, raw: dict[str, Any]) -> Metrics:
    """`time_series` values are `[[unix time, "value"], ...]` with the value as a string (the schema allows numbers)."""
    series = []
    for name, body in sorted((raw.get("time_series") or {}).items()):
        points = []
        for pair in (body or {}).get("values") or []:
            try:
                when, value = float(pair[0]), float(pair[1])
            except (TypeError, ValueError, IndexError):
                continue   # a gap
            if math.isfinite(value):   # "NaN" is a gap too (and no JSON number)
                points.append((when, value))
        series.append(MetricSeries(name=name, unit=metric_unit(name), points=tuple(points)))
    return Metrics(backend=backend, server_id=server_id, kind=kind, period=period,
                   step_seconds=float(raw.get("step") or 0), series=tuple(series))


class HetznerDay2(HttpAdapter):
    """The day-2 half of the Hetzner adapter (see the module docstring)."""

    _poll: tuple[float, float]

    @property
    def servers(self) -> ServersClient:
        return ServersClient(self.http)

    @property
    def actions(self) -> ActionsClient:
        return ActionsClient(self.http, *self._poll)

    @property
    def day2(self) -> Day2Client:
        return Day2Client(self.http)

    async def _act(self, server_id: str, command: str, body: dict[str, Any] | None, progress: ProgressFn | None, *,
                   operation: str, detail: dict[str, Any] | None = None, timeout: float = 300.0,
                   retry_safe: bool = True) -> tuple[ActionResult, dict[str, Any]]:
        data = await self.day2.server_action(server_id, command, body, retry_safe=retry_safe)
        action = await self.actions.wait(data["action"], progress=progress, timeout=timeout)
        result = ActionResult(self.name, server_id, str(action.get("command") or command), str(action.get("id")), "success")
        self.audit(f"{operation}: success", target=server_id, detail={"action_id": result.action_id, **(detail or {})})
        return result, data

    async def _raw(self, server_id: str) -> dict[str, Any]:
        return await self.servers.get_by_id(server_id)

    # rescue and rebuild ---------------------------------------------------------------
    async def _ssh_key_ids(self, keys: Sequence[str]) -> list[int]:
        ids = []
        for key in keys:
            if key.isdigit():
                ids.append(int(key))
                continue
            found = await self.day2.find_by_name("/ssh_keys", "ssh_keys", key)
            if found is None:
                raise ValidationError(f"no SSH key named {key!r} in the project.", backend=self.name, operation="rescue")
            ids.append(int(found["id"]))
        return ids

    async def enable_rescue(self, server_id: str, ssh_keys: Sequence[str] = (),
                            progress: ProgressFn | None = None) -> SecretResult:
        self._require(Capability.RESCUE, "enable rescue")
        body: dict[str, Any] = {"type": "linux64"}
        if ssh_keys:
            body["ssh_keys"] = await self._ssh_key_ids(ssh_keys)
        # never resent after an unclear failure: a second call makes another password
        result, data = await self._act(server_id, "enable_rescue", body, progress, operation="enable rescue",
                                       retry_safe=False)
        return SecretResult(self.name, server_id, secret=str(data.get("root_password") or ""),
                            action_id=result.action_id, note=RESCUE_NOTE)

    async def disable_rescue(self, server_id: str, progress: ProgressFn | None = None) -> ActionResult:
        self._require(Capability.RESCUE, "disable rescue")
        return (await self._act(server_id, "disable_rescue", None, progress, operation="disable rescue"))[0]

    async def rebuild(self, server_id: str, image: str, progress: ProgressFn | None = None) -> SecretResult:
        self._require(Capability.REBUILD, "rebuild")
        from .parse import parse_server

        reason = self.missing_reason(Capability.REBUILD, parse_server(self.name, await self._raw(server_id)))
        if reason:   # the menu's own reason (rebuild protection), before anything is sent
            raise PermissionDenied(f"{reason}; nothing was sent.", backend=self.name, operation="rebuild")
        result, data = await self._act(server_id, "rebuild", {"image": image}, progress, operation=f"rebuild from {image}",
                                       detail={"image": image}, timeout=900, retry_safe=False)
        password = data.get("root_password")
        return SecretResult(self.name, server_id, secret=str(password or ""), action_id=result.action_id,
                            note=None if password else "no new root password: the image's own access (SSH keys or the "
                            "snapshot's passwords) stays.")

    # images -----------------------------------------------------------------------------
    async def create_image(self, server_id: str, *, description: str | None = None,
                           kind: ImageKind = ImageKind.SNAPSHOT, progress: ProgressFn | None = None) -> Image:
        self._require(Capability.IMAGES, "create image")
        if kind not in (ImageKind.SNAPSHOT, ImageKind.BACKUP):
            raise ValidationError("an image of a server is a snapshot or a backup.", backend=self.name,
                                  operation="create image")
        body: dict[str, Any] = {"type": kind.value}
        if description:
            body["description"] = description
        _, data = await self._act(server_id, "create_image", body, progress, operation=f"create {kind.value}",
                                  detail={"description": description}, timeout=3600, retry_safe=False)
        made = data.get("image") or {}
        try:
            made = await self.day2.get_image(made["id"])
        except (KeyError, NotFoundError):
            pass
        return parse_image(self.name, made)

    async def list_images(self, kinds: Sequence[ImageKind] = (ImageKind.SNAPSHOT, ImageKind.BACKUP),
                          server_id: str | None = None) -> list[Image]:
        lists = await asyncio.gather(*(self.day2.images(kind.value, bound_to=server_id if kind is ImageKind.BACKUP else None)
                                       for kind in kinds))
        images = [parse_image(self.name, raw) for found in lists for raw in found]
        if server_id is not None:
            images = [i for i in images if i.kind is ImageKind.SYSTEM or i.server_id == server_id]
        return images

    async def delete_image(self, image_id: str, server_id: str | None = None) -> ActionResult:
        self._require(Capability.IMAGES, "delete image")
        await self.day2.delete_image(image_id)
        self.audit(f"delete image {image_id}: success", target=server_id or image_id, detail={"image": image_id})
        return ActionResult(self.name, server_id or "", "delete_image", None, "success")

    # type, backups, protection -----------------------------------------------------------------
    async def type_choices(self, server_id: str) -> list[TypeChoice]:
        raw = await self._raw(server_id)
        current = raw.get("server_type") or {}
        location = str((raw.get("location") or {}).get("name") or "")
        disk = int(raw.get("primary_disk_size") or current.get("disk") or 0)
        types = (await self.catalog()).of_kind(CatalogKind.SERVER_TYPE)
        cent = Decimal("0.01")
        here = {t.name: next((p.monthly_gross.quantize(cent) for p in t.prices if p.location == location), None)
                for t in types}
        now_price = here.get(str(current.get("name")))
        choices = []
        for t in types:
            if t.name == current.get("name"):
                continue
            price = here[t.name]
            t_disk = t.attrs.get("disk_gb")
            reason = ("deprecated" if t.deprecated else
                      f"{t.architecture}, the server is {current.get('architecture')}" if t.architecture != current.get("architecture") else
                      f"{t.attrs.get('storage_type')} storage, the server has {current.get('storage_type')}"
                      if t.attrs.get("storage_type") != current.get("storage_type") else
                      f"its disk ({t_disk} GB) is smaller than the server's ({disk} GB)" if (t_disk or 0) < disk else
                      f"not sold in {location}" if location not in (t.attrs.get("locations") or []) else "")
            choices.append(TypeChoice(name=t.name, cores=t.attrs.get("cores"),
                                      memory_gb=(t.attrs["memory_mb"] / 1024) if t.attrs.get("memory_mb") else None,
                                      disk_gb=t_disk, monthly_gross=price,
                                      monthly_difference=price - now_price
                                      if price is not None and now_price is not None else None,
                                      allowed=not reason, reason=reason))
        return sorted(choices, key=lambda c: (not c.allowed, c.monthly_gross if c.monthly_gross is not None else Decimal(0)))

    async def change_type(self, server_id: str, server_type: str, *, upgrade_disk: bool = False,
                          progress: ProgressFn | None = None) -> ActionResult:
        self._require(Capability.CHANGE_TYPE, "change type")
        raw = await self._raw(server_id)
        if raw.get("status") != "off":
            raise ConflictError(f"the server is {raw.get('status')}: shut it down first (hostdeck server power "
                                f"{self.name} {raw.get('name')} shutdown --yes); its type changes only while it is off.",
                                backend=self.name, operation="change type", code="server_not_stopped")
        result, _ = await self._act(server_id, "change_type", {"server_type": server_type, "upgrade_disk": upgrade_disk},
                                    progress, operation=f"change type to {server_type}", timeout=1800,
                                    detail={"from": (raw.get("server_type") or {}).get("name"), "to": server_type,
                                            "upgrade_disk": upgrade_disk})
        result.message = ("the disk was upgraded: a smaller type is no longer possible." if upgrade_disk else
                          "the disk was kept: changing back to a smaller type stays possible.")
        return result

    async def backup_surcharge(self, server_id: str) -> tuple[Decimal | None, Decimal]:
        """(monthly gross surcharge in EUR or None when unpriced, percentage) of backups for this server."""
        raw = await self._raw(server_id)
        try:
            pricing = await self.day2.pricing()
        except BackendError:   # the price is information; the documented 20% stands in
            pricing = {}
        percent = Decimal(str(((pricing.get("server_backup") or {}).get("percentage")) or "20"))
        location = (raw.get("location") or {}).get("name")
        price = next((p.monthly_gross for p in parse.parse_prices((raw.get("server_type") or {}).get("prices"))
                      if p.location == location), None)
        return ((price * percent / 100).quantize(Decimal("0.01")) if price else None), percent

    async def set_backups(self, server_id: str, enabled: bool, progress: ProgressFn | None = None) -> ActionResult:
        self._require(Capability.BACKUPS, "enable backups" if enabled else "disable backups")
        surcharge, percent = await self.backup_surcharge(server_id)
        command = "enable_backup" if enabled else "disable_backup"
        result, _ = await self._act(server_id, command, None, progress, operation=command.replace("_", " "),
                                    detail={"surcharge_monthly_gross": str(surcharge)})
        share = f"{percent:f}".rstrip("0").rstrip(".") + "%"
        cost = f"{surcharge} EUR a month gross ({share} of the server's price)" if surcharge else \
            f"{share} of the server's price"
        result.message = (f"backups on: +{cost}; seven daily backups are kept." if enabled else
                          f"backups off: the server's backups were deleted; it costs {cost} less.")
        return result

    async def set_protection(self, server_id: str, *, delete: bool | None = None, rebuild: bool | None = None,
                             progress: ProgressFn | None = None) -> ActionResult:
        self._require(Capability.PROTECT, "change protection")
        body = {k: v for k, v in (("delete", delete), ("rebuild", rebuild)) if v is not None}
        if not body:
            raise ValidationError("say which protection to change (delete, rebuild).", backend=self.name,
                                  operation="change protection")
        return (await self._act(server_id, "change_protection", body, progress, operation="change protection",
                                detail=body))[0]

    # labels, ISO, reverse DNS ---------------------------------------------------------------
    async def set_labels(self, server_id: str, changes: Mapping[str, str], remove: Sequence[str] = ()) -> Server:
        """The API replaces the whole map (PUT), so the current labels are read first and merged."""
        self._require(Capability.LABELS, "change labels")
        check_labels(dict(changes), backend=self.name)
        clash = set(changes) & set(remove)
        if clash:
            raise ValidationError(f"label {sorted(clash)[0]!r} is both set and removed.", backend=self.name,
                                  operation="change labels")
        raw = await self._raw(server_id)
        labels = {str(k): str(v) for k, v in (raw.get("labels") or {}).items()}
        missing = [k for k in remove if k not in labels]
        if missing:
            raise NotFoundError(f"the server has no label {missing[0]!r}.", backend=self.name, operation="change labels")
        merged = {k: v for k, v in labels.items() if k not in remove} | dict(changes)
        # not resent blindly: another writer may have changed the labels in between
        updated = await self.day2.update_server(server_id, {"labels": merged})
        self.audit("change labels: success", target=server_id,
                   detail={"set": dict(changes), "removed": list(remove)})
        return parse.parse_server(self.name, updated)

    async def attach_iso(self, server_id: str, iso: str, progress: ProgressFn | None = None) -> ActionResult:
        self._require(Capability.ISO, "attach ISO")
        return (await self._act(server_id, "attach_iso", {"iso": iso}, progress, operation=f"attach ISO {iso}",
                                detail={"iso": iso}))[0]

    async def detach_iso(self, server_id: str, progress: ProgressFn | None = None) -> ActionResult:
        self._require(Capability.ISO, "detach ISO")
        return (await self._act(server_id, "detach_iso", None, progress, operation="detach ISO"))[0]

    async def set_reverse_dns(self, server_id: str, ip: str, dns_ptr: str | None,
                              progress: ProgressFn | None = None) -> ActionResult:
        self._require(Capability.RDNS, "change reverse DNS")
        return (await self._act(server_id, "change_dns_ptr", {"ip": ip, "dns_ptr": dns_ptr}, progress,
                                operation=f"reverse DNS of {ip}", detail={"ip": ip, "dns_ptr": dns_ptr}))[0]

    # reads ----------------------------------------------------------------------------------
    async def metrics(self, server_id: str, kind: MetricKind, period: str = "24h") -> Metrics:
        if period not in PERIODS:
            raise ValidationError(f"period {period!r}: use one of {', '.join(PERIODS)}.", backend=self.name,
                                  operation="metrics")
        end = time.time()
        raw = await self.day2.metrics(server_id, kind.value, end - PERIODS[period], end)
        return parse_metrics(self.name, server_id, kind, period, raw)

    async def attachments(self, server_id: str) -> ServerAttachments:
        raw = await self._raw(server_id)
        public = raw.get("public_net") or {}
        fw_ids = [f.get("id") for f in public.get("firewalls") or [] if isinstance(f, dict)]
        firewalls, volumes = await asyncio.gather(
            asyncio.gather(*(self.day2.get_optional("firewalls", fid) for fid in fw_ids)),
            asyncio.gather(*(self.day2.get_optional("volumes", vid) for vid in raw.get("volumes") or [])))
        found = ServerAttachments(self.name, server_id)
        status = {f.get("id"): f.get("status") for f in public.get("firewalls") or [] if isinstance(f, dict)}
        for fid, fw in zip(fw_ids, firewalls):
            found.items.append(Attachment("firewall", str(fid), str((fw or {}).get("name") or fid), str(status.get(fid) or "")))
        for vid, volume in zip(raw.get("volumes") or [], volumes):
            v = volume or {}
            found.items.append(Attachment("volume", str(vid), str(v.get("name") or vid),
                                          f"{v.get('size')} GB {v.get('linux_device') or ''}".strip() if v else ""))
        for family in ("ipv4", "ipv6"):
            ip = public.get(family)
            if isinstance(ip, dict):
                ptr = ip.get("dns_ptr")
                ptrs = ptr if isinstance(ptr, str) else ", ".join(f"{p.get('ip')}={p.get('dns_ptr')}" for p in ptr or [])
                found.items.append(Attachment("primary_ip", str(ip.get("id")), str(ip.get("ip")),
                                              f"{family}" + (f" rdns={ptrs}" if ptrs else "")))
        iso = raw.get("iso")
        if isinstance(iso, dict):
            found.items.append(Attachment("iso", str(iso.get("id")), str(iso.get("name") or iso.get("description")),
                                          str(iso.get("description") or "")))
        return found

