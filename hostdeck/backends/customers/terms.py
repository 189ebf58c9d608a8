"""Search terms: their kinds, their ranks, and the one normalisation both the index and the query use."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

# Identifiers: an exact hit on one of these ranks first. "ip" is a linked server's address, "service_ip" one a WHMCS
# service declares (dedicated or assigned IPs), which may be a server nobody linked it to.
IDENTIFIERS = frozenset({"ip", "service_ip", "service", "invoice", "email", "server_id", "server_name", "domain"})
# Among exact hits, a client reached through a service's link to a server comes before one reached otherwise.
THROUGH_LINK = frozenset({"ip", "server_id", "server_name"})
NAMES = frozenset({"name", "company"})
EXACT, PREFIX, SUBSTRING = 0, 1, 2
RANK_WORDS = {EXACT: "exact", PREFIX: "prefix", SUBSTRING: "contains"}


def normalise(text: str) -> str:
    """Lower case, trimmed; an IP address in its compressed form; a URL reduced to its host; a trailing dot dropped."""
    value = text.strip().lower()
    if "://" in value:
        value = urlsplit(value).hostname or value
    value = value.rstrip(".")
    try:
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        return value


def is_address(text: str) -> bool:
    """Whether `text` is a whole IP address (then only exact hits are wanted: 198.18.0.2 is not 198.18.0.20)."""
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def ip_terms(value: str | None) -> list[str]:
    """An address as stored ("2001:db8::1", or a network "2001:db8::/64" of which the ::1 is the usual host)."""
    if not value:
        return []
    text = value.strip()
    try:
        if "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            return [str(network.network_address), str(network.network_address + 1)]
        return [str(ipaddress.ip_address(text))]
    except ValueError:
        return []


@dataclass(slots=True)
class ClientSummary:
    """A billing client as the index names it."""

    backend: str
    client_id: str
    name: str
    company: str
    email: str
    status: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.backend, self.client_id)


def as_utc(value: Any) -> datetime:
    """A timestamp as the database gives it back (a datetime, or ISO text on SQLite), aware in UTC."""
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
