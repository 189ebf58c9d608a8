"""The VPS panel adapter (the company's own customer panel): push VPS create/update/delete to `POST {url}/api/vps/sync`
with `X-API-Key` (shared/api/vpspanel.md is its contract).

The panel lists no servers for hostdeck, so this adapter has none of the server capabilities; its methods read like
the sync actions. Retry rules (shared/api/README.md, VPS panel rows): create is never resent after an ambiguous
failure and cannot be reconciled (the key cannot read records), so it raises a `create_unknown` error for an operator
to resolve; update is retried; delete is retried and a 404 "VPS not found" counts as done.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from ..adapter_base.connection_test import Stopwatch
from ..adapter_base.http_adapter import HttpAdapter
from ..config import BackendConfig
from ..errors import AuthError
from ..errors import BackendError
from ..errors import ConfigError
from ..errors import ConflictError
from ..errors import NotFoundError
from ..errors import ProtocolError
from ..errors import RateLimitedError
from ..errors import UnavailableError
from ..errors import ValidationError
from ..events import ScrubbedEvents
from ..http import HttpCore
from ..http import RetryPolicy
from ..models import ConnectionReport
from ..models import ServerStatus
from ..redact import MASK
from ..roles import Role
from .api import SYNC_PATH
from .api import SyncClient
from .errors import URL_FIX
from .errors import classify
from .errors import key_fix
from .models import STATUSES
from .models import VpsRecord
from .models import check_fields
from .models import panel_status
from .parse import parse_answer
from .parse import vps_object

if TYPE_CHECKING:
    from ..events import EventLog
    from ..secrets import Secrets

T = TypeVar("T")
MIN_KEY_LENGTH = 32
DEFAULT_CONCURRENCY = 4          # vpspanel.md: at most 4 requests in flight
READ_TIMEOUT = 15.0              # vpspanel.md: 5 s connect / 15 s read
CONFIG_DEFAULT_TIMEOUT = next(f.default for f in dataclasses.fields(BackendConfig) if f.name == "timeout")
UPDATE_FIELDS = ("user_id", "name", "status", "cpu", "ram", "disk", "os", "hypervisor")
ALIASES = {"ram_mb": "ram", "disk_gb": "disk"}
CORE_HINT = " The request may have been applied: check the target before trying again."


class VpsPanelAdapter(HttpAdapter):
    kind = "vpspanel"
    roles = frozenset({Role.PANEL_MIRROR})
    capabilities = frozenset()
    secret_fields = ("api_key",)

    def __init__(self, config: BackendConfig, *, secrets: Secrets, events: EventLog | None = None,
                 read_only: bool = False, store: Any = None,
                 policy: RetryPolicy | None = None) -> None:
        super().__init__(config, secrets=secrets, events=events, read_only=read_only, store=store, policy=policy)
        # what record_for() should put in `hypervisor` for this panel (vpspanel.md: "proxmox" unless configured)
        self.hypervisor = str(config.option("hypervisor", "proxmox"))
        self._key: str | None = None

    # plumbing -------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.root_url(SYNC_PATH, needs="VPS panel backend needs the panel's URL",
                             example='"https://panel.example.com" (hostdeck adds /api/vps/sync)')

    def _api_key(self) -> str:
        key = self.secrets.require(self.name, "api_key")
        if len(key) < MIN_KEY_LENGTH:
            # The panel rejects every key shorter than 32 characters, so nothing is sent with one.
            raise ConfigError(f"the API key is {len(key)} characters long; the panel needs at least {MIN_KEY_LENGTH}, "
                              "so the backend is not started.", key=f"backends.{self.name}.api_key",
                              fix=f"{key_fix(self.name)}.")
        return key

    def secret_values(self) -> dict[str, str]:
        return {"api_key": self._api_key()}

    def build_cores(self, values: Mapping[str, str]) -> tuple[HttpCore, ...]:
        key = values["api_key"]
        # the config's generic 30 s default means "not set": the contract's 15 s read timeout then applies
        timeout = READ_TIMEOUT if self.config.timeout == CONFIG_DEFAULT_TIMEOUT else self.config.timeout
        self._key = key
        return (HttpCore(classify=classify, headers={"X-API-Key": key},
                         **self.core_options(values, self.url, events=ScrubbedEvents(self.events, [key]),
                                             timeout=timeout, connect_timeout=5.0)),)

    @property
    def sync(self) -> SyncClient:
        return SyncClient(self.http)

    async def _call(self, send: Callable[[], Awaitable[T]]) -> T:
        """Run one request; should a panel echo the key in an error message, it never reaches the error shown."""
        try:
            return await send()
        except BackendError as exc:
            if self._key and self._key in exc.message:
                exc.message = exc.message.replace(self._key, MASK)
                exc.args = (exc.message,)
            raise

    def _panel_id(self, vps_id: Any, operation: str) -> int:
        if isinstance(vps_id, bool) or not isinstance(vps_id, int):
            raise ValidationError(f"{operation}: the panel's VPS id is a number, got {vps_id!r}. hostdeck server ids are "
                                  "text and never the panel id: use the panel id stored in the sync map.",
                                  backend=self.name, operation=operation, code="bad_id")
        if vps_id < 1:
            raise ValidationError(f"{operation}: the panel's VPS id must be 1 or more, got {vps_id}.", backend=self.name,
                                  operation=operation, code="bad_id")
        return vps_id

    def _refuse_invalid(self, vps: dict[str, Any], operation: str) -> None:
        problems = check_fields(vps)
        if problems:
            raise ValidationError(f"{operation}: not sent, the panel would reject "
                                  + "; ".join(f"{k} ({v})" for k, v in problems.items()) + ".",
                                  backend=self.name, operation=operation, code="invalid_record", details=problems)

    # connection -----------------------------------------------------------------
    async def probe_connection(self, report: ConnectionReport, clock: Stopwatch) -> None:
        """`POST /api/vps/sync` with `{"action": "update", "vps": {}}` (the contract's documented test): the key is
        checked before the body, so the field-validation answer ("Missing required fields", 422 or 400) means the key
        was accepted and nothing changed, 401 that it was rejected; any other answer, a bare 400 included, proves
        nothing about the key. There is no version to show."""
        clock.watch(self.http)
        reply = await self._call(lambda: self.sync.probe())
        report.latency_ms = clock.lap()
        report.ok = True
        report.details["probe"] = (f"HTTP {reply.status} 'Missing required fields' to an update without fields: "
                                   "key accepted, nothing changed")

    def explain_failure(self, exc: BackendError, report: ConnectionReport) -> str:
        if isinstance(exc, AuthError):
            report.details["answer"] = exc.details
            return exc.message if exc.code == "credential_rejected_before" else f"key rejected (401). Fix: {key_fix(self.name)}."
        if isinstance(exc, ProtocolError):
            if exc.code == "unexpected_success":
                return (f"the panel accepted an update without fields (HTTP {exc.http_status}); it does not check "
                        "requests as the contract says, so hostdeck cannot trust it. Ask the panel owners.")
            if exc.code == "not_the_documented_answer":
                return f"{exc.message} Fix: {URL_FIX}; if the URL is right, ask the panel owners."
            return f"the URL is wrong or is not the VPS panel: {exc.message} Fix: {URL_FIX}."
        if isinstance(exc, NotFoundError):
            return f"the URL is wrong: {exc.message}"
        if isinstance(exc, (UnavailableError, RateLimitedError)):
            return f"the panel is down or unreachable: {exc.message}"
        return exc.message

    # the sync actions -------------------------------------------------------------
    async def create_vps(self, record: VpsRecord) -> int:
        """Create the panel's record; returns its panel id (store it in the sync map at once).

        Never resent after an ambiguous failure (a timeout after sending, a 5xx, a reset, a garbled or id-less 2xx):
        the panel may have stored it and the API key cannot look it up, so the error (code `create_unknown`) says the
        record may exist and must be checked. Resent only when the panel cannot have received it (connection refused
        before sending, 429)."""
        operation = "create VPS record"
        self._mutation(operation)
        vps = record.wire()
        self._refuse_invalid(vps, operation)
        try:
            reply = await self._call(lambda: self.sync.create(vps))
        except UnavailableError as exc:
            if exc.http_status is None and exc.retryable:
                # The http core raises retryable transport errors without a status only when nothing reached the panel.
                raise UnavailableError(f"{exc.message} Nothing reached the panel, so no record was made; it is safe to "
                                       "try again.", backend=self.name, operation=operation, code="not_sent",
                                       retryable=True) from None
            raise self._create_unknown(record, exc, UnavailableError) from None
        except ProtocolError as exc:
            if exc.http_status is not None and 200 <= exc.http_status < 300:
                raise self._create_unknown(record, exc, ProtocolError) from None
            raise
        try:
            made = parse_answer(reply.data, backend=self.name, operation=operation)
        except ProtocolError as exc:
            exc.http_status = reply.status
            raise self._create_unknown(record, exc, ProtocolError) from None
        if made.id is None or made.id < 1:
            missing = ProtocolError(f"{operation}: the panel answered HTTP {reply.status} without the new record's id.",
                                    backend=self.name, operation=operation, http_status=reply.status)
            raise self._create_unknown(record, missing, ProtocolError)
        self.audit(f"create VPS record {record.name} for panel user {record.user_id}: panel id {made.id}",
                   target=str(made.id), detail=self._audit_detail(record))
        return made.id

    def _create_unknown(self, record: VpsRecord, exc: BackendError, cls: type[BackendError]) -> BackendError:
        reason = exc.message.replace(CORE_HINT, "")
        self.audit(f"create VPS record {record.name} for panel user {record.user_id}: unclear, not sent again",
                   target=None, level="warning", detail={**self._audit_detail(record), "error": reason})
        return cls(f"{reason} The create was not sent again: the panel may have stored the VPS record, and the API key "
                   f"cannot look records up. Check the panel for a VPS named {record.name!r} of user {record.user_id}: "
                   "adopt its id if it is there, create it again only if it is not.",
                   backend=self.name, operation="create VPS record", http_status=exc.http_status, code="create_unknown",
                   retryable=False, details={"name": record.name, "user_id": record.user_id,
                                             "source": list(record.source) if record.source else None})

    @staticmethod
    def _audit_detail(record: VpsRecord) -> dict[str, Any]:
        detail: dict[str, Any] = {"user_id": record.user_id, "status": record.status, "cpu": record.cpu,
                                  "ram_mb": record.ram_mb, "disk_gb": record.disk_gb}
        if record.source:
            detail["server"] = f"{record.source[0]}:{record.source[1]}"
        return detail

    async def update_vps(self, vps_id: int, **fields: Any) -> VpsRecord:
        """Update the panel's record `vps_id` (retried: idempotent). Fields by wire name (user_id, name, status, cpu,
        ram, disk, os, hypervisor; `ram_mb`/`disk_gb` accepted too); `status` is required by the contract and may be
        given as a hostdeck ServerStatus. Send the full desired state, e.g. `update_vps(id, **record.wire())`. Returns
        the state after the update. A 404 means the sync link is broken (NotFoundError, code `vps_not_found`)."""
        operation = "update VPS record"
        self._mutation(operation)
        vps_id = self._panel_id(vps_id, operation)
        wire: dict[str, Any] = {}
        for name, value in fields.items():
            wire_name = ALIASES.get(name, name)
            if wire_name not in UPDATE_FIELDS:
                raise ValidationError(f"{operation}: the panel has no field {name!r}; known: {', '.join(UPDATE_FIELDS)}.",
                                      backend=self.name, operation=operation, code="unknown_field")
            wire[wire_name] = value
        status = wire.get("status")
        if isinstance(status, ServerStatus):
            wire["status"] = panel_status(status)
            if wire["status"] is None:
                raise ConflictError(f"{operation}: {status.value} is a transitional state and is not pushed; the sync "
                                    "waits for a stable state.", backend=self.name, operation=operation,
                                    code="transitional_state")
        if "status" not in wire:
            raise ValidationError(f"{operation}: the panel needs status on every update (one of {', '.join(STATUSES)}).",
                                  backend=self.name, operation=operation, code="invalid_record")
        self._refuse_invalid(wire, operation)
        try:
            reply = await self._call(lambda: self.sync.update({"id": vps_id, **wire}))
        except NotFoundError as exc:
            if exc.code != "vps_not_found":
                raise
            raise NotFoundError(f"the VPS panel has no VPS {vps_id} (404 VPS not found), so the sync link is broken. "
                                "Fix: create the record again for this server, or adopt the right panel id.",
                                backend=self.name, operation=operation, http_status=404, code="vps_not_found") from None
        record = parse_answer(reply.data, backend=self.name, operation=operation)
        self.audit(f"update VPS record {vps_id}: {', '.join(f'{k}={v}' for k, v in wire.items())}", target=str(vps_id),
                   detail={"fields": sorted(wire)})
        return record

    async def delete_vps(self, vps_id: int) -> bool:
        """Delete the panel's record `vps_id` (retried: idempotent). True when the panel deleted it; False when it
        answered 404 "VPS not found", which counts as done (already gone, or deleted by an attempt whose answer was
        lost)."""
        operation = "delete VPS record"
        self._mutation(operation)
        vps_id = self._panel_id(vps_id, operation)
        try:
            reply = await self._call(lambda: self.sync.delete(vps_id))
        except NotFoundError as exc:
            if exc.code != "vps_not_found":
                raise
            self.audit(f"delete VPS record {vps_id}: already gone (404 counts as done)", target=str(vps_id))
            return False
        vps_object(reply.data, backend=self.name, operation=operation)  # a success without `vps` breaks the contract
        self.audit(f"delete VPS record {vps_id}: deleted", target=str(vps_id))
        return True
