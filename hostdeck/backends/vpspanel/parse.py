"""Reading the panel's answers: `{"vps": {VPS}}`, numbers leniently, timestamps to aware UTC. A success without the
`vps` object is a ProtocolError (the contract's "a list is complete or it is an error" for one record)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

from ..errors import ProtocolError
from ..numbers import as_int  # noqa: F401 (used here and re-exported)
from .models import VpsRecord


def as_time(value: Any) -> datetime | None:
    """ISO 8601 ("2026-03-02T10:20:00Z", with or without fractions or an offset) -> aware UTC; else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def vps_object(data: Any, *, backend: str, operation: str) -> dict[str, Any]:
    vps = data.get("vps") if isinstance(data, dict) else None
    if not isinstance(vps, dict):
        raise ProtocolError(f"{operation}: the VPS panel answered without the 'vps' object the contract promises.",
                            backend=backend, operation=operation, code="no_vps")
    return vps


def parse_vps(raw: dict[str, Any], *, backend: str, operation: str) -> VpsRecord:
    """A VPS object -> VpsRecord. `id` may be missing (None); the caller decides whether that is acceptable."""
    user_id, cpu, ram, disk = (as_int(raw.get(k)) for k in ("user_id", "cpu", "ram", "disk"))
    return VpsRecord(
        user_id=user_id if user_id is not None else 0,
        name=str(raw.get("name") or ""),
        status=str(raw.get("status") or ""),
        cpu=cpu if cpu is not None else 0,
        ram_mb=ram if ram is not None else 0,
        disk_gb=disk if disk is not None else 0,
        os=str(raw.get("os") or ""),
        hypervisor=str(raw.get("hypervisor") or ""),
        id=as_int(raw.get("id")),
        created_at=as_time(raw.get("created_at")),
        updated_at=as_time(raw.get("updated_at")),
    )


def parse_answer(data: Any, *, backend: str, operation: str) -> VpsRecord:
    return parse_vps(vps_object(data, backend=backend, operation=operation), backend=backend, operation=operation)
