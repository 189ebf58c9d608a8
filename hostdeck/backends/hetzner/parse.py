"""Hetzner API records -> hostdeck models. Lenient where the API is (nulls, missing optional blocks)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from ..errors import ProtocolError
from ..models import CatalogItem
from ..models import CatalogKind
from ..models import Price
from ..models import Server
from ..models import ServerStatus

STATUS = {
    "running": ServerStatus.RUNNING,
    "off": ServerStatus.OFF,
    "starting": ServerStatus.STARTING,
    "migrating": ServerStatus.STARTING,
    "stopping": ServerStatus.STOPPING,
    "deleting": ServerStatus.STOPPING,
    "initializing": ServerStatus.INSTALLING,
    "rebuilding": ServerStatus.INSTALLING,
    "unknown": ServerStatus.UNKNOWN,
}
SUSPENDED_LABEL = "hostdeck/suspended"


def parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def image_name(image: dict[str, Any] | None) -> str | None:
    if not image:
        return None
    return image.get("name") or image.get("description") or None


def parse_server(backend: str, raw: dict[str, Any]) -> Server:
    try:
        sid = raw["id"]
        name = raw["name"]
    except (KeyError, TypeError):
        raise ProtocolError("a server record has no id or name.", backend=backend, operation="parse_server") from None
    raw_status = str(raw.get("status") or "unknown")
    labels = {str(k): str(v) for k, v in (raw.get("labels") or {}).items()}
    status = STATUS.get(raw_status, ServerStatus.UNKNOWN)
    if status is ServerStatus.OFF and labels.get(SUSPENDED_LABEL) == "true":
        status = ServerStatus.SUSPENDED
    public = raw.get("public_net") or {}
    ipv4 = (public.get("ipv4") or {}).get("ip")
    ipv6 = (public.get("ipv6") or {}).get("ip")
    stype = raw.get("server_type") or {}
    location = (raw.get("location") or {}).get("name") or ((raw.get("datacenter") or {}).get("location") or {}).get("name")
    memory = stype.get("memory")
    protection = raw.get("protection") or {}
    return Server(
        backend=backend,
        id=str(sid),
        name=str(name),
        status=status,
        raw_status=raw_status,
        ipv4=ipv4,
        ipv6=ipv6,
        plan=stype.get("name"),
        location=location,
        image=image_name(raw.get("image")),
        cores=stype.get("cores"),
        memory_mb=round(float(memory) * 1024) if memory is not None else None,
        disk_gb=raw.get("primary_disk_size") or stype.get("disk"),
        created=parse_time(raw.get("created")),
        labels=labels,
        delete_protected=bool(protection.get("delete")),
        locked=bool(raw.get("locked")),
        raw=raw,
    )


def parse_prices(prices: list[dict[str, Any]] | None) -> tuple[Price, ...]:
    out = []
    for p in prices or []:
        hourly = p.get("price_hourly") or {}
        monthly = p.get("price_monthly") or {}
        out.append(Price(location=str(p.get("location")), hourly_net=_decimal(hourly.get("net")),
                         hourly_gross=_decimal(hourly.get("gross")), monthly_net=_decimal(monthly.get("net")),
                         monthly_gross=_decimal(monthly.get("gross"))))
    return tuple(out)


def orderability(loc: dict[str, Any], now: datetime) -> str | None:
    """Why a server type cannot be ordered in this `locations[]` entry, or None when it can. `available: false` (the
    field arrived in 2026-04; absent means the old API, which listed only orderable locations) or a deprecation whose
    `unavailable_after` has passed (hcloud-python `ServerTypeLocation`, `DeprecationInfo`)."""
    if loc.get("available") is False:
        return "not available in this location now"
    deprecation = loc.get("deprecation")
    if isinstance(deprecation, dict):
        until = parse_time(deprecation.get("unavailable_after"))
        if until is not None and until <= now:
            return f"deprecated, unavailable since {until.date().isoformat()}"
    return None


def parse_server_type(backend: str, raw: dict[str, Any], now: datetime | None = None) -> CatalogItem:
    """Only locations where the type can be ordered are offered (`attrs["locations"]`) and priced; the others are
    kept with the reason in `attrs["unavailable"]`, and announced deprecations in `attrs["deprecated_in"]`."""
    now = now or datetime.now(UTC)
    memory = raw.get("memory")
    deprecation = raw.get("deprecation")
    entries = [loc for loc in raw.get("locations") or [] if isinstance(loc, dict) and loc.get("name")]
    unavailable = {str(loc["name"]): why for loc in entries if (why := orderability(loc, now))}
    deprecated_in = {str(loc["name"]): (loc["deprecation"] or {}).get("unavailable_after") for loc in entries
                     if isinstance(loc.get("deprecation"), dict) and str(loc["name"]) not in unavailable}
    locations = [str(loc["name"]) for loc in entries if str(loc["name"]) not in unavailable]
    if not entries:
        locations = [p.get("location") for p in raw.get("prices") or []]
    prices = tuple(p for p in parse_prices(raw.get("prices")) if p.location not in unavailable)
    return CatalogItem(
        backend=backend, kind=CatalogKind.SERVER_TYPE, id=str(raw.get("id")), name=str(raw.get("name")),
        description=str(raw.get("description") or ""), architecture=raw.get("architecture"),
        deprecated=bool(raw.get("deprecated")) or deprecation is not None or bool(entries and not locations),
        prices=prices,
        attrs={
            "cores": raw.get("cores"),
            "memory_mb": round(float(memory) * 1024) if memory is not None else None,
            "disk_gb": raw.get("disk"),
            "cpu_type": raw.get("cpu_type"),
            "storage_type": raw.get("storage_type"),
            "category": raw.get("category"),
            "locations": [loc for loc in locations if loc],
            "unavailable": unavailable,
            "deprecated_in": deprecated_in,
            "deprecation": deprecation,
        },
    )


def parse_location(backend: str, raw: dict[str, Any]) -> CatalogItem:
    return CatalogItem(
        backend=backend, kind=CatalogKind.LOCATION, id=str(raw.get("id")), name=str(raw.get("name")),
        description=str(raw.get("description") or ""),
        attrs={"country": raw.get("country"), "city": raw.get("city"), "network_zone": raw.get("network_zone")},
    )


def parse_image(backend: str, raw: dict[str, Any]) -> CatalogItem:
    return CatalogItem(
        backend=backend, kind=CatalogKind.IMAGE, id=str(raw.get("id")),
        name=str(raw.get("name") or raw.get("description") or raw.get("id")),
        description=str(raw.get("description") or ""), architecture=raw.get("architecture"),
        deprecated=raw.get("deprecated") is not None,
        attrs={"type": raw.get("type"), "status": raw.get("status"), "os_flavor": raw.get("os_flavor"),
               "os_version": raw.get("os_version"), "disk_size": raw.get("disk_size")},
    )


def parse_catalog(backend: str, raw: dict[str, list[dict[str, Any]]]) -> list[CatalogItem]:
    items = [parse_server_type(backend, r) for r in raw.get("server_types", [])]
    items += [parse_location(backend, r) for r in raw.get("locations", [])]
    items += [parse_image(backend, r) for r in raw.get("images", [])]
    return items
