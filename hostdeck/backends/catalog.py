"""Catalog caching shared by every backend: fresh cache without any API call, live, stale cache, bundled fallback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from .errors import BackendError
from .errors import SecretError
from .models import Catalog
from .models import CatalogItem
from .models import CatalogKind
from .models import CatalogSource
from .models import Price
from .models import utcnow


def item_from_dict(d: dict[str, Any]) -> CatalogItem:
    return CatalogItem(
        backend=d["backend"], kind=CatalogKind(d["kind"]), id=d["id"], name=d["name"], description=d.get("description", ""),
        architecture=d.get("architecture"), deprecated=bool(d.get("deprecated")),
        prices=tuple(Price(p["location"], Decimal(p["hourly_net"]), Decimal(p["hourly_gross"]), Decimal(p["monthly_net"]),
                           Decimal(p["monthly_gross"])) for p in d.get("prices", [])),
        attrs=d.get("attrs", {}),
    )


async def cached_catalog(
    *,
    backend: str,
    store: Any,
    ttl_hours: float,
    refresh: bool,
    fetch_live: Callable[[], Awaitable[list[CatalogItem]]],
    fallback: Callable[[], list[CatalogItem]],
) -> Catalog:
    cached = await asyncio.to_thread(store.get_catalog, backend) if store is not None else None
    if cached and not refresh:
        payload, fetched_at = cached
        if utcnow() - fetched_at < timedelta(hours=ttl_hours):
            return Catalog(backend, [item_from_dict(d) for d in payload], CatalogSource.CACHE, fetched_at)
    try:
        items = await fetch_live()
    except (BackendError, SecretError) as exc:
        reason = exc.message if isinstance(exc, BackendError) else str(exc)
        if cached:
            payload, fetched_at = cached
            return Catalog(backend, [item_from_dict(d) for d in payload], CatalogSource.CACHE, fetched_at,
                           note=f"stale cache: the live catalog failed ({reason})")
        bundled = fallback()
        if not bundled:   # a panel's own nodes and templates cannot be bundled: show nothing rather than inventions
            return Catalog(backend, [], CatalogSource.UNAVAILABLE, None,
                           note=f"unavailable: the live catalog failed ({reason}) and nothing is cached; refresh it "
                                "when the backend answers")
        return Catalog(backend, bundled, CatalogSource.FALLBACK, None,
                       note=f"bundled fallback: the live catalog failed ({reason}) and nothing is cached")
    now = utcnow()
    if store is not None:
        await asyncio.to_thread(store.put_catalog, backend, [i.as_dict() for i in items], now)
    return Catalog(backend, items, CatalogSource.LIVE, now)
