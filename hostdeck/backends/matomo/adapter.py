"""The Matomo adapter (HTTP API, `POST {url}/index.php`): one analytics site per hosted site, and its tracking code.

Matomo is not a server backend, so this adapter has none of the server capabilities. Its methods read like the API
methods they call. The token travels in the POST body only. Retry rules (shared/api/README.md): reads are resent
after transient failures; addSite never (Matomo does not de-duplicate: it is reconciled with getSitesIdFromSiteUrl);
deleteSite never (reconciled with getSiteFromId). A rejected token is never sent again, by any process, until it
changes (the credential guard): every failed token check counts towards Matomo's brute-force block of this machine's
IP.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlsplit

from ..adapter_base.connection_test import Stopwatch
from ..adapter_base.http_adapter import HttpAdapter
from ..errors import AuthError
from ..errors import BackendError
from ..errors import ConflictError
from ..errors import NotFoundError
from ..errors import PermissionDenied
from ..errors import ProtocolError
from ..errors import UnavailableError
from ..errors import ValidationError
from ..http import HttpCore
from ..http import Reply
from ..http import RetryPolicy
from ..models import ConnectionReport
from ..roles import Role
from . import parse
from .api import MatomoApi
from .api import ScrubbedEvents
from .errors import classify
from .errors import from_message
from .parse import MatomoSite
from .reconcile import check_failed
from .reconcile import look_again
from .reconcile import unclear

if TYPE_CHECKING:
    from ..config import BackendConfig
    from ..events import EventLog
    from ..secrets import Secrets

API_SUFFIX = "/index.php"
DEFAULT_CONCURRENCY = 4
ADD_SITE = "SitesManager.addSite"
DELETE_SITE = "SitesManager.deleteSite"


def site_url(url: str, *, backend: str = "<backend>", operation: str = ADD_SITE) -> str:
    """A site URL as Matomo stores it: `https://` added when there is no scheme, one trailing slash removed."""
    raw = (url or "").strip()
    if not raw:
        raise ValidationError("the site URL is empty; nothing was sent.", backend=backend, operation=operation)
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or re.search(r"[\s\x00-\x1f\x7f]", raw):
        raise ValidationError(f"{url!r} is not an http(s) URL of a site; nothing was sent.", backend=backend,
                              operation=operation)
    return raw[:-1] if raw.endswith("/") and len(raw) > 5 else raw


def www_variant(url: str) -> str | None:
    """`https://a.com` <-> `https://www.a.com` for a bare site URL (no path, query or fragment); None otherwise."""
    parts = urlsplit(url)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    host = parts.netloc
    other = host[4:] if host.lower().startswith("www.") else f"www.{host}"
    return f"{parts.scheme}://{other}"


def url_key(url: str) -> str:
    """What getSitesIdFromSiteUrl treats as the same site: no scheme, no `www.`, no trailing slash, any case."""
    parts = urlsplit(url)
    host = parts.netloc.lower()
    return (host[4:] if host.startswith("www.") else host) + parts.path.rstrip("/")


def site_id_of(value: int | str, *, backend: str, operation: str) -> int:
    number = parse.as_int(value)
    if number is None or number <= 0:
        raise ValidationError(f"{value!r} is not a Matomo site id (a positive number); nothing was sent.",
                              backend=backend, operation=operation)
    return number


class MatomoAdapter(HttpAdapter):
    kind = "matomo"
    roles = frozenset({Role.ANALYTICS})
    capabilities = frozenset()
    secret_fields = ("token",)

    def __init__(self, config: BackendConfig, *, secrets: Secrets, events: EventLog | None = None,
                 read_only: bool = False, store: Any = None,
                 policy: RetryPolicy | None = None) -> None:
        super().__init__(config, secrets=secrets, events=events, read_only=read_only, store=store, policy=policy)
        self.timezone: str | None = config.option("timezone")        # for new sites; None: Matomo's default (UTC)
        self.currency: str | None = config.option("currency")        # for new sites; None: Matomo's default (USD)
        self.tracker_url: str | None = config.option("tracker_url")  # piwikUrl for the tracking code; None: Matomo's URL
        self.reconcile_spacing = float(config.option("reconcile_spacing", 1.0))
        self._api: MatomoApi | None = None
        self._ensure_locks: dict[str, asyncio.Lock] = {}

    # plumbing -------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.root_url(API_SUFFIX, needs="Matomo backend needs the URL of the Matomo installation",
                             example='"https://matomo.example.com" (the folder that holds index.php)')

    def secret_values(self) -> dict[str, str]:
        return {"token": self.secrets.require(self.name, "token")}

    def build_cores(self, values: Mapping[str, str]) -> tuple[HttpCore, ...]:
        core = HttpCore(classify=classify, judge=self._rejection,
                        **self.core_options(values, self.url, events=ScrubbedEvents(self.events, values.values())))
        self._api = MatomoApi(core, values["token"])
        return (core,)

    @property
    def api(self) -> MatomoApi:
        self.cores()
        assert self._api is not None
        return self._api

    def _rejection(self, reply: Reply) -> AuthError | None:
        """The token rejection Matomo reports in a 200 body (`result=error`), for the credential guard."""
        data = reply.data
        if not isinstance(data, dict) or str(data.get("result", "")).lower() != "error":
            return None
        err = from_message(str(data.get("message") or ""), "Matomo API", self.name, reply.status)
        return err if isinstance(err, AuthError) else None

    async def _call(self, method: str, params: dict[str, Any] | None = None, *, write: bool = False) -> Any:
        return await self.api.call(method, params, write=write)

    # connection -----------------------------------------------------------------
    async def probe_connection(self, report: ConnectionReport, clock: Stopwatch) -> None:
        """API.getMatomoVersion (version, latency); then SitesManager.getAllSitesId once: a superuser check (site
        creation needs one) that also gives the site count. A rejected token stops here and is not sent again."""
        clock.watch(self.api.http)
        report.version = await self.version()
        report.latency_ms = clock.lap()
        report.ok = True
        try:
            report.details["sites"] = len(parse.site_ids(await self._call("SitesManager.getAllSitesId"),
                                                         "SitesManager.getAllSitesId"))
            report.details["superuser"] = True
        except PermissionDenied:
            report.details["superuser"] = False
            report.details["warning"] = "token lacks superuser rights: site creation will fail"
        except BackendError as exc:
            report.details["sites"] = f"unknown ({exc.message})"

    async def version(self) -> str:
        """API.getMatomoVersion: "5.2.0"."""
        return parse.version(await self._call("API.getMatomoVersion"))

    # sites ----------------------------------------------------------------------
    async def find_sites_by_url(self, url: str) -> list[int]:
        """SitesManager.getSitesIdFromSiteUrl: the ids (ascending) of the sites the token can see whose main or alias
        URL is `url` in any of Matomo's variants (http/https, with or without `www.`, trailing slash)."""
        method = "SitesManager.getSitesIdFromSiteUrl"
        url = site_url(url, backend=self.name, operation=method)
        return parse.site_ids(await self._call(method, {"url": url}), method)

    async def add_site(self, name: str, urls: str | list[str] | tuple[str, ...], *, timezone: str | None = None,
                       currency: str | None = None, ecommerce: bool = False) -> int:
        """SitesManager.addSite, never resent: Matomo does not de-duplicate, so a second send can make a second site.
        After an unclear failure the sites with the first URL are read back and any new one is returned."""
        self._mutation(ADD_SITE)
        name, wanted = self._check_site(name, urls)
        before = await self.find_sites_by_url(wanted[0])
        return await self._add(name, wanted, before, timezone=timezone, currency=currency, ecommerce=ecommerce)

    async def ensure_site(self, name: str, url: str) -> tuple[int, bool]:
        """The site for `url`: (id, False) when Matomo already has one (the lowest id when several match, with a
        warning), else (id, True) after addSite with `url` and its `www.` variant, the configured timezone and
        currency. Never makes a second site, also not after an unclear failure of addSite."""
        url = site_url(url, backend=self.name, operation=ADD_SITE)
        lock = self._ensure_locks.setdefault(url_key(url), asyncio.Lock())
        async with lock:
            found = await self.find_sites_by_url(url)
            if found:
                if len(found) > 1:
                    self.audit(f"ensure site {url}: Matomo has {len(found)} sites for it ({', '.join(map(str, found))}); "
                               f"using the lowest, {found[0]}", target=str(found[0]), level="warning",
                               detail={"site_ids": found})
                return found[0], False
            self._mutation(ADD_SITE)
            urls = [url] + [v for v in (www_variant(url),) if v]
            name, urls = self._check_site(name, urls)
            site_id = await self._add(name, urls, found)
            return site_id, True

    def _check_site(self, name: str, urls: str | list[str] | tuple[str, ...]) -> tuple[str, list[str]]:
        name = (name or "").strip()
        if not name:
            raise ValidationError("the site name is empty; nothing was sent.", backend=self.name, operation=ADD_SITE)
        items = [urls] if isinstance(urls, str) else list(urls or [])
        cleaned: list[str] = []
        for item in items:
            url = site_url(item, backend=self.name, operation=ADD_SITE)
            if url not in cleaned:
                cleaned.append(url)
        if not cleaned:
            raise ValidationError("give at least one URL for the site; nothing was sent.", backend=self.name,
                                  operation=ADD_SITE)
        return name, cleaned

    async def _add(self, name: str, urls: list[str], before: list[int], *, timezone: str | None = None,
                   currency: str | None = None, ecommerce: bool = False) -> int:
        params = {"siteName": name, "urls": urls, "timezone": timezone or self.timezone,
                  "currency": currency or self.currency, "ecommerce": bool(ecommerce)}
        try:
            site_id = parse.new_site_id(await self._call(ADD_SITE, params, write=True))
        except (UnavailableError, ProtocolError) as exc:
            exc.backend = exc.backend or self.name
            site_id = await self._reconcile_add(name, urls, before, exc)
            self.audit(f"addSite {name}: found as site {site_id} after an unclear failure; not sent again",
                       target=str(site_id), level="warning", detail={"urls": urls})
            return site_id
        self.audit(f"addSite {name}: site {site_id} created", target=str(site_id), detail={"urls": urls})
        return site_id

    async def _reconcile_add(self, name: str, urls: list[str], before: list[int], exc: BackendError) -> int:
        async def check() -> list[int] | None:
            new = sorted(set(await self.find_sites_by_url(urls[0])) - set(before))
            return new or None

        try:
            new = await look_again(check, exc, spacing=self.reconcile_spacing)
        except BackendError as failed:
            raise check_failed(exc, failed, backend=self.name, operation=ADD_SITE) from None
        if new is None:
            raise unclear(exc, f"Matomo has no new site for {urls[0]}", backend=self.name, operation=ADD_SITE) from None
        if len(new) > 1:
            self.audit(f"addSite {name}: {len(new)} new sites for {urls[0]} appeared meanwhile "
                       f"({', '.join(map(str, new))}); using the lowest", target=str(new[0]), level="warning",
                       detail={"site_ids": new})
        return new[0]

    async def site(self, site_id: int | str) -> MatomoSite:
        """SitesManager.getSiteFromId."""
        method = "SitesManager.getSiteFromId"
        try:
            number = site_id_of(site_id, backend=self.name, operation=method)
            return parse.parse_site(self.name, await self._call(method, {"idSite": number}), method)
        except NotFoundError:
            raise NotFoundError(f"Matomo has no site {site_id}.", backend=self.name, operation=method,
                                code="site_not_found") from None

    async def site_urls(self, site_id: int | str) -> list[str]:
        """SitesManager.getSiteUrlsFromId: the main URL, then the alias URLs."""
        method = "SitesManager.getSiteUrlsFromId"
        number = site_id_of(site_id, backend=self.name, operation=method)
        return parse.url_list(await self._call(method, {"idSite": number}), method)

    async def tracking_code(self, site_id: int | str) -> str:
        """SitesManager.getJavascriptTag: the snippet to put on every page of the site (with `tracker_url` as the
        Matomo URL when configured). Matomo renders it for any id a superuser asks for, existing or not."""
        method = "SitesManager.getJavascriptTag"
        number = site_id_of(site_id, backend=self.name, operation=method)
        return parse.tracking_code(await self._call(method, {"idSite": number, "piwikUrl": self.tracker_url}), method)

    async def delete_site(self, site_id: int | str) -> None:
        """SitesManager.deleteSite, never resent; after an unclear failure the site is looked up (gone = done)."""
        self._mutation(DELETE_SITE)
        site_id = site_id_of(site_id, backend=self.name, operation=DELETE_SITE)
        try:
            parse.success(await self._call(DELETE_SITE, {"idSite": site_id}, write=True), DELETE_SITE)
        except NotFoundError:
            raise NotFoundError(f"Matomo has no site {site_id}; nothing was deleted.", backend=self.name,
                                operation=DELETE_SITE, code="site_not_found") from None
        except ConflictError as exc:
            raise ConflictError(f"site {site_id} is the only site in Matomo, and Matomo never deletes its last site. "
                                "Add another site first.", backend=self.name, operation=DELETE_SITE, code="only_site",
                                details=exc.details) from None
        except (UnavailableError, ProtocolError) as exc:
            await self._reconcile_delete(site_id, exc)
            self.audit(f"deleteSite {site_id}: gone after an unclear failure; not sent again", target=str(site_id),
                       level="warning")
            return
        self.audit(f"deleteSite {site_id}: deleted", target=str(site_id))

    async def _reconcile_delete(self, site_id: int, exc: BackendError) -> None:
        async def gone() -> bool | None:
            try:
                await self.site(site_id)
            except NotFoundError:
                return True
            return None

        try:
            found = await look_again(gone, exc, spacing=self.reconcile_spacing)
        except BackendError as failed:
            raise check_failed(exc, failed, backend=self.name, operation=DELETE_SITE) from None
        if found is None:
            raise unclear(exc, f"site {site_id} still exists", backend=self.name, operation=DELETE_SITE) from None
