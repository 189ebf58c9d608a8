"""The WHMCS adapter (External API, `POST {url}/includes/api.php`): clients, services, products, module actions,
the activity log and the connection test.

WHMCS bills servers; it does not list them, so this adapter has none of the server capabilities. Its methods read
like the API actions they call. Writes follow the retry rules of shared/api/README.md: UpdateClient and
UpdateClientProduct may be resent, AddClient never (it is reconciled by email), Module* actions never (the service is
read back and what was found is reported).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from datetime import date
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from ..adapter_base.connection_test import Stopwatch
from ..adapter_base.http_adapter import HttpAdapter
from ..errors import AuthError
from ..errors import BackendError
from ..errors import ConfigError
from ..errors import ConflictError
from ..errors import NotFoundError
from ..errors import PermissionDenied
from ..errors import ProtocolError
from ..errors import RateLimitedError
from ..errors import UnavailableError
from ..errors import UnsupportedError
from ..errors import ValidationError
from ..http import HttpCore
from ..http import RetryPolicy
from ..models import Client
from ..models import ConnectionReport
from ..roles import Role
from . import parse
from .api import PAGE_SIZE
from .api import ClientsClient
from .api import DeskClient
from .api import ModulesClient
from .api import ServicesClient
from .api import SystemClient
from .api import WhmcsApi
from .errors import classify
from .errors import rejection
from .fields import CLIENT_ALIASES
from .fields import CLIENT_FIELDS
from .fields import SERVICE_ALIASES
from .fields import SERVICE_FIELDS
from .fields import check_country
from .fields import check_email
from .fields import strong_password
from .fields import wire_fields
from .models import ActivityEntry
from .models import AddedClient
from .models import Invoice
from .models import ModuleResult
from .models import Product
from .models import Service
from .models import Ticket
from .models import WhmcsInfo
from .reconcile import check_failed
from .reconcile import look_again
from .reconcile import unclear
from .scrub import ScrubbedEvents

if TYPE_CHECKING:
    from ..config import BackendConfig
    from ..events import EventLog
    from ..secrets import Secrets

API_SUFFIX = "/includes/api.php"
DEFAULT_CONCURRENCY = 8          # whmcs.md: at most 8 requests in flight
# Module actions are never resent, not even after a connection error or a proxy's 429.
NO_RETRY = RetryPolicy(max_retries=0, rate_limit_budget=0.0)
EXPECTED_AFTER = {"ModuleCreate": "Active", "ModuleSuspend": "Suspended", "ModuleUnsuspend": "Active",
                  "ModuleTerminate": "Terminated", "ModuleChangePw": None}
WORDS = {"ModuleCreate": "create", "ModuleSuspend": "suspend", "ModuleUnsuspend": "unsuspend",
         "ModuleTerminate": "terminate", "ModuleChangePw": "change the password of"}


class WhmcsAdapter(HttpAdapter):
    kind = "whmcs"
    roles = frozenset({Role.BILLING_SYSTEM})
    capabilities = frozenset()
    secret_fields = ("identifier", "secret")
    default_concurrency = DEFAULT_CONCURRENCY
    optional_secret_fields = ("accesskey",)

    def __init__(self, config: BackendConfig, *, secrets: Secrets, events: EventLog | None = None,
                 read_only: bool = False, store: Any = None,
                 policy: RetryPolicy | None = None) -> None:
        super().__init__(config, secrets=secrets, events=events, read_only=read_only, store=store, policy=policy)
        self.page_size = int(config.option("page_size", PAGE_SIZE))
        self.reconcile_spacing = float(config.option("reconcile_spacing", 1.0))
        zone = str(config.option("timezone", "UTC"))
        try:
            self.timezone = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"timezone {zone!r} is not a known time zone.", key=f"backends.{self.name}.timezone",
                              fix='write the WHMCS installation\'s zone, e.g. "Europe/Lisbon" or "UTC".') from None
        self._access_key_used = False
        self._facts: dict[str, Any] = {}      # the installation's version, read once (GetClients paging depends on it)
        self.admin_path = str(config.option("admin_path", "admin")).strip("/") or "admin"

    # plumbing -------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.root_url(API_SUFFIX, needs="WHMCS backend needs the URL of the WHMCS installation",
                             example='"https://billing.example.com" (the folder that holds includes/api.php)')

    def _credentials(self) -> dict[str, str]:
        creds = {"identifier": self.secrets.require(self.name, "identifier"),
                 "secret": self.secrets.require(self.name, "secret")}
        access_key, _source = self.secrets.get(self.name, "accesskey")
        if access_key:
            creds["accesskey"] = access_key
        self._access_key_used = bool(access_key)
        return creds

    def secret_values(self) -> dict[str, str]:
        return self._credentials()

    def build_cores(self, values: Mapping[str, str]) -> tuple[HttpCore, ...]:
        # Both clients send the same credentials: one guard, so the first call of either authenticates alone.
        events = ScrubbedEvents(self.events, values.values())
        common = self.core_options(values, self.url, classify=classify, events=events,
                                   judge=lambda reply: rejection(reply.status, reply.data, "WHMCS API", self.name))
        self._creds = dict(values)
        return HttpCore(**common), HttpCore(**{**common, "max_concurrency": 2, "policy": NO_RETRY})

    @property
    def api(self) -> WhmcsApi:
        main, module = self.cores()
        return WhmcsApi(main, self._creds, module_http=module, facts=self._facts)

    @property
    def clients(self) -> ClientsClient:
        return ClientsClient(self.api)

    @property
    def services(self) -> ServicesClient:
        return ServicesClient(self.api)

    @property
    def modules(self) -> ModulesClient:
        return ModulesClient(self.api)

    @property
    def system(self) -> SystemClient:
        return SystemClient(self.api)

    @property
    def desk(self) -> DeskClient:
        return DeskClient(self.api)

    # connection -----------------------------------------------------------------
    async def test_connection(self) -> ConnectionReport:
        report = await super().test_connection()
        report.details["access_key"] = "used" if self._access_key_used else "not set"
        return report

    async def probe_connection(self, report: ConnectionReport, clock: Stopwatch) -> None:
        """WhmcsDetails (8.0+); when the action is unknown or not allowed in the API role (Command Not Found, Invalid
        API Action, Invalid Permissions), GetClients limitnum=1. The latency is the round trip of the last request."""
        clock.watch(self.api.http)
        try:
            info = await self.details()
            report.version = info.version
            report.details["canonical_version"] = info.canonical_version
        except (UnsupportedError, PermissionDenied) as exc:
            if exc.code not in ("command_not_found", "action_not_allowed"):
                raise
            clock.restart()
            report.details["clients"] = await self.clients.count()
            report.details["whmcs_details"] = f"not available ({exc.message})"
        report.latency_ms = clock.lap()
        report.ok = True

    def explain_failure(self, exc: BackendError, report: ConnectionReport) -> str:
        if not isinstance(exc, AuthError):
            return exc.message
        if exc.code == "ip_not_allowed":
            return f"this machine's IP is not allowed: {exc.message}"
        if exc.code in ("credential_rejected_before", "ip_banned", "admin_disabled"):
            return exc.message
        return f"API credentials rejected: {exc.message}"

    async def details(self) -> WhmcsInfo:
        """WhmcsDetails (8.0+): the version."""
        info = parse.parse_details(await self.system.details())
        from .api import version_tuple

        self._facts["version"] = version_tuple(info.version)
        return info

    # clients --------------------------------------------------------------------
    async def get_clients(self, search: str | None = None, *, status: str | None = None,
                          progress: Callable[[int, int], None] | None = None) -> list[Client]:
        """Every client (or those whose email/name/company starts with `search`): all pages, complete or an error."""
        rows = await self.clients.all(search=search, status=status, progress=progress, page_size=self.page_size)
        return [parse.parse_client(self.name, r) for r in rows]

    async def get_client(self, client_id: str | int | None = None, email: str | None = None) -> Client:
        """One client with its users and stats (`raw["stats"]`), by id or by exact email."""
        if client_id is None and not email:
            raise ValidationError("give a client id or an email address.", backend=self.name, operation="GetClientsDetails")
        try:
            raw, stats = await self.clients.details(client_id=client_id, email=email)
        except NotFoundError:
            what = f"id {client_id}" if client_id is not None else f"email {email}"
            raise NotFoundError(f"WHMCS has no client with {what}.", backend=self.name, operation="GetClientsDetails",
                                code="not_found") from None
        return parse.parse_client(self.name, raw, stats)

    async def find_client(self, email: str) -> Client | None:
        """The client with exactly this email, or None (WHMCS answers "Client Not Found" as an error)."""
        try:
            return await self.get_client(email=email)
        except NotFoundError:
            return None

    async def add_client(self, *, first_name: str, last_name: str, email: str, address1: str, city: str, state: str,
                         postcode: str, country: str, phone_number: str, company: str = "", address2: str = "",
                         password: str | None = None, owner_user_id: int | None = None, currency: int | None = None,
                         group_id: int | None = None, language: str | None = None, notes: str | None = None,
                         custom_fields: dict[str | int, Any] | None = None, no_email: bool = False,
                         skip_validation: bool = False) -> AddedClient:
        """AddClient, never resent. Without `password` (and `owner_user_id`) a strong owner password is generated and
        returned once. After an unclear failure the client is looked up by email instead of being sent again."""
        operation = "AddClient"
        self._mutation(operation)
        email = check_email(email, self.name, operation)
        country = check_country(country, self.name, operation)
        existing = await self.find_client(email)
        if existing is not None:
            raise ConflictError(f"{email} is already WHMCS client {existing.id}; nothing was sent.", backend=self.name,
                                operation=operation, code="duplicate_email", details={"client_id": existing.id})
        generated = None
        if owner_user_id is None and not password:
            password = generated = strong_password()
        form: dict[str, Any] = {
            "firstname": first_name, "lastname": last_name, "companyname": company, "email": email,
            "address1": address1, "address2": address2, "city": city, "state": state, "postcode": postcode,
            "country": country, "phonenumber": phone_number, "owner_user_id": owner_user_id,
            "password2": password if owner_user_id is None else None, "currency": currency, "groupid": group_id,
            "language": language, "notes": notes, "noemail": no_email or None, "skipvalidation": skip_validation or None,
            "customfields": parse.custom_fields_param(custom_fields) if custom_fields else None,
        }
        try:
            client_id = await self.clients.add(form)
        except ConflictError as exc:
            raise ConflictError(f"{email} already belongs to a WHMCS user ({exc.details}); nothing was made. Fix: use "
                                "another email, or add the client with owner_user_id set to that user.",
                                backend=self.name, operation=operation, code="duplicate_email",
                                details=exc.details) from None
        except (UnavailableError, ProtocolError) as exc:
            found = await self._reconcile_add(email, exc)
            self.audit(f"AddClient {email}: found as client {found.id} after an unclear failure", target=found.id,
                       level="warning")
            return AddedClient(found, reconciled=True, password=generated)
        client = await self.get_client(client_id=client_id)
        self.audit(f"AddClient {email}: client {client_id} created", target=client_id)
        return AddedClient(client, password=generated)

    async def _reconcile_add(self, email: str, exc: BackendError) -> Client:
        try:
            found = await look_again(lambda: self.find_client(email), exc, spacing=self.reconcile_spacing)
        except BackendError as failed:
            raise check_failed(exc, failed, backend=self.name, operation="AddClient") from None
        if found is None:
            raise unclear(exc, f"no client with {email} exists", backend=self.name, operation="AddClient",
                          safe_to_retry=True) from None
        return found

    async def update_client(self, client_id: str | int, **fields: Any) -> Client:
        """UpdateClient with WHMCS field names (or first_name, last_name, company, phone_number, group_id)."""
        operation = "UpdateClient"
        self._mutation(operation)
        wire = wire_fields(fields, CLIENT_FIELDS, CLIENT_ALIASES, backend=self.name, operation=operation)
        if not wire:
            raise ValidationError("nothing to change: give at least one field.", backend=self.name, operation=operation)
        try:
            await self.clients.update(str(client_id), wire)
        except NotFoundError:
            raise NotFoundError(f"WHMCS has no client with id {client_id}.", backend=self.name, operation=operation,
                                code="not_found") from None
        except ConflictError as exc:
            raise ConflictError(f"another WHMCS client or user already has the email {wire.get('email')} "
                                f"({exc.details}); nothing was changed.", backend=self.name, operation=operation,
                                code="duplicate_email", details=exc.details) from None
        self.audit(f"UpdateClient {client_id}: {', '.join(sorted(wire))}", target=str(client_id),
                   detail={"fields": sorted(wire)})
        return await self.get_client(client_id=client_id)

    # services and products --------------------------------------------------------
    async def get_services(self, client_id: str | int | None = None, service_id: str | int | None = None, *,
                           domain: str | None = None, progress: Callable[[int, int], None] | None = None) -> list[Service]:
        """Services (GetClientsProducts) of one client, one service, one domain, or all: every page."""
        rows = await self.services.all(client_id=None if client_id is None else str(client_id),
                                       service_id=None if service_id is None else str(service_id), domain=domain,
                                       progress=progress, page_size=self.page_size)
        return [parse.parse_service(self.name, r) for r in rows]

    async def get_service(self, service_id: str | int) -> Service:
        raw = await self.services.get(str(service_id))
        if raw is None:
            raise NotFoundError(f"WHMCS has no service with id {service_id}.", backend=self.name,
                                operation="GetClientsProducts", code="not_found")
        return parse.parse_service(self.name, raw)

    async def get_products(self, product_id: str | int | None = None, *, group_id: str | int | None = None,
                           module: str | None = None) -> list[Product]:
        rows = await self.services.products(None if product_id is None else str(product_id),
                                            None if group_id is None else str(group_id), module)
        return [parse.parse_product(self.name, r) for r in rows]

    async def update_client_product(self, service_id: str | int, *, server_id: str | None = None,
                                    custom_fields: dict[str | int, Any] | None = None, **fields: Any) -> Service:
        """UpdateClientProduct (idempotent, may be resent). `server_id` and `custom_fields` keyed by name are resolved
        to the product's custom field ids from the service itself."""
        operation = "UpdateClientProduct"
        self._mutation(operation)
        wire = wire_fields(fields, SERVICE_FIELDS, SERVICE_ALIASES, backend=self.name, operation=operation)
        wanted = dict(custom_fields or {})
        if server_id is not None:
            wanted["server_id"] = server_id
        if wanted:
            current = await self.get_service(service_id)
            by_id: dict[str | int, Any] = {}
            for key, value in wanted.items():
                field_id = key if parse.as_int(key) is not None else current.custom_field_ids.get(str(key))
                if field_id is None:
                    raise ValidationError(f"the product {current.product!r} of service {service_id} has no custom field "
                                          f"named {key!r}; add it to the product in WHMCS first. Nothing was sent.",
                                          backend=self.name, operation=operation)
                by_id[field_id] = value
            wire["customfields"] = parse.custom_fields_param(by_id)
        if not wire:
            raise ValidationError("nothing to change: give at least one field.", backend=self.name, operation=operation)
        try:
            await self.services.update(str(service_id), wire)
        except NotFoundError:
            raise NotFoundError(f"WHMCS has no service with id {service_id}.", backend=self.name, operation=operation,
                                code="not_found") from None
        changed = sorted(k for k in wire if k != "customfields") + [f"custom field {k}" for k in wanted]
        self.audit(f"UpdateClientProduct {service_id}: {', '.join(changed)}", target=str(service_id),
                   detail={"fields": changed})
        return await self.get_service(service_id)

    # module actions -----------------------------------------------------------------
    async def module_create(self, service_id: str | int, *, force: bool = False) -> ModuleResult:
        """Run the product's module create. Refused on an Active service unless `force`: a second create can make a
        second server."""
        return await self._module("ModuleCreate", str(service_id), {}, force=force)

    async def module_suspend(self, service_id: str | int, reason: str = "") -> ModuleResult:
        return await self._module("ModuleSuspend", str(service_id), {"suspendreason": reason or None})

    async def module_unsuspend(self, service_id: str | int) -> ModuleResult:
        return await self._module("ModuleUnsuspend", str(service_id), {})

    async def module_terminate(self, service_id: str | int) -> ModuleResult:
        return await self._module("ModuleTerminate", str(service_id), {})

    async def module_change_password(self, service_id: str | int, password: str) -> ModuleResult:
        if not password:
            raise ValidationError("the new service password is empty.", backend=self.name, operation="ModuleChangePw")
        return await self._module("ModuleChangePw", str(service_id), {"servicepassword": password})

    async def _module(self, action: str, service_id: str, extra: dict[str, Any], *, force: bool = False) -> ModuleResult:
        self._mutation(action)
        before = await self.get_service(service_id)
        if action == "ModuleCreate" and before.status == "Active" and not force:
            raise ConflictError(f"service {service_id} ({before.product}, {before.domain or 'no domain'}) is already "
                                "Active: ModuleCreate would run the module again and can make a second server. Nothing "
                                "was sent; check the server first.", backend=self.name, operation=action,
                                code="already_active")
        try:
            await self.modules.run(action, service_id, extra)
        except RateLimitedError as exc:       # a proxy refused it: WHMCS never saw it
            raise RateLimitedError(f"a proxy in front of WHMCS refused {action} for service {service_id} (429), so it "
                                   "was not run; it was not sent again. Try again in a minute.", backend=self.name,
                                   operation=action, http_status=429, retryable=True,
                                   retry_after=exc.retry_after) from None
        except (UnavailableError, ProtocolError) as exc:
            return await self._reconcile_module(action, before, exc)
        except NotFoundError:
            raise NotFoundError(f"WHMCS has no service with id {service_id}.", backend=self.name, operation=action,
                                code="not_found") from None
        except BackendError as exc:
            self.audit(f"{action} service {service_id}: failed: {exc.details or exc.message}", target=service_id,
                       level="error")
            if exc.code == "panel_user_not_found":   # the panel user is missing, not the service
                exc.backend, exc.operation = self.name, action
                raise
            if type(exc) is BackendError:   # the module's own text, shown verbatim
                raise BackendError(f"WHMCS could not {WORDS[action]} service {service_id}; the module answered: "
                                   f"{exc.details or exc.message}", backend=self.name, operation=action,
                                   code="module_error", details=exc.details) from None
            raise
        after = await self._read_quietly(service_id)
        self.audit(f"{action} service {service_id}: success", target=service_id,
                   detail={"before": before.status, "after": after.status if after else None})
        return ModuleResult(self.name, service_id, action, "success", service=after)

    async def _read_quietly(self, service_id: str) -> Service | None:
        try:
            return await self.get_service(service_id)
        except BackendError:
            return None

    async def _reconcile_module(self, action: str, before: Service, exc: BackendError) -> ModuleResult:
        """The action may or may not have run: read the service back (WHMCS changes the status only after the module
        succeeded) and report what was found. Never resent."""
        expected = EXPECTED_AFTER[action]
        seen: list[Service] = []

        async def check() -> Service | None:
            current = await self.get_service(before.id)
            seen.append(current)
            changed = expected is not None and current.status == expected and before.status != expected
            return current if changed else None

        try:
            found = await look_again(check, exc, spacing=self.reconcile_spacing)
        except BackendError as failed:
            raise check_failed(exc, failed, backend=self.name, operation=action) from None
        if found is not None:
            message = (f"{action} got no clear answer ({exc.message}); hostdeck read service {before.id} back: it is "
                       f"now {found.status} (was {before.status}), so the action was applied. It was not sent again.")
            self.audit(f"{action} service {before.id}: applied (found {found.status} after an unclear failure)",
                       target=before.id, level="warning")
            return ModuleResult(self.name, before.id, action, "applied", message, found)
        status = seen[-1].status if seen else "unknown"
        finding = (f"service {before.id} is {status}" + (f" (was {before.status})" if status != before.status else "")
                   + ("; a password change does not show in the service status" if expected is None else "")
                   + "; look at the server in its own backend and at the WHMCS activity log")
        self.audit(f"{action} service {before.id}: unclear, found {status}", target=before.id, level="error")
        raise unclear(exc, finding, backend=self.name, operation=action, safe_to_retry=False) from None

    # activity log --------------------------------------------------------------------
    async def get_activity_log(self, *, client_id: str | int | None = None, description: str | None = None,
                               user: str | None = None, ip_address: str | None = None, since: datetime | None = None,
                               limit: int | None = 100) -> list[ActivityEntry]:
        """Newest first. `since` is applied on the returned dates (WHMCS's own date filter is localised); paging
        stops at `limit` entries or at the first entry older than `since`. `limit=None, since=None`: every entry."""
        params = {"clientid": client_id, "description": description, "user": user, "ipaddress": ip_address}
        if limit is None and since is None:
            rows = await self.system.activity_all(params, page_size=self.page_size)
            every = [parse.parse_activity(r, self.timezone) for r in rows]
            return sorted(every, key=lambda e: e.id, reverse=True)
        entries: list[ActivityEntry] = []
        index = read = 0
        step = self.page_size if limit is None else max(1, min(limit, self.page_size))
        while True:
            rows, total = await self.system.activity_page(params, index, step)
            page = [parse.parse_activity(r, self.timezone) for r in rows]
            older = since is not None and any(e.date is not None and e.date < since for e in page)
            entries += [e for e in page if since is None or (e.date is not None and e.date >= since)]
            index, read = index + 1, read + len(rows)
            if not rows or older or read >= total or (limit is not None and len(entries) >= limit):
                break
        entries.sort(key=lambda e: e.id, reverse=True)
        return entries if limit is None else entries[:limit]


    # invoices, tickets and links for people ------------------------------------------------
    async def get_invoices(self, client_id: str | int, *, status: str | None = None,
                           today: date | None = None) -> list[Invoice]:
        """A client's invoices (GetInvoices userid=, every page), oldest due first. `status` as WHMCS takes it:
        Unpaid, Paid, Cancelled, ... or "Overdue" (Unpaid and past due)."""
        rows = await self.desk.invoices(str(client_id), status, page_size=self.page_size)
        day = today or datetime.now(self.timezone).date()
        return [parse.parse_invoice(self.name, r, day) for r in rows]

    async def unpaid_invoices(self, client_id: str | int, *, today: date | None = None) -> list[Invoice]:
        """The client's Unpaid invoices (the overdue ones marked `overdue`)."""
        return await self.get_invoices(client_id, status="Unpaid", today=today)

    async def get_tickets(self, client_id: str | int | None = None, *, email: str | None = None,
                          active_only: bool = True) -> list[Ticket]:
        """A client's tickets (or a non-client's, by email), newest reply first. `active_only`: the statuses WHMCS
        counts as active ("All Active Tickets"), which is how custom statuses are told apart from closed ones."""
        rows = await self.desk.tickets(None if client_id is None else str(client_id), email,
                                       "All Active Tickets" if active_only else None, page_size=self.page_size)
        tickets = [parse.parse_ticket(self.name, r, self.timezone) for r in rows]
        return sorted(tickets, key=lambda t: t.last_reply or datetime.min.replace(tzinfo=self.timezone), reverse=True)

    def _site_root(self) -> str:
        return self.url.rstrip("/")

    def client_admin_url(self, client_id: str | int) -> str:
        """The client's summary in the WHMCS admin area (`admin_path` option: the renamed admin folder)."""
        return f"{self._site_root()}/{self.admin_path}/clientssummary.php?userid={int(client_id)}"

    def ticket_admin_url(self, ticket_id: str | int) -> str:
        return f"{self._site_root()}/{self.admin_path}/supporttickets.php?action=view&id={int(ticket_id)}"

    def invoice_admin_url(self, invoice_id: str | int) -> str:
        return f"{self._site_root()}/{self.admin_path}/invoices.php?action=edit&id={int(invoice_id)}"

    def client_area_url(self) -> str:
        """Where the customer logs in (clientarea.php)."""
        return f"{self._site_root()}/clientarea.php"
