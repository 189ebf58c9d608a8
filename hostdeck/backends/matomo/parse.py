"""Matomo answers -> hostdeck values. Scalars arrive wrapped (`{"value": 7}`), database rows with every value a string
(`"idsite": "7"`, `"ecommerce": "0"`), addSite's new id as an int inside `value`: cast leniently, and refuse any
answer of the wrong shape (a ProtocolError, never an empty result)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any

from ..errors import ProtocolError
from ..numbers import as_int as as_int  # used here and re-exported


@dataclass(slots=True)
class MatomoSite:
    """One SitesManager.getSiteFromId row. `created` is `ts_created` (stored in UTC) as an aware datetime."""

    backend: str
    id: int
    name: str
    main_url: str
    created: datetime | None = None
    timezone: str = ""
    timezone_name: str = ""
    currency: str = ""
    currency_name: str = ""
    ecommerce: bool = False
    site_search: bool = False
    type: str = "website"
    group: str = ""
    exclude_unknown_urls: bool = False
    keep_url_fragment: int = 0
    excluded_ips: tuple[str, ...] = ()
    excluded_parameters: tuple[str, ...] = ()
    excluded_user_agents: tuple[str, ...] = ()
    excluded_referrers: tuple[str, ...] = ()
    creator_login: str | None = None       # only shown to superusers
    raw: dict[str, Any] = field(default_factory=dict, repr=False)



def as_bool(value: Any) -> bool:
    """"1"/1/true -> True; "0", 0, "", None -> False."""
    if isinstance(value, bool):
        return value
    number = as_int(value)
    if number is not None:
        return number != 0
    return str(value or "").strip().lower() in ("true", "yes", "on")


def text(value: Any) -> str:
    return "" if value is None else str(value)


def csv(value: Any) -> tuple[str, ...]:
    return tuple(p.strip() for p in text(value).split(",") if p.strip())


def parse_ts(value: Any) -> datetime | None:
    """Matomo's `Y-m-d H:i:s` (UTC) -> aware UTC datetime; "" or garbage -> None."""
    raw = text(value).strip()
    if not raw or raw.startswith("0000-00-00"):
        return None
    try:
        parsed = datetime.strptime(raw[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        try:
            parsed = datetime.strptime(raw[:10], "%Y-%m-%d")
        except ValueError:
            return None
    return parsed.replace(tzinfo=UTC)


def _wrong(method: str, what: str) -> ProtocolError:
    return ProtocolError(f"{method}: {what}, so it is not the Matomo API answer hostdeck expects.", operation=method)


def scalar(data: Any, method: str) -> Any:
    """The `value` of a wrapped scalar answer."""
    if not isinstance(data, dict) or "value" not in data:
        raise _wrong(method, "the answer has no 'value'")
    return data["value"]


def success(data: Any, method: str = "SitesManager.deleteSite") -> None:
    """`{"result": "success", "message": "ok"}` of a method that returns nothing."""
    if not isinstance(data, dict) or str(data.get("result", "")).lower() != "success":
        raise _wrong(method, "the answer is not result=success")


def version(data: Any, method: str = "API.getMatomoVersion") -> str:
    value = scalar(data, method)
    if not isinstance(value, (str, int, float)) or isinstance(value, bool) or not str(value).strip():
        raise _wrong(method, "the version is not a string")
    return str(value).strip()


def new_site_id(data: Any, method: str = "SitesManager.addSite") -> int:
    site_id = as_int(scalar(data, method))
    if site_id is None or site_id <= 0:
        raise _wrong(method, "the new site id is not a positive number")
    return site_id


def site_ids(data: Any, method: str = "SitesManager.getSitesIdFromSiteUrl") -> list[int]:
    """`[{"idsite": "7"}, ...]` (getSitesIdFromSiteUrl) or `["1", "2"]` (getAllSitesId) -> sorted unique ints."""
    if not isinstance(data, list):
        raise _wrong(method, "the answer is not a list")
    ids: set[int] = set()
    for row in data:
        value = row.get("idsite") if isinstance(row, dict) else row
        number = as_int(value)
        if number is None:
            raise _wrong(method, f"a row has no site id ({row!r})")
        ids.add(number)
    return sorted(ids)


def url_list(data: Any, method: str = "SitesManager.getSiteUrlsFromId") -> list[str]:
    if not isinstance(data, list) or not all(isinstance(u, str) for u in data):
        raise _wrong(method, "the answer is not a list of URLs")
    return list(data)


def tracking_code(data: Any, method: str = "SitesManager.getJavascriptTag") -> str:
    value = scalar(data, method)
    if not isinstance(value, str) or "<script" not in value.lower():
        raise _wrong(method, "the value is not a tracking snippet")
    return value


def parse_site(backend: str, row: Any, method: str = "SitesManager.getSiteFromId") -> MatomoSite:
    if not isinstance(row, dict):
        raise _wrong(method, "the answer is not a site object")
    site_id = as_int(row.get("idsite"))
    if site_id is None:
        raise _wrong(method, "the site has no idsite")
    return MatomoSite(
        backend=backend, id=site_id, name=text(row.get("name")), main_url=text(row.get("main_url")),
        created=parse_ts(row.get("ts_created")), timezone=text(row.get("timezone")),
        timezone_name=text(row.get("timezone_name")), currency=text(row.get("currency")),
        currency_name=text(row.get("currency_name")), ecommerce=as_bool(row.get("ecommerce")),
        site_search=as_bool(row.get("sitesearch")), type=text(row.get("type")) or "website",
        group=text(row.get("group")), exclude_unknown_urls=as_bool(row.get("exclude_unknown_urls")),
        keep_url_fragment=as_int(row.get("keep_url_fragment")) or 0, excluded_ips=csv(row.get("excluded_ips")),
        excluded_parameters=csv(row.get("excluded_parameters")),
        excluded_user_agents=csv(row.get("excluded_user_agents")),
        excluded_referrers=csv(row.get("excluded_referrers")),
        creator_login=text(row["creator_login"]) if row.get("creator_login") is not None else None, raw=dict(row),
    )
