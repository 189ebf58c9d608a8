"""Linked servers -> the company's VPS panel (shared/api/vpspanel.md): create a record when a linked server's WHMCS
client has a panel user, update it when the server's state changes, delete it when the server or its service is gone.

Panel users. The panel's API key cannot list users, so hostdeck cannot discover them. A WHMCS client's panel user is,
in this order: a link made by hand (`link_user`, stored as entity "panel_user": left = (billing, client id),
right = (panel backend, panel user id)); else the panel backend's `users` option, a table of panel user id -> email
(`users = { 41 = "ana@example.com" }` in its [[backends]] table), matched case-insensitively with the client's email.

The sync map. Entity "panel_vps": left = (server backend, server id), right = (panel backend, panel VPS id). Statuses:
synced (right_id is the record, `fingerprint` is the last pushed state), pending + intent "create" (a create is in
flight), create_unknown (a create may or may not have made a record), broken (the panel answered 404 for the
record), error (the last attempt failed; with a right_id it is retried, without one nothing was made).

Crash safety, as the contract says: create is not idempotent and cannot be reconciled over the API key, so the intent
is written (its own transaction) before each create and the returned id in the transaction after it. A run that
finds an intent left by a crashed run never sends that create again: it marks the link create_unknown ("may exist,
check the panel"), and so does an ambiguous failure of a create. An operator resolves it: `adopt(backend, server_id,
panel_id)` when the record is there, `retry_create(backend, server_id)` when it is not. Updates send the full desired
state and are retried by the adapter; deletes count a 404 as done. Nothing is sent when the desired state matches the
last pushed one, so a rerun is cheap and creates nothing twice. A backend that cannot be listed is never taken as
empty: none of its records are deleted.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from ..errors import BackendError
from ..errors import ConflictError
from ..errors import NotFoundError
from ..errors import ValidationError
from ..models import utcnow
from ..vpspanel.models import record_for
from .mapping import fingerprint
from .readonly import refuse_in_read_only
from .services import ENDED
from .services import ServiceLinks
from .services import Snapshot
from .syncmap import Link
from .syncmap import LogEntry
from .syncmap import SyncMap
from .tally import count_by_result

ENTITY = "panel_vps"
USER_ENTITY = "panel_user"
SYNCED, PENDING, UNKNOWN, BROKEN, ERROR = "synced", "pending", "create_unknown", "broken", "error"
CRASHED = ("a previous sync stopped after it started creating this record, so the panel may have it and the API key "
           "cannot look it up. Check the panel for a VPS named {name!r} of user {user_id}: adopt its id if it is there "
           "(`hostdeck sync panel --adopt {backend} {server} ID`), create it again only if it is not "
           "(`--retry-create {backend} {server}`).")
Progress = Callable[[int, int], None]


@dataclass
class PanelOutcome:
    backend: str
    server_id: str
    result: str              # created | updated | unchanged | deleted | waiting | no panel user | create_unknown |
    #                          broken | error | skipped | would create | would update | would delete
    server: str = ""
    service_id: str | None = None
    user_id: int | None = None
    panel_id: int | None = None
    status: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"backend": self.backend, "server_id": self.server_id, "server": self.server, "result": self.result,
                "service_id": self.service_id, "user_id": self.user_id, "panel_id": self.panel_id,
                "status": self.status, "error": self.error}


@dataclass
class PanelReport:
    dry_run: bool = False
    outcomes: list[PanelOutcome] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)   # backends that could not be listed
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return count_by_result(self.outcomes)

    @property
    def failed(self) -> int:
        """Outcomes that need someone: errors, creates that may or may not have happened, broken links."""
        return sum(1 for o in self.outcomes if o.result in (ERROR, UNKNOWN, BROKEN))

    def as_dict(self) -> dict[str, Any]:
        return {"operation": "panel", "dry_run": self.dry_run, "seconds": round(self.seconds, 3),
                "counts": self.counts(), "errors": self.errors, "outcomes": [o.as_dict() for o in self.outcomes]}


@dataclass
class _Want:
    """A record that should be on the panel."""

    key: tuple[str, str]
    record: Any
    service_id: str
    server_name: str


def _os_option(service: Any) -> str | None:
    for option, value in (service.config_options or {}).items():
        if re.search(r"(?i)\b(os|operating system|template|image|distribution)\b", option) and str(value).strip():
            return str(value).strip()[:255]
    return None


class PanelSync:
    def __init__(self, billing: Any, servers_adapters: Iterable[Any], panel_adapter: Any, store: Any,
                 service_links: ServiceLinks | None = None, *, users: dict[Any, str] | None = None,
                 concurrency: int = 4) -> None:
        self.billing = billing
        self.adapters = list(servers_adapters)
        self.panel = panel_adapter
        self.store = store
        self.map = SyncMap(store)
        self.links = service_links or ServiceLinks(billing, self.adapters, store)
        self._users = users
        self._limit = asyncio.Semaphore(max(1, min(concurrency, 4)))   # the contract: at most 4 in flight

    # panel users ------------------------------------------------------------------------
    def configured_users(self) -> dict[str, int]:
        """email (lower case) -> panel user id, from the panel backend's `users` option (id -> email)."""
        table = self._users if self._users is not None else (self.panel.config.option("users") or {})
        out: dict[str, int] = {}
        if isinstance(table, dict):
            for uid, email in table.items():
                if str(uid).strip().isdigit() and isinstance(email, str) and email.strip():
                    out[email.strip().lower()] = int(str(uid).strip())
        return out

    def user_links(self) -> dict[str, int]:
        """WHMCS client id -> panel user id, linked by hand."""
        rows = self.map.links(USER_ENTITY, self.billing.name, self.panel.name)
        return {cid: int(r.right_id) for cid, r in rows.items() if r.right_id and r.right_id.isdigit()}

    def panel_users(self, snapshot: Snapshot) -> dict[str, tuple[int, str]]:
        """WHMCS client id -> (panel user id, "by hand" | "by email")."""
        out = {cid: (uid, "by hand") for cid, uid in self.user_links().items()}
        by_email = self.configured_users()
        for client in snapshot.clients.values():
            if client.id not in out and (client.email or "").lower() in by_email:
                out[client.id] = (by_email[client.email.lower()], "by email")
        return out

    async def link_user(self, client_id: str, panel_user_id: int) -> None:
        refuse_in_read_only(self.billing, "link panel user")
        if int(panel_user_id) < 1:
            raise ValidationError("a panel user id is a number of 1 or more.", operation="link panel user")
        client = await self.billing.get_client(client_id=client_id)
        link = Link(USER_ENTITY, self.billing.name, client.id, self.panel.name, right_id=str(int(panel_user_id)),
                    left_key=client.email, status="linked", last_synced=utcnow())
        await asyncio.to_thread(self.map.write, [link], [LogEntry(USER_ENTITY, "link", "ok", self.billing.name, client.id,
                                                                  self.panel.name, str(int(panel_user_id)))])

    async def unlink_user(self, client_id: str) -> bool:
        refuse_in_read_only(self.billing, "unlink panel user")
        entry = LogEntry(USER_ENTITY, "unlink", "ok", self.billing.name, str(client_id), self.panel.name)
        return await asyncio.to_thread(self.map.unlink, USER_ENTITY, self.billing.name, str(client_id), self.panel.name,
                                       entry)

    # the map ------------------------------------------------------------------------
    def records(self) -> dict[tuple[str, str], Link]:
        """(server backend, server id) -> its panel_vps link."""
        return {(r.left_system, r.left_id): r for r in self.map.all_links(ENTITY) if r.right_system == self.panel.name}

    async def _write(self, links: list[Link], log: list[LogEntry]) -> None:
        await asyncio.to_thread(self.map.write, links, log)

    def _row(self, key: tuple[str, str], **kw: Any) -> Link:
        return Link(ENTITY, key[0], key[1], self.panel.name, **kw)

    def _log(self, key: tuple[str, str], operation: str, status: str, **kw: Any) -> LogEntry:
        return LogEntry(ENTITY, operation, status, key[0], key[1], self.panel.name, **kw)

    # the sync -----------------------------------------------------------------------
    async def run(self, *, dry_run: bool = False, snapshot: Snapshot | None = None,
                  progress: Progress | None = None) -> PanelReport:
        if dry_run:
            return await self._run(dry_run=True, snapshot=snapshot, progress=progress)
        refuse_in_read_only(self.billing, "panel sync")
        from .lock import sync_lock

        with sync_lock(self.store, "panel-sync"):
            return await self._run(dry_run=False, snapshot=snapshot, progress=progress)

    async def _run(self, *, dry_run: bool, snapshot: Snapshot | None, progress: Progress | None) -> PanelReport:
        started = time.perf_counter()
        report = PanelReport(dry_run=dry_run)
        if not dry_run:
            self.panel.http  # noqa: B018 - a key the panel would reject stops here, before any intent is written
        snap = snapshot or await self.links.snapshot()
        report.errors = dict(snap.errors)
        rows = await asyncio.to_thread(self.records)
        users = self.panel_users(snap)
        # 1. creates a crashed run left behind: never sent again, flagged for an operator
        leftovers = [r for r in rows.values() if r.intent == "create" and r.status == PENDING]
        if leftovers and not dry_run:
            for r in leftovers:
                info = r.drift or {}
                r.status = UNKNOWN
                r.last_error = CRASHED.format(name=info.get("name", r.left_key), user_id=info.get("user_id"),
                                              backend=r.left_system, server=r.left_id)
            await self._write(leftovers, [self._log((r.left_system, r.left_id), "create", "create_unknown",
                                                    error="found an unfinished create of a previous run")
                                          for r in leftovers])
        # 2. what should be on the panel
        wanted: dict[tuple[str, str], _Want] = {}
        keep: set[tuple[str, str]] = set()       # exists but cannot be pushed now: never deleted for that
        for service_id, link in snap.links.items():
            key = (link.right_system, link.right_id or "")
            service, server = snap.services.get(service_id), snap.server(*key)
            if key[0] not in snap.servers:
                keep.add(key)                      # its backend could not be listed: nothing is concluded
                continue
            if service is None or service.status in ENDED or server is None:
                continue
            user = users.get(service.client_id)
            if user is None:
                keep.add(key)
                report.outcomes.append(PanelOutcome(*key, "no panel user", server.name, service_id,
                                                    error=f"WHMCS client {service.client_id} has no panel user: link one "
                                                          "(`--link-user`) or add its email to the panel's users."))
                continue
            row = rows.get(key)
            try:
                record = record_for(server, user[0], os=_os_option(service), hypervisor=self.panel.hypervisor,
                                    panel_id=int(row.right_id) if row and row.right_id else None)
            except ConflictError as exc:          # a transitional state: wait for a stable one
                keep.add(key)
                report.outcomes.append(PanelOutcome(*key, "waiting", server.name, service_id, user[0],
                                                    int(row.right_id) if row and row.right_id else None,
                                                    server.status.value, exc.message))
                continue
            except ValidationError as exc:
                keep.add(key)
                report.outcomes.append(PanelOutcome(*key, ERROR, server.name, service_id, user[0], error=exc.message))
                continue
            wanted[key] = _Want(key, record, service_id, server.name)
        # 3. decide
        creates, updates, deletes = [], [], []
        for key, want in wanted.items():
            row = rows.get(key)
            if row is None or (row.status == ERROR and not row.right_id):
                creates.append(want)
            elif row.status in (UNKNOWN, PENDING) or (row.intent == "create" and not row.right_id):
                report.outcomes.append(PanelOutcome(*key, UNKNOWN, want.server_name, want.service_id,
                                                    want.record.user_id, error=row.last_error))
            elif row.status == BROKEN:
                report.outcomes.append(PanelOutcome(*key, BROKEN, want.server_name, want.service_id,
                                                    want.record.user_id, int(row.right_id or 0) or None,
                                                    error=row.last_error))
            elif row.status == SYNCED and row.fingerprint == fingerprint(want.record.wire()):
                report.outcomes.append(PanelOutcome(*key, "unchanged", want.server_name, want.service_id,
                                                    want.record.user_id, row.right_number(), want.record.status))
            else:
                updates.append((want, row))
        for key, row in rows.items():
            if key in wanted or key in keep or key[0] not in snap.servers:
                continue
            deletes.append(row)
        if dry_run:
            report.outcomes += [PanelOutcome(*w.key, "would create", w.server_name, w.service_id, w.record.user_id,
                                             status=w.record.status) for w in creates]
            report.outcomes += [PanelOutcome(*w.key, "would update", w.server_name, w.service_id, w.record.user_id,
                                             r.right_number(), w.record.status) for w, r in updates]
            for r in deletes:
                result = "would delete" if r.right_id and r.status != BROKEN else \
                    (UNKNOWN if r.status in (UNKNOWN, PENDING) else "would forget")
                report.outcomes.append(PanelOutcome(r.left_system, r.left_id, result,
                                                    panel_id=int(r.right_id) if r.right_id else None))
            report.seconds = time.perf_counter() - started
            return report
        total, done = len(creates) + len(updates) + len(deletes), 0

        async def step(work: Awaitable[PanelOutcome]) -> PanelOutcome:
            nonlocal done
            outcome = await work
            done += 1
            if progress:
                progress(done, total)
            return outcome

        results = await asyncio.gather(*(step(self._create(w)) for w in creates),
                                       *(step(self._update(w, r)) for w, r in updates),
                                       *(step(self._delete(r)) for r in deletes))
        report.outcomes += list(results)
        report.seconds = time.perf_counter() - started
        return report

    async def _create(self, want: _Want) -> PanelOutcome:
        key, record = want.key, want.record
        info = {"name": record.name, "user_id": record.user_id, "service_id": want.service_id}
        async with self._limit:
            # the intent first, in its own transaction: a crash after the create leaves a trace a rerun will not resend
            await self._write([self._row(key, status=PENDING, intent="create", left_key=record.name, drift=info)], [])
            started = time.perf_counter()
            try:
                panel_id = await self.panel.create_vps(record)
            except BackendError as exc:
                took = (time.perf_counter() - started) * 1000
                # the adapter raises every failure that may have left a record as `create_unknown`; any other
                # (refused before sending, 401, 422, 429, nothing sent) made nothing and may be tried again
                made_nothing = exc.code != "create_unknown"
                status = ERROR if made_nothing else UNKNOWN
                await self._write([self._row(key, status=status, intent=None if made_nothing else "create",
                                             left_key=record.name, drift=info, last_error=exc.message)],
                                  [self._log(key, "create", status, request=record.wire(), duration_ms=took,
                                             error=exc.message)])
                return PanelOutcome(*key, status, want.server_name, want.service_id, record.user_id, error=exc.message)
            took = (time.perf_counter() - started) * 1000
            await self._write([self._row(key, right_id=str(panel_id), status=SYNCED, left_key=record.name, drift=info,
                                         fingerprint=fingerprint(record.wire()), last_synced=utcnow())],
                              [self._log(key, "create", "ok", right_id=str(panel_id), request=record.wire(),
                                         duration_ms=took)])
        return PanelOutcome(*key, "created", want.server_name, want.service_id, record.user_id, panel_id, record.status)

    async def _update(self, want: _Want, row: Link) -> PanelOutcome:
        key, record, panel_id = want.key, want.record, row.right_number()
        info = {"name": record.name, "user_id": record.user_id, "service_id": want.service_id}
        async with self._limit:
            started = time.perf_counter()
            try:
                await self.panel.update_vps(panel_id, **record.wire())
            except BackendError as exc:
                took = (time.perf_counter() - started) * 1000
                status = BROKEN if isinstance(exc, NotFoundError) and exc.code == "vps_not_found" else ERROR
                await self._write([self._row(key, right_id=row.right_id, status=status, left_key=record.name, drift=info,
                                             fingerprint=row.fingerprint, last_synced=row.last_synced,
                                             last_error=exc.message)],
                                  [self._log(key, "update", status, right_id=row.right_id, request=record.wire(),
                                             duration_ms=took, error=exc.message)])
                return PanelOutcome(*key, status, want.server_name, want.service_id, record.user_id, panel_id,
                                    record.status, exc.message)
            took = (time.perf_counter() - started) * 1000
            await self._write([self._row(key, right_id=row.right_id, status=SYNCED, left_key=record.name, drift=info,
                                         fingerprint=fingerprint(record.wire()), last_synced=utcnow())],
                              [self._log(key, "update", "ok", right_id=row.right_id, request=record.wire(),
                                         duration_ms=took)])
        return PanelOutcome(*key, "updated", want.server_name, want.service_id, record.user_id, panel_id, record.status)

    async def _delete(self, row: Link) -> PanelOutcome:
        key = (row.left_system, row.left_id)
        name = (row.drift or {}).get("name") or row.left_key or ""
        if row.status in (UNKNOWN, PENDING) or (row.intent == "create" and not row.right_id):
            return PanelOutcome(*key, UNKNOWN, name, error=(row.last_error or "") + " The server or its service is gone "
                                "since: if the panel has the record, adopt its id and the next sync deletes it.")
        if not row.right_id or row.status == BROKEN:     # nothing (known) on the panel: forget the link
            await asyncio.to_thread(self.map.unlink, ENTITY, key[0], key[1], self.panel.name,
                                    self._log(key, "delete", "ok", right_id=row.right_id, response={"forgotten": True}))
            return PanelOutcome(*key, "deleted", name, panel_id=int(row.right_id) if row.right_id else None)
        panel_id = int(row.right_id)
        async with self._limit:
            started = time.perf_counter()
            try:
                existed = await self.panel.delete_vps(panel_id)
            except BackendError as exc:
                took = (time.perf_counter() - started) * 1000
                row.status, row.last_error = ERROR, exc.message
                await self._write([row], [self._log(key, "delete", "error", right_id=row.right_id, duration_ms=took,
                                                    error=exc.message)])
                return PanelOutcome(*key, ERROR, name, panel_id=panel_id, error=exc.message)
            took = (time.perf_counter() - started) * 1000
            await asyncio.to_thread(self.map.unlink, ENTITY, key[0], key[1], self.panel.name,
                                    self._log(key, "delete", "ok", right_id=row.right_id, duration_ms=took,
                                              response={"deleted": existed}))
        return PanelOutcome(*key, "deleted", name, panel_id=panel_id)

    # resolving what only an operator can ------------------------------------------------
    async def adopt(self, backend: str, server_id: str, panel_id: int) -> Link:
        """The panel has the record (found by an operator): link it. The next sync pushes the desired state to it (or
        deletes it when the server or service is gone); a wrong id shows up there as broken (404)."""
        refuse_in_read_only(self.billing, "adopt VPS record")
        panel_id = int(panel_id)
        if panel_id < 1:
            raise ValidationError("the panel's VPS id is a number of 1 or more.", operation="adopt VPS record")
        rows = await asyncio.to_thread(self.records)
        for key, r in rows.items():
            if r.right_id == str(panel_id) and key != (backend, str(server_id)):
                raise ConflictError(f"panel VPS {panel_id} is linked to server {key[0]}/{key[1]} already.",
                                    operation="adopt VPS record")
        old = rows.get((backend, str(server_id)))
        row = self._row((backend, str(server_id)), right_id=str(panel_id), status=SYNCED,
                        left_key=old.left_key if old else None, drift=old.drift if old else None, fingerprint=None,
                        last_synced=utcnow())
        await self._write([row], [self._log((backend, str(server_id)), "adopt", "ok", right_id=str(panel_id))])
        return row

    async def retry_create(self, backend: str, server_id: str) -> None:
        """The panel does not have the record (checked by an operator): forget the unresolved create (or the broken
        link), so the next sync creates it."""
        refuse_in_read_only(self.billing, "retry create")
        rows = await asyncio.to_thread(self.records)
        row = rows.get((backend, str(server_id)))
        if row is None:
            raise NotFoundError(f"server {backend}/{server_id} has no panel record link.", operation="retry create")
        if row.status == SYNCED:
            raise ConflictError(f"server {backend}/{server_id} is synced to panel VPS {row.right_id}; nothing to retry.",
                                operation="retry create")
        await asyncio.to_thread(self.map.unlink, ENTITY, backend, str(server_id), self.panel.name,
                                self._log((backend, str(server_id)), "retry create", "ok", right_id=row.right_id))
