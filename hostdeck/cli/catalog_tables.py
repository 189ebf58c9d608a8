"""The catalog as tables: one per kind of item (server types, images, locations, nodes, templates, IP pools), each with
the columns that kind has."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

from hostdeck.backends.models import CatalogItem

from .output import plain
from .output import say
from .output import table

Column = tuple[str, Callable[[CatalogItem], Any]]


def _attr(key: str) -> Callable[[CatalogItem], Any]:
    return lambda item: item.attrs.get(key)


def _memory_gb(item: CatalogItem) -> Any:
    memory = item.attrs.get("memory_mb")
    return f"{memory / 1024:g}" if isinstance(memory, (int, float)) else None


def _from_price(item: CatalogItem) -> Any:
    """The lowest monthly price (gross) over the locations, as the vendor's price list shows it."""
    cheapest = min((p.monthly_gross for p in item.prices), default=None)
    return f"{cheapest:.2f}" if cheapest is not None else None


def _os(item: CatalogItem) -> Any:
    return " ".join(str(v) for v in (item.attrs.get("os_flavor"), item.attrs.get("os_version")) if v) or None


NAME: Column = ("name", lambda item: item.name)
DESCRIPTION: Column = ("description", lambda item: item.description)
DEPRECATED: Column = ("deprecated", lambda item: item.deprecated)
COLUMNS: dict[str, tuple[str, Sequence[Column]]] = {
    "server_type": ("server types", (NAME, ("cores", _attr("cores")), ("memory gb", _memory_gb),
                                     ("disk gb", _attr("disk_gb")), ("arch", lambda item: item.architecture),
                                     ("from €/month", _from_price), ("locations", _attr("locations")), DEPRECATED)),
    "image": ("images", (NAME, DESCRIPTION, ("os", _os), ("arch", lambda item: item.architecture),
                         ("type", _attr("type")), DEPRECATED)),
    "location": ("locations", (NAME, DESCRIPTION, ("city", _attr("city")), ("country", _attr("country")),
                               ("zone", _attr("network_zone")))),
    "node": ("nodes", (NAME, ("fqdn", _attr("fqdn")), ("cluster", _attr("cluster")),
                       ("servers", _attr("servers_count")))),
    "template": ("templates", (NAME, ("group", _attr("group")), ("node", _attr("node")), ("uuid", _attr("uuid")),
                               ("hidden", lambda item: item.deprecated))),
    "ip_pool": ("IP pools", (NAME, ("type", _attr("type")), ("free", _attr("free_count")), ("total", _attr("total")))),
}
OTHER: tuple[str, Sequence[Column]] = ("other items", (NAME, DESCRIPTION, DEPRECATED))


def print_catalog_items(items: Sequence[CatalogItem]) -> None:
    """Each kind's items under a line naming the kind and how many, in the order the kinds first appear."""
    kinds: dict[str, list[CatalogItem]] = {}
    for item in items:
        kinds.setdefault(item.kind.value, []).append(item)
    for kind, members in kinds.items():
        title, columns = COLUMNS.get(kind, OTHER)
        say()
        say(f"{title} ({len(members)})")
        table([header for header, _ in columns], [[plain(value(item)) for _, value in columns] for item in members])
