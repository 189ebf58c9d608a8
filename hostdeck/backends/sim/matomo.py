"""A faithful loopback simulator of the Matomo HTTP API (`POST /index.php?module=API`), see shared/api/matomo.md.

Seeded, deterministic sites (12 by default) with all-string database rows, and the methods hostdeck uses:
API.getMatomoVersion, SitesManager.getSitesIdFromSiteUrl (with Matomo's URL normalisation: trailing slash, scheme
and `www.` variants, main and alias URLs), addSite (validation in Matomo's order, **no de-duplication**),
getSiteFromId, getSiteUrlsFromId, getJavascriptTag (rendered from the tracking-code template), deleteSite (the
"only site" rule) and getAllSitesId. Scalars are wrapped (`{"value": ...}`), methods without a result answer
`{"result": "success", "message": "ok"}`, errors are HTTP 200 `result: error` except access errors (401).

    with MatomoSim(sites=12, seed=1) as sim:
        sim.faults.add("SitesManager.addSite", "reset_mid")     # the site is made, the answer is lost
        httpx.post(sim.base_url + "/index.php", data={"module": "API", "method": "API.getMatomoVersion",
                   "format": "json", "token_auth": sim.token})

Tokens (`sim.tokens`, `add_token`): the constructor's `token` is a superuser's and "secure only" (Matomo 5): it is
accepted only in the POST body while absent from the query string; anything else answers the POST-parameter 401.
View tokens see only their sites. Every failed token check counts against the caller's IP; once
`brute_force_limit` failures fall within `brute_force_window` seconds, every request of that IP that carries a token
answers "Too many failed logins…" (HTTP 200, as in the fixtures) until the failures age out or `unblock()` is called.
`login_blocked = True` answers the user-level 403 "Logging in has been turned off…" to valid tokens instead.

Faults are those of `hostdeck.backends.sim.server`; a fault's route may also be a Matomo method name
(`faults.add("SitesManager.addSite", "hang")`). Status faults without `message`: 500 is a PHP fatal-error page,
503 Matomo's maintenance page (Retry-After), 429 and the others a proxy page; with `message`, a JSON
`result=error` body at that status; `code="no_value"` answers a JSON object with neither `value` nor `result`.

Choices where the public material is silent (unverified): a token-less request is anonymous and is refused with
"…requires 'view' access for at least one website." (401); a format other than json answers XML; a `module` other
than API answers the HTML login page; an unknown method answers Matomo's "does not exist" text; URLs with
whitespace are invalid; site types are website, intranet and mobileapp; `getJavascriptTag` renders for any id when
asked by a superuser (Matomo does not check that the site exists there).
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from email.message import Message
from html import escape
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit

from .server import Request
from .server import Response
from .server import SimApp
from .server import SimServer
from .server import proxy_page

PATH = "/index.php"
DEFAULT_TOKEN = "demo-matomo-token-0123456789abcdef"
SUPERUSER = "admin"
MASK = "***"

BAD_TOKEN = "Unable to authenticate with the provided token. It is either invalid or expired."
BAD_TOKEN_NOT_POST = ("Unable to authenticate with the provided token. It is either invalid, expired or is required "
                      "to be sent as a POST parameter.")
NEEDS_SUPERUSER = "You can't access this resource as it requires a 'superuser' access."
NEEDS_VIEW = "You can't access this resource as it requires 'view' access for the website id = {id}."
NEEDS_SOME_VIEW = "You can't access this resource as it requires 'view' access for at least one website."
BRUTE_FORCE = "Too many failed logins. Please wait and try logging in again later."
LOGIN_BLOCKED = ("Logging in has been turned off since a suspicious amount of failed attempts were made during the "
                 "last hour.")
EMPTY_NAME = "The website name can't be empty."
BAD_TIMEZONE = 'The timezone "{tz}" is not valid. Please enter a valid timezone.'
BAD_CURRENCY = 'The currency "{cur}" is not valid. Please enter a valid currency symbol (eg. USD, EUR, etc.)'
BAD_URL = "The url '{url}' is not a valid URL."
NO_URL = "You must specify at least one URL for the website."
BAD_TYPE = "Invalid website type {type}"
NOT_FOUND = "website id = {id} not found"
UNEXPECTED_SITE = "An unexpected website was found in the request: website id was set to '{id}' ."
ONLY_SITE = ("It is not possible to delete this website as it is the only registered website. Add a new website "
             "first, then delete this one.")
NO_METHOD = "The method '{method}' does not exist or is not available in the module '{module}'."
SPECIFY = "Please specify a value for '{name}'."
BAD_DATE = ("Date format must be: YYYY-MM-DD, or 'today' or 'yesterday' or any keyword supported by the strtotime "
            "function (see http://php.net/strtotime for more information): {value}")

CURRENCIES = {
    "AED": "United Arab Emirates Dirham", "AUD": "Australian Dollar", "BGN": "Bulgarian Lev", "BRL": "Brazilian Real",
    "CAD": "Canadian Dollar", "CHF": "Swiss Franc", "CNY": "Chinese Yuan", "CZK": "Czech Koruna", "DKK": "Danish Krone",
    "EUR": "Euro", "GBP": "British Pound", "HKD": "Hong Kong Dollar", "HUF": "Hungarian Forint", "ILS": "Israeli New Shekel",
    "INR": "Indian Rupee", "ISK": "Icelandic Króna", "JPY": "Japanese Yen", "KRW": "South Korean Won",
    "MXN": "Mexican Peso", "NOK": "Norwegian Krone", "NZD": "New Zealand Dollar", "PLN": "Polish Zloty",
    "RON": "Romanian Leu", "RUB": "Russian Ruble", "SEK": "Swedish Krona", "SGD": "Singapore Dollar",
    "TRY": "Turkish Lira", "UAH": "Ukrainian Hryvnia", "USD": "US Dollar", "ZAR": "South African Rand",
}
TIMEZONE_NAMES = {
    "Europe/Berlin": "Germany", "Europe/Lisbon": "Portugal - Lisbon", "Europe/London": "United Kingdom",
    "Europe/Paris": "France", "Europe/Amsterdam": "Netherlands", "Europe/Vienna": "Austria", "Europe/Stockholm": "Sweden",
    "Europe/Zurich": "Switzerland", "Europe/Madrid": "Spain - Madrid", "Europe/Rome": "Italy",
    "America/New_York": "United States - New York", "America/Los_Angeles": "United States - Los Angeles",
    "America/Sao_Paulo": "Brazil - Sao Paulo", "Asia/Tokyo": "Japan", "Australia/Sydney": "Australia - Sydney",
}
REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")
UTC_OFFSETS = frozenset(
    "UTC" + ("" if o == 0 else (f"+{o:g}" if o > 0 else f"{o:g}"))
    for o in (-12, -11.5, -11, -10.5, -10, -9.5, -9, -8.5, -8, -7.5, -7, -6.5, -6, -5.5, -5, -4.5, -4, -3.5, -3, -2.5,
              -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 5.75, 6, 6.5, 7, 7.5, 8, 8.5, 8.75, 9,
              9.5, 10, 10.5, 11, 11.5, 12, 12.75, 13, 13.75, 14))
SITE_TYPES = ("website", "intranet", "mobileapp")
LOOKS_LIKE_URL = re.compile(r"^(?:([A-Za-z][A-Za-z0-9+.-]*)?:)?//(.+)$", re.S)

WORDS = ("shop", "blog", "studio", "agency", "news", "docs", "portal", "wiki", "store", "cafe", "travel", "photo",
         "bakery", "garden", "legal", "clinic", "school", "events", "music", "books")
TLDS = ("com", "net", "org", "de", "pt", "nl")
SEED_ZONES = ("Europe/Berlin", "Europe/Lisbon", "Europe/London", "Europe/Paris", "America/New_York", "UTC")
SEED_CURRENCIES = ("EUR", "EUR", "EUR", "USD", "GBP", "CHF")

TRACKING_CODE = """<!-- Matomo -->
<script>
  var _paq = window._paq = window._paq || [];
  /* tracker methods like "setCustomDimension" should be called before "trackPageView" */
  _paq.push(['trackPageView']);
  _paq.push(['enableLinkTracking']);
  (function() {{
    var u="{protocol}{host}/";
    _paq.push(['setTrackerUrl', u+'{php}']);
    _paq.push(['setSiteId', '{id}']);
    var d=document, g=d.createElement('script'), s=d.getElementsByTagName('script')[0];
    g.async=true; g.src=u+'{js}'; s.parentNode.insertBefore(g,s);
  }})();
</script>
<!-- End Matomo Code -->
"""
LOGIN_PAGE = ('<!DOCTYPE html>\n<html id="ng-app"><head><meta charset="utf-8"><title>Sign in - Matomo</title></head>'
              '<body class="login"><form method="post" action="index.php?module=Login"><input name="form_login">'
              '<input type="password" name="form_password"></form></body></html>\n')
PHP_FATAL = ("<br />\n<b>Fatal error</b>:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 "
             "bytes) in <b>/var/www/matomo/core/DataTable.php</b> on line <b>1213</b><br />\n")
MAINTENANCE = ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Matomo is under maintenance</title></head>'
               "<body><h1>Matomo is under maintenance</h1><p>Please come back later.</p></body></html>\n")



class ApiError(Exception):
    def __init__(self, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.message, self.status = message, status


class NoAccess(ApiError):
    """Matomo's NoAccessException: HTTP 401."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 401)


# --------------------------------------------------------------------------- PHP request parsing


def php_params(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """What PHP makes of a query string or urlencoded body: `a[0]=x&a[1]=y` and `a[]=x` become lists in order, the last
    value of a repeated plain key wins."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        found = re.fullmatch(r"([^\[\]]+)\[([^\[\]]*)\]", key)
        if found:
            name, index = found.groups()
            slot = out.get(name)
            if not isinstance(slot, dict):
                slot = out[name] = {}
            slot[index if index else f"\0{len(slot)}"] = value
        else:
            out[key] = value
    return {k: (list(v.values()) if isinstance(v, dict) else v) for k, v in out.items()}


def form_pairs(body: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """$_POST: urlencoded bodies only (a JSON body is not $_POST)."""
    if not body or "application/x-www-form-urlencoded" not in (content_type or "").lower():
        return []
    return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def mask_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, MASK if k.lower() == "token_auth" and v else v) for k, v in pairs]


def remove_trailing_slash(url: str) -> str:
    return url[:-1] if len(url) > 5 and url.endswith("/") else url


def normalized_urls(url: str) -> list[str]:
    """SitesManager API::getNormalizedUrls: the URL plus http(s)://(www.) variants of its host part."""
    host = url.replace("www.", "").replace("http://", "").replace("https://", "")
    return [url, f"http://{host}", f"http://www.{host}", f"https://{host}", f"https://www.{host}"]


def clean_urls(urls: Any) -> list[str]:
    """The Urls measurable setting: drop empties, trailing slash off, `http://` added when there is no scheme, unique."""
    if urls is None:
        return []
    items = urls if isinstance(urls, list) else [urls]
    cleaned: list[str] = []
    for url in items:
        url = remove_trailing_slash(str(url).strip())
        if not url:
            continue
        if "://" not in url and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url):
            url = "http://" + url
        if url not in cleaned:
            cleaned.append(url)
    return cleaned


def looks_like_url(url: str) -> bool:
    found = LOOKS_LIKE_URL.match(url)
    if not found or not found.group(2):
        return False
    if (found.group(1) or "").lower() in ("javascript", "vbscript", "data"):
        return False
    return not re.search(r"[\s\x00-\x1f\x7f]", url)


def valid_timezone(zone: str) -> bool:
    if zone in UTC_OFFSETS:
        return True
    if zone.split("/")[0] not in REGIONS:
        return False
    return zone in _zones()


_ZONES: set[str] | None = None


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        import zoneinfo

        _ZONES = set(zoneinfo.available_timezones()) or set(TIMEZONE_NAMES)
    return _ZONES


def timezone_name(zone: str) -> str:
    if zone.startswith("UTC"):
        return "UTC" + zone[3:].replace(".25", ":15").replace(".5", ":30").replace(".75", ":45")
    return TIMEZONE_NAMES.get(zone) or zone.split("/")[-1].replace("_", " ")


def dumps(payload: Any) -> bytes:
    """PHP json_encode: ASCII only, slashes escaped."""
    import json

    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def xml(payload: Any) -> str:
    """Matomo's default (XML) rendering, enough to be recognisably not JSON: scalars, rows, errors."""
    def node(value: Any, indent: str) -> str:
        if isinstance(value, dict):
            return "".join(f"{indent}<{k}>{inner(v, indent)}</{k}>\n" for k, v in value.items())
        if isinstance(value, list):
            return "".join(f"{indent}<row>{inner(v, indent)}</row>\n" for v in value)
        return escape(str(value))

    def inner(value: Any, indent: str) -> str:
        if isinstance(value, (dict, list)):
            return "\n" + node(value, indent + "\t") + indent
        return escape(str(value))

    head = '<?xml version="1.0" encoding="utf-8" ?>\n'
    if isinstance(payload, dict) and payload.get("result") == "error":
        return f'{head}<result>\n\t<error message="{escape(str(payload.get("message")))}" />\n</result>'
    if isinstance(payload, dict) and set(payload) == {"value"}:
        return f"{head}<result>{escape(str(payload['value']))}</result>"
    return f"{head}<result>\n{node(payload, chr(9))}</result>"


# --------------------------------------------------------------------------- per-method faults and the masked log


class MaskedLog(list[dict[str, Any]]):
    """The request log with `token_auth` masked (body, query and target) as entries arrive; adds `form` (the POST
    parameters, masked), `api_method` and `token_in_query`."""

    def append(self, entry: dict[str, Any]) -> None:
        body = entry.get("body")
        pairs = parse_qsl(body, keep_blank_values=True) if isinstance(body, str) else []
        masked = mask_pairs(pairs)
        entry["form"] = php_params(masked)
        if isinstance(body, str):
            entry["body"] = urlencode(masked)
        elif isinstance(body, dict):
            entry["body"] = {k: (MASK if str(k).lower() == "token_auth" and v else v) for k, v in body.items()}
        query = entry.get("query") or {}
        entry["token_in_query"] = "token_auth" in query
        entry["query"] = {k: ([MASK] * len(v) if k.lower() == "token_auth" else v) for k, v in query.items()}
        target = urlsplit(entry.get("target") or "")
        if target.query:
            masked_query = urlencode(mask_pairs(parse_qsl(target.query, keep_blank_values=True)), safe="*")
            entry["target"] = f"{target.path}?{masked_query}"
        get = dict(parse_qsl(target.query, keep_blank_values=True)) if target.query else {}
        entry["api_method"] = get.get("method") or entry["form"].get("method")
        super().append(entry)




# --------------------------------------------------------------------------- the simulator


class Caller:
    """Who is asking: the superuser, a view user, or anonymous."""

    def __init__(self, login: str, superuser: bool = False, view: set[int] | None = None) -> None:
        self.login, self.superuser, self.view = login, superuser, set(view or ())

    def can_view(self, idsite: int) -> bool:
        return self.superuser or idsite in self.view


class MatomoSim(SimApp):
    prefix = ""

    def __init__(self, sites: int = 12, seed: int = 1, latency_ms: float = 0.0, jitter_ms: float = 0.0,
                 token: str = DEFAULT_TOKEN, version: str = "5.2.0", brute_force_limit: int = 20, *,
                 brute_force_window: float = 3600.0, secure_only: bool = True, matomo_url: str | None = None,
                 force_ssl: bool = False, legacy_tracker: bool = False, retry_after: int = 1,
                 hang_seconds: float = 30.0) -> None:
        self.token = token
        self.version = version
        self.brute_force_limit = brute_force_limit
        self.brute_force_window = brute_force_window
        self.matomo_url = matomo_url          # what getJavascriptTag renders by default; None: this server's address
        self.force_ssl = force_ssl            # tracker URL https:// instead of protocol-relative //
        self.legacy_tracker = legacy_tracker  # installed before 3.7: piwik.php / piwik.js
        self.retry_after = retry_after
        self.login_blocked = False            # the user-level 403 instead of answers
        self.tokens: dict[str, dict[str, Any]] = {}
        self.add_token(token, login=SUPERUSER, superuser=True, secure_only=secure_only)
        self.failed_logins: dict[str, deque[float]] = {}
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._server = SimServer(self, latency_ms=latency_ms, jitter_ms=jitter_ms, seed=seed, hang_seconds=hang_seconds,
                                  named_faults=True)
        self._server.request_log = MaskedLog()
        self.sites: dict[int, dict[str, str]] = {}        # idsite -> the database row, every value a string
        self.site_urls: dict[int, list[str]] = {}         # idsite -> [main_url, alias...]
        self._next_id = 1
        self._seed(max(sites, 0))

    def operation_name(self, target: str, headers: Message, body: bytes) -> str | None:
        query = urlsplit(target).query
        get = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
        return get.get("method") or dict(form_pairs(body, headers.get("Content-Type"))).get("method")

    # ------------------------------------------------------------------ public interface

    @property
    def api_url(self) -> str | None:
        return self._server.base_url + PATH if self._server.base_url else None

    def add_token(self, token: str, *, login: str = "viewer", superuser: bool = False, view_sites: tuple[int, ...] |
                  list[int] | set[int] = (), secure_only: bool = True) -> None:
        """Another token: a superuser's, or a user's with view access to `view_sites`. `secure_only`: accepted only in
        the POST body (Matomo 5's "only allow secure requests")."""
        self.tokens[token] = {"login": login, "superuser": superuser, "view": set(view_sites), "secure_only": secure_only}

    def unblock(self, ip: str | None = None) -> None:
        """Forget the failed logins of `ip` (or of every IP), as the superuser's "unblock" does."""
        with self._lock:
            if ip is None:
                self.failed_logins.clear()
            else:
                self.failed_logins.pop(ip, None)

    def is_blocked(self, ip: str = "127.0.0.1") -> bool:
        with self._lock:
            return self._blocked(ip)

    def sites_with_url(self, url: str) -> list[int]:
        """Ids whose main or alias URL is exactly `url` (case-insensitive), for tests."""
        with self._lock:
            return sorted(i for i, urls in self.site_urls.items() if url.lower() in (u.lower() for u in urls))

    # ------------------------------------------------------------------ SimApp

    def handle(self, req: Request) -> Response:
        if req.route_path not in (PATH, "/"):
            return proxy_page(404)
        if req.method not in ("GET", "POST", "HEAD"):
            return proxy_page(405, [("Allow", "GET, POST")])
        get_pairs = [(k, v) for k, values in req.query.items() for v in values]
        post_pairs = form_pairs(req.body, req.header("Content-Type"))
        get, post = php_params(get_pairs), php_params(post_pairs)
        params = {**post, **get}                        # PHP's $_GET + $_POST: the query string wins
        if str(params.get("module") or "") != "API":
            return Response(200, LOGIN_PAGE.encode(), "text/html; charset=utf-8")
        peer = self._server.current_peer()
        with self._lock:
            try:
                caller = self._authenticate(get, post, peer)
                payload: Any = self._dispatch(params, caller, req)
                status = 200
            except ApiError as err:
                payload, status = {"result": "error", "message": err.message.replace("\n", " ")}, err.status
        if str(params.get("format") or "").lower() != "json":
            return Response(status, xml(payload).encode("utf-8"), "text/xml; charset=utf-8")
        return Response(status, dumps(payload), "application/json; charset=utf-8")

    def error_response(self, req: Request, status: int, code: str | None = None,
                       message: str | None = None) -> Response:
        if code == "no_value":
            return Response(status, dumps({"message": message or "ok"}), "application/json; charset=utf-8")
        if message is not None:
            return Response(status, dumps({"result": "error", "message": message}), "application/json; charset=utf-8")
        retry = [("Retry-After", str(self.retry_after))] if status in (429, 503) else []
        if status == 500:
            return Response(500, PHP_FATAL.encode(), "text/html; charset=UTF-8")
        if status == 503:
            return Response(503, MAINTENANCE.encode(), "text/html; charset=utf-8", retry)
        return proxy_page(status, retry)

    def decorate(self, req: Request, resp: Response) -> None:
        resp.headers.append(("X-Matomo-Request-Id", f"{self._rng.getrandbits(20):05x}"))

    # ------------------------------------------------------------------ auth and brute force

    def _blocked(self, ip: str) -> bool:
        if not self.brute_force_limit:
            return False
        failures = self.failed_logins.get(ip)
        if not failures:
            return False
        cutoff = time.monotonic() - self.brute_force_window
        while failures and failures[0] < cutoff:
            failures.popleft()
        return len(failures) >= self.brute_force_limit

    def _authenticate(self, get: dict[str, Any], post: dict[str, Any], peer: str) -> Caller:
        token = get.get("token_auth", post.get("token_auth"))
        if not token or not isinstance(token, str) or token == "anonymous":
            return Caller("anonymous")
        if self._blocked(peer):
            raise ApiError(BRUTE_FORCE)
        secure = "token_auth" in post and "token_auth" not in get
        entry = self.tokens.get(token)
        if entry is None or (entry["secure_only"] and not secure):
            self.failed_logins.setdefault(peer, deque()).append(time.monotonic())
            raise ApiError(BAD_TOKEN if secure else BAD_TOKEN_NOT_POST, 401)
        if self.login_blocked:
            raise ApiError(LOGIN_BLOCKED, 403)
        return Caller(entry["login"], entry["superuser"], entry["view"])

    @staticmethod
    def _need_superuser(caller: Caller) -> None:
        if not caller.superuser:
            raise NoAccess(NEEDS_SUPERUSER)

    @staticmethod
    def _need_view(caller: Caller, idsite: int | str) -> None:
        if not caller.superuser and (not isinstance(idsite, int) or idsite not in caller.view):
            raise NoAccess(NEEDS_VIEW.format(id=idsite))

    @staticmethod
    def _need_some_view(caller: Caller) -> None:
        if not caller.superuser and not caller.view:
            raise NoAccess(NEEDS_SOME_VIEW)

    # ------------------------------------------------------------------ dispatch

    def _methods(self) -> dict[str, Callable[[dict[str, Any], Caller, Request], Any]]:
        return {
            "API.getMatomoVersion": self._get_version,
            "SitesManager.getSitesIdFromSiteUrl": self._sites_id_from_url,
            "SitesManager.addSite": self._add_site,
            "SitesManager.getSiteFromId": self._site_from_id,
            "SitesManager.getSiteUrlsFromId": self._site_urls_from_id,
            "SitesManager.getJavascriptTag": self._javascript_tag,
            "SitesManager.deleteSite": self._delete_site,
            "SitesManager.getAllSitesId": self._all_sites_id,
        }

    def _dispatch(self, params: dict[str, Any], caller: Caller, req: Request) -> Any:
        name = str(params.get("method") or "").strip()
        if not name:
            raise ApiError(SPECIFY.format(name="method"))
        handler = self._methods().get(name)
        if handler is None:
            plugin, _, method = name.partition(".")
            raise ApiError(NO_METHOD.format(method=method or name, module=f"\\Piwik\\Plugins\\{plugin}\\API"))
        return handler(params, caller, req)

    @staticmethod
    def _required(params: dict[str, Any], name: str) -> str:
        value = params.get(name)
        if value is None:
            raise ApiError(SPECIFY.format(name=name))
        return value if isinstance(value, str) else ",".join(value)

    def _idsite(self, params: dict[str, Any]) -> int | str:
        raw = self._required(params, "idSite").strip()
        return int(raw) if raw.isdigit() else raw

    # ------------------------------------------------------------------ methods

    def _get_version(self, params: dict[str, Any], caller: Caller, req: Request) -> Any:
        self._need_some_view(caller)
        return {"value": self.version}

    def _sites_id_from_url(self, params: dict[str, Any], caller: Caller, req: Request) -> Any:
        url = remove_trailing_slash(self._required(params, "url"))
        wanted = {u.lower() for u in normalized_urls(url)}
        ids = sorted(i for i, urls in self.site_urls.items()
                     if caller.can_view(i) and any(u.lower() in wanted for u in urls))
        return [{"idsite": str(i)} for i in ids]

    def _add_site(self, params: dict[str, Any], caller: Caller, req: Request) -> Any:
        self._need_superuser(caller)
        name = params.get("siteName")
        if name is None:
            raise ApiError(SPECIFY.format(name="siteName"))
        if isinstance(name, list) or name in ("", "0"):       # PHP empty(): "" and "0"
            raise ApiError(EMPTY_NAME)
        zone = str(params.get("timezone") or "").strip() or "UTC"
        if not valid_timezone(zone):
            raise ApiError(BAD_TIMEZONE.format(tz=zone))
        currency = str(params.get("currency") or "").strip() or "USD"
        if currency not in CURRENCIES:
            raise ApiError(BAD_CURRENCY.format(cur=currency))
        site_type = str(params.get("type") or "").strip() or "website"
        if site_type not in SITE_TYPES:
            raise ApiError(BAD_TYPE.format(type=site_type))
        created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        start = params.get("startDate")
        if start:
            try:
                created = date.fromisoformat(str(start).strip()).strftime("%Y-%m-%d 00:00:00")
            except ValueError:
                raise ApiError(BAD_DATE.format(value=start)) from None
        urls = clean_urls(params.get("urls"))
        if not urls:
            raise ApiError(NO_URL)
        for url in urls:
            if not looks_like_url(url):
                raise ApiError(BAD_URL.format(url=url))

        def flag(key: str, default: str) -> str:
            raw = params.get(key)
            return default if raw in (None, "") else ("1" if str(raw).strip().lower() in ("1", "true") else "0")

        def listed(key: str) -> str:
            raw = params.get(key)
            return "" if not raw else ",".join(p.strip() for p in str(raw).split(",") if p.strip())

        idsite = self._next_id
        self._next_id += 1
        self.sites[idsite] = {
            "idsite": str(idsite), "name": name, "main_url": urls[0], "ts_created": created,
            "ecommerce": flag("ecommerce", "0"), "sitesearch": flag("siteSearch", "1"),
            "sitesearch_keyword_parameters": listed("searchKeywordParameters"),
            "sitesearch_category_parameters": listed("searchCategoryParameters"), "timezone": zone,
            "currency": currency, "exclude_unknown_urls": flag("excludeUnknownUrls", "0"),
            "excluded_ips": listed("excludedIps"), "excluded_parameters": listed("excludedQueryParameters"),
            "excluded_user_agents": listed("excludedUserAgents"), "excluded_referrers": listed("excludedReferrers"),
            "group": str(params.get("group") or "").strip(), "type": site_type,
            "keep_url_fragment": str(params.get("keepURLFragments") or "0"), "creator_login": caller.login,
        }
        self.site_urls[idsite] = urls
        return {"value": idsite}

    def _site_from_id(self, params: dict[str, Any], caller: Caller, req: Request) -> Any:
        idsite = self._idsite(params)
        self._need_view(caller, idsite)
        row = self.sites.get(idsite) if isinstance(idsite, int) else None
        if row is None:
            raise ApiError(UNEXPECTED_SITE.format(id=idsite))
        site = {**row, "timezone_name": timezone_name(row["timezone"]),
                "currency_name": CURRENCIES.get(row["currency"], row["currency"])}
        if not caller.superuser:
            site.pop("creator_login", None)
        return site

    def _site_urls_from_id(self, params: dict[str, Any], caller: Caller, req: Request) -> Any:
        idsite = self._idsite(params)
        self._need_view(caller, idsite)
        return list(self.site_urls.get(idsite, [])) if isinstance(idsite, int) else []

    def _javascript_tag(self, params: dict[str, Any], caller: Caller, req: Request) -> Any:
        idsite = self._idsite(params)
        self._need_view(caller, idsite)
        base = str(params.get("piwikUrl") or "").strip() or self.matomo_url or f"http://{req.host}/"
        host = re.sub(r"^(?:https?:)?//", "", base, flags=re.I).rstrip("/")
        php, js = ("piwik.php", "piwik.js") if self.legacy_tracker else ("matomo.php", "matomo.js")
        code = TRACKING_CODE.format(protocol="https://" if self.force_ssl else "//", host=host, php=php, js=js, id=idsite)
        return {"value": code}

    def _delete_site(self, params: dict[str, Any], caller: Caller, req: Request) -> Any:
        self._need_superuser(caller)
        idsite = self._idsite(params)
        if idsite not in self.sites:
            raise ApiError(NOT_FOUND.format(id=idsite))
        if len(self.sites) == 1:
            raise ApiError(ONLY_SITE)
        del self.sites[idsite]
        self.site_urls.pop(idsite, None)
        return {"result": "success", "message": "ok"}

    def _all_sites_id(self, params: dict[str, Any], caller: Caller, req: Request) -> Any:
        self._need_superuser(caller)
        return [str(i) for i in sorted(self.sites)]

    # ------------------------------------------------------------------ seeding

    def _seed(self, count: int) -> None:
        used: set[str] = set()
        start = datetime(2024, 1, 8, 9, 0, 0)
        for n in range(count):
            while True:
                domain = f"{self._rng.choice(WORDS)}-{self._rng.randint(1, 99)}.example.{self._rng.choice(TLDS)}"
                if domain not in used:
                    used.add(domain)
                    break
            scheme = "http" if n % 5 == 4 else "https"        # some older sites were registered without TLS
            urls = [f"{scheme}://{domain}"] + ([f"{scheme}://www.{domain}"] if n % 3 != 2 else [])
            idsite = self._next_id
            self._next_id += 1
            created = start + timedelta(days=17 * n, minutes=self._rng.randint(0, 600))
            self.sites[idsite] = {
                "idsite": str(idsite), "name": domain, "main_url": urls[0],
                "ts_created": created.strftime("%Y-%m-%d %H:%M:%S"), "ecommerce": "1" if n % 4 == 1 else "0",
                "sitesearch": "1", "sitesearch_keyword_parameters": "", "sitesearch_category_parameters": "",
                "timezone": self._rng.choice(SEED_ZONES), "currency": self._rng.choice(SEED_CURRENCIES),
                "exclude_unknown_urls": "0", "excluded_ips": "", "excluded_parameters": "",
                "excluded_user_agents": "", "excluded_referrers": "", "group": "", "type": "website",
                "keep_url_fragment": "0", "creator_login": SUPERUSER,
            }
            self.site_urls[idsite] = urls
