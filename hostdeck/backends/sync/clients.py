"""Clients between WHMCS and the panel (Convoy users): push, update, pull, check, link, unlink.

Crash-safe: before any remote create the intent is written to the sync map; a rerun matches pending intents by email
(unique on the panel) against the panel's users, so it links what the crashed run made instead of making it again.
Fast: the panel's users are read once (all pages) and matched locally; creates and updates run concurrently (bounded);
the map is written in batches.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from ..errors import BackendError
from ..errors import ConflictError
from ..errors import NotFoundError
from ..models import Client
from ..models import utcnow
from .mapping import check_mapping
from .mapping import differences
from .mapping import fingerprint
from .mapping import render
from .readonly import refuse_in_read_only
from .syncmap import Link
from .syncmap import LogEntry
from .syncmap import SyncMap
from .tally import count_by_result

ENTITY = "client"
Progress = Callable[[int, int], None]


def record_sync_steps(events: Any, backend: str, log: list[LogEntry]) -> None:
    """Each sync step in the event log too, so the Logs screen shows it beside the API calls it made."""
    from ..models import Event
    from ..models import EventKind

    for entry in log:
        events.record(Event(backend=backend, kind=EventKind.SYNC, level="error" if entry.status == "error" else "info",
                            message=f"{entry.entity} {entry.left_id} {entry.operation}: {entry.status}"
                                    + (f" — {entry.error}" if entry.error else ""),
                            target=entry.right_id, duration_ms=entry.duration_ms,
                            detail={"left": f"{entry.left_system}:{entry.left_id}",
                                    "right": f"{entry.right_system}:{entry.right_id or ''}"}))


@dataclass
class Outcome:
    client_id: str
    email: str
    result: str                       # created | linked | updated | unchanged | synced | drifted | error | would …
    user_id: str | None = None
    error: str | None = None
    drift: dict[str, list[str]] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "email": self.email, "result": self.result, "user_id": self.user_id,
                "error": self.error, "drift": self.drift}


@dataclass
class SyncReport:
    operation: str
    dry_run: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return count_by_result(self.outcomes)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.result == "error")

    def as_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "dry_run": self.dry_run, "seconds": round(self.seconds, 3),
                "counts": self.counts(), "outcomes": [o.as_dict() for o in self.outcomes]}


class ClientSync:
    def __init__(self, billing: Any, panel: Any, store: Any, *, mapping: dict[str, str], concurrency: int = 8,
                 batch: int = 200) -> None:
        check_mapping(mapping)
        self.store = store
        self.billing = billing
        self.panel = panel
        self.map = SyncMap(store)
        self.mapping = mapping
        self.batch = batch
        self._limit = asyncio.Semaphore(concurrency)

    def _link(self, client: Client, **kw: Any) -> Link:
        return Link(entity=ENTITY, left_system=self.billing.name, left_id=client.id, right_system=self.panel.name,
                    left_key=client.email, **kw)

    def _log(self, client: Client, operation: str, status: str, **kw: Any) -> LogEntry:
        return LogEntry(entity=ENTITY, operation=operation, status=status, left_system=self.billing.name,
                        left_id=client.id, right_system=self.panel.name, **kw)

    async def _links(self) -> dict[str, Link]:
        return await asyncio.to_thread(self.map.links, ENTITY, self.billing.name, self.panel.name)

    async def _write(self, links: list[Link], log: list[LogEntry]) -> None:
        await asyncio.to_thread(self.map.write, links, log)
        record_sync_steps(self.billing.events, self.billing.name, log)

    # push ---------------------------------------------------------------------------------
    async def push(self, *, dry_run: bool = False, only_errors: bool = False, progress: Progress | None = None) -> SyncReport:
        """Give every WHMCS client a panel user: link the one that has the email, else create it. Never a duplicate."""
        if dry_run:
            return await self._push(dry_run=True, only_errors=only_errors, progress=progress)
        refuse_in_read_only(self.billing, "retry-errors" if only_errors else "push")
        from .lock import sync_lock

        with sync_lock(self.store, "client-sync"):
            return await self._push(dry_run=False, only_errors=only_errors, progress=progress)

    async def _push(self, *, dry_run: bool, only_errors: bool, progress: Progress | None) -> SyncReport:
        report = SyncReport("push", dry_run)
        started = time.perf_counter()
        clients, links, users = await asyncio.gather(self.billing.get_clients(), self._links(), self.panel.list_users())
        by_email = {u.email.lower(): u for u in users}
        todo = [c for c in clients if self._needs_push(links.get(c.id), only_errors)]
        if dry_run:
            for c in todo:
                user = by_email.get((c.email or "").lower())
                report.outcomes.append(Outcome(c.id, c.email, "would link" if user else "would create",
                                               str(user.id) if user else None))
            report.seconds = time.perf_counter() - started
            return report
        done = 0
        for start in range(0, len(todo), self.batch):
            chunk = todo[start:start + self.batch]
            # The intent first: a crash after the remote create leaves a pending link that a rerun resolves by email.
            await self._write([self._link(c, status="pending", intent="push", right_id=None,
                                          fingerprint=(link.fingerprint if (link := links.get(c.id)) else None))
                               for c in chunk], [])
            results = await asyncio.gather(*(self._push_one(c, by_email) for c in chunk))
            await self._write([link for link, _, _ in results], [entry for _, entry, _ in results])
            report.outcomes += [outcome for _, _, outcome in results]
            done += len(chunk)
            if progress:
                progress(done, len(todo))
        report.seconds = time.perf_counter() - started
        return report

    @staticmethod
    def _needs_push(link: Link | None, only_errors: bool) -> bool:
        if only_errors:
            return link is not None and link.status == "error"
        return link is None or link.right_id is None or link.status in ("pending", "error")

    async def _push_one(self, client: Client, by_email: dict[str, Any]) -> tuple[Link, LogEntry, Outcome]:
        fields = render(self.mapping, client)
        email = fields.get("email", "")
        started = time.perf_counter()
        if not email:
            error = "the WHMCS client has no email address, so it cannot get a panel user."
            return (self._link(client, status="error", intent=None, last_error=error),
                    self._log(client, "push", "error", error=error), Outcome(client.id, "", "error", error=error))
        user = by_email.get(email.lower())
        created = False
        try:
            if user is None:
                async with self._limit:
                    try:
                        made = await self.panel.create_user(email, fields.get("name") or email)
                        user, created = made.user, True
                    except ConflictError:  # made by someone else since we listed: link it
                        user = await self.panel.find_user(email)
                        if user is None:
                            raise
            by_email[email.lower()] = user  # a second client with the same email links to the same user
        except BackendError as exc:
            took = (time.perf_counter() - started) * 1000
            return (self._link(client, status="error", intent="push", last_error=exc.message),
                    self._log(client, "push", "error", request=fields, duration_ms=took, error=exc.message),
                    Outcome(client.id, email, "error", error=exc.message))
        took = (time.perf_counter() - started) * 1000
        result = "created" if created else "linked"
        return (self._link(client, status="synced", intent=None, right_id=str(user.id), fingerprint=fingerprint(fields),
                           last_synced=utcnow()),
                self._log(client, "push", "ok", right_id=str(user.id), request=fields,
                          response={"user_id": user.id, "result": result}, duration_ms=took),
                Outcome(client.id, email, result, str(user.id)))

    # update -------------------------------------------------------------------------------
    async def update(self, *, dry_run: bool = False, progress: Progress | None = None) -> SyncReport:
        """Send the mapped fields of linked clients whose WHMCS values changed since the last sync."""
        if not dry_run:
            refuse_in_read_only(self.billing, "update")
        report = SyncReport("update", dry_run)
        started = time.perf_counter()
        clients, links = await asyncio.gather(self.billing.get_clients(), self._links())
        todo = []
        for c in clients:
            link = links.get(c.id)
            if link is None or link.right_id is None:
                continue
            fields = render(self.mapping, c)
            if fingerprint(fields) == link.fingerprint and link.status == "synced":
                report.outcomes.append(Outcome(c.id, c.email, "unchanged", link.right_id))
            else:
                todo.append((c, link, fields))
        if dry_run:
            report.outcomes += [Outcome(c.id, c.email, "would update", link.right_id) for c, link, _ in todo]
        else:
            for start in range(0, len(todo), self.batch):
                chunk = todo[start:start + self.batch]
                results = await asyncio.gather(*(self._update_one(c, link, fields) for c, link, fields in chunk))
                await self._write([r[0] for r in results], [r[1] for r in results])
                report.outcomes += [r[2] for r in results]
                if progress:
                    progress(min(start + self.batch, len(todo)), len(todo))
        report.seconds = time.perf_counter() - started
        return report

    async def _update_one(self, client: Client, link: Link, fields: dict[str, str]) -> tuple[Link, LogEntry, Outcome]:
        started = time.perf_counter()
        try:
            async with self._limit:
                await self.panel.update_user(link.right_number(), name=fields.get("name"), email=fields.get("email"))
        except BackendError as exc:
            took = (time.perf_counter() - started) * 1000
            return (self._link(client, status="error", right_id=link.right_id, fingerprint=link.fingerprint,
                               last_synced=link.last_synced, last_error=exc.message),
                    self._log(client, "update", "error", right_id=link.right_id, request=fields, duration_ms=took,
                              error=exc.message),
                    Outcome(client.id, client.email, "error", link.right_id, error=exc.message))
        took = (time.perf_counter() - started) * 1000
        return (self._link(client, status="synced", right_id=link.right_id, fingerprint=fingerprint(fields),
                           last_synced=utcnow()),
                self._log(client, "update", "ok", right_id=link.right_id, request=fields, duration_ms=took),
                Outcome(client.id, client.email, "updated", link.right_id))

    # pull and check -----------------------------------------------------------------------
    async def pull(self) -> SyncReport:
        """Refresh the map from WHMCS: clients changed since their last sync are marked drifted, gone ones error."""
        report = SyncReport("pull")
        started = time.perf_counter()
        clients, links = await asyncio.gather(self.billing.get_clients(), self._links())
        by_id = {c.id: c for c in clients}
        changed, log = [], []
        for client_id, link in links.items():
            client = by_id.get(client_id)
            if client is None:
                link.status, link.last_error = "error", "the client is gone from WHMCS"
                outcome = Outcome(client_id, link.left_key or "", "error", link.right_id, error=link.last_error)
            else:
                link.left_key = client.email
                if link.right_id and fingerprint(render(self.mapping, client)) != link.fingerprint:
                    link.status, link.drift = "drifted", {"whmcs": ["changed since the last sync", "run `sync clients --update`"]}
                    outcome = Outcome(client_id, client.email, "drifted", link.right_id, drift=link.drift)
                else:
                    outcome = Outcome(client_id, client.email, "unchanged", link.right_id)
            changed.append(link)
            log.append(LogEntry(ENTITY, "pull", "ok" if outcome.result != "error" else "error", link.left_system,
                                client_id, link.right_system, link.right_id, error=outcome.error))
            report.outcomes.append(outcome)
        if not getattr(self.billing, "read_only", False):  # read-only: the report, and nothing written, not even local state
            await self._write(changed, log)
        report.seconds = time.perf_counter() - started
        return report

    async def check(self) -> SyncReport:
        """Compare both sides field by field: drifted links name the differing fields (WHMCS value, panel value)."""
        report = SyncReport("check")
        started = time.perf_counter()
        clients, links, users = await asyncio.gather(self.billing.get_clients(), self._links(), self.panel.list_users())
        by_client = {c.id: c for c in clients}
        by_user = {str(u.id): u for u in users}
        changed, log = [], []
        for client_id, link in links.items():
            client, user = by_client.get(client_id), by_user.get(link.right_id or "")
            if client is None or user is None:
                link.status = "error"
                link.last_error = "the client is gone from WHMCS" if client is None else \
                    f"panel user {link.right_id} no longer exists"
                outcome = Outcome(client_id, link.left_key or "", "error", link.right_id, error=link.last_error)
            else:
                wanted = render(self.mapping, client)
                diff = differences(wanted, {"name": user.name, "email": user.email})
                link.drift, link.status = (diff or None), ("drifted" if diff else "synced")
                if not diff:
                    link.fingerprint, link.last_synced, link.last_error = fingerprint(wanted), utcnow(), None
                outcome = Outcome(client_id, client.email, link.status, link.right_id, drift=diff or None)
            changed.append(link)
            log.append(LogEntry(ENTITY, "check", outcome.result if outcome.result != "synced" else "ok",
                                link.left_system, client_id, link.right_system, link.right_id, response=outcome.drift,
                                error=outcome.error))
            report.outcomes.append(outcome)
        if not getattr(self.billing, "read_only", False):  # read-only: the report, and nothing written, not even local state
            await self._write(changed, log)
        report.seconds = time.perf_counter() - started
        return report

    # manual -------------------------------------------------------------------------------
    async def link(self, client_id: str, user_id: str) -> Outcome:
        refuse_in_read_only(self.billing, "link")
        client = await self.billing.get_client(client_id=client_id)
        user = await self.panel.get_user(int(user_id))
        fields = render(self.mapping, client)
        diff = differences(fields, {"name": user.name, "email": user.email})
        link = self._link(client, status="drifted" if diff else "synced", right_id=str(user.id),
                          fingerprint=fingerprint(fields), last_synced=utcnow(), drift=diff or None)
        await self._write([link], [self._log(client, "link", "ok", right_id=str(user.id))])
        return Outcome(client.id, client.email, link.status, str(user.id), drift=diff or None)

    async def unlink(self, client_id: str) -> bool:
        """Drop the link; neither WHMCS nor the panel is touched."""
        refuse_in_read_only(self.billing, "unlink")
        entry = LogEntry(ENTITY, "unlink", "ok", self.billing.name, client_id, self.panel.name)
        removed = await asyncio.to_thread(self.map.unlink, ENTITY, self.billing.name, client_id, self.panel.name, entry)
        if not removed:
            raise NotFoundError(f"client {client_id} has no link to {self.panel.name}.", operation="unlink")
        return removed
