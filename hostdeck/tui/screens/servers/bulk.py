"""Bulk actions on marked rows, as in k9s: `space` marks a row, `*` (or ctrl+space) every row shown, escape clears.

With rows marked, the action menu lists the actions that can run on many servers at once (none that types a name,
asks in a form or shows a secret). One confirmation lists every target with its backend and customer (and why a
target will be skipped); each row shows its own progress; a summary names what succeeded and what failed, and why.
The targets that failed stay marked, for another try.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

from ...reporting import about
from .calls import PLAIN_CALLS
from .calls import plain_call
from .form_actions import FormActions

if TYPE_CHECKING:
    from hostdeck.backends.actions import ServerAction
    from hostdeck.backends.contract import Adapter
    from hostdeck.backends.models import Server

    from ...dialogs.action_menu import MenuAction
    from ...dialogs.bulk_summary import TargetOutcome

CONCURRENCY = 4  # targets in flight at once


def bulkable(action: ServerAction) -> bool:
    from hostdeck.backends.actions import Confirm

    return (action.capability is not None and action.form is None and action.confirm is not Confirm.TYPE_NAME
            and action.call in PLAIN_CALLS)


def skip_reason(adapter: Adapter, action: ServerAction, server: Server, *, read_only: bool) -> str | None:
    """Why this target is left out (the backend cannot, read-only, or its state rules it out); None: it is acted on."""
    from hostdeck.backends.actions import state_reason

    assert action.capability is not None  # bulkable
    if read_only and action.mutating:
        return "read-only mode is on"
    return adapter.missing_reason(action.capability, server) or state_reason(action, server)


class BulkActions(FormActions):
    """The marks and bulk half of the Servers screen."""

    marks: set[Hashable]

    # marks ------------------------------------------------------------------------------
    def action_toggle_mark(self) -> None:
        key = self.grid.cursor_row_key
        if key is None or key not in self.servers:
            return
        self.marks.symmetric_difference_update({key})
        self.grid.update_row(self.row_of(self.servers[key], progress=self.progress.get(key)))
        self.grid.action_cursor_down()
        self.update_status()

    def action_mark_all(self) -> None:
        """Marks every row shown (the filter decides); when all of them are marked already, unmarks them."""
        shown = [k for k in self.grid.visible_keys if k in self.servers]
        if shown and all(k in self.marks for k in shown):
            self.marks.difference_update(shown)
        else:
            self.marks.update(shown)
        self._render_rows()

    def clear_marks(self) -> bool:
        if not self.marks:
            return False
        self.marks.clear()
        self._render_rows()
        return True

    def action_clear(self) -> None:
        """Escape: the filter first, then the marks, then the details pane."""
        if not self.clear_filter() and not self.clear_marks() and self.details_shown:
            self.details_pane.display = False
            self.focus_rows()

    @property
    def marked(self) -> list[Server]:
        return [self.servers[k] for k in self.marks if k in self.servers]

    # the menu, the confirmation, the run ------------------------------------------------------
    def action_actions(self) -> None:
        if not self.marked:
            super().action_actions()
            return
        from ...dialogs.action_menu import ActionMenu

        targets = sorted(self.marked, key=lambda s: (s.backend, s.name))
        items = self.bulk_menu(targets)
        if not items:  # read-only: every action on many servers changes them
            self.notify(f"{len(targets)} marked servers: no action runs on many servers in read-only mode. Escape "
                        "clears the marks (for the actions on one server).", severity="warning", timeout=8)
            return
        self.app.push_screen(ActionMenu(f"{len(targets)} marked servers (escape on the rows clears the marks)", items),
                             lambda choice: self.confirm_bulk(choice, targets) if choice else None)

    def bulk_menu(self, targets: list[Server]) -> list[MenuAction]:
        from hostdeck.backends.actions import SERVER_ACTIONS

        from ...dialogs.action_menu import MenuAction

        items = []
        for action in SERVER_ACTIONS:
            if not bulkable(action) or (self.app.read_only and action.mutating):
                continue
            able = sum(1 for s in targets if self._skip(action, s) is None)
            why = None if able else "none of the marked servers can: " + (self._skip(action, targets[0]) or "")
            items.append(MenuAction(action.id, action.label, f"on {able} of {len(targets)} marked servers",
                                    action.dangerous, why, action.confirm))
        return items

    def _skip(self, action: ServerAction, server: Server) -> str | None:
        return skip_reason(self.app.workspace.adapter(server.backend), action, server, read_only=self.app.read_only)

    def confirm_bulk(self, action_id: str, targets: list[Server]) -> None:
        from hostdeck.backends.actions import BY_ID

        from ...dialogs.bulk_confirm import BulkConfirmDialog

        action = BY_ID[action_id]
        notes = [self._skip(action, s) for s in targets]
        skipped = sum(1 for n in notes if n)
        rows = [(s.backend, s.name, s.billing_link or "", f"skipped: {n}" if n else "")
                for s, n in zip(targets, notes)]
        counts = f"{len(targets) - skipped} to act on" + (f", {skipped} skipped (see why below)" if skipped else "")
        if action.id == "backups_enable":
            counts += "; backups cost 20% of each server's price more, every month"
        backends = ", ".join(sorted({s.backend for s in targets}))
        dialog = BulkConfirmDialog(f"{action.label}: {len(targets)} servers", backend=backends, counts=counts,
                                   headers=("backend", "server", "customer", "note"), rows=rows,
                                   confirm_label=action.label)
        self.app.push_screen(dialog, lambda ok: self.run_bulk(action, targets) if ok else None)

    def run_bulk(self, action: ServerAction, targets: list[Server]) -> None:
        about(self.run_worker(self._bulk_worker(action, targets), group="bulk", exit_on_error=False,
                              description=f"{action.label} on {len(targets)} servers"), backend=None)

    async def _bulk_worker(self, action: ServerAction, targets: list[Server]) -> None:
        from ...dialogs.bulk_summary import BulkSummaryDialog

        gate = asyncio.Semaphore(CONCURRENCY)
        outcomes = await asyncio.gather(*(self._one_target(action, s, gate) for s in targets))
        done = [s for s, o in zip(targets, outcomes) if o.ok]
        for server in done:
            self.progress.pop(server.key, None)
        failed = [s.key for s, o in zip(targets, outcomes) if not o.ok]
        self.set_timer(30, lambda: self._forget_failures(failed))
        self.marks.difference_update(s.key for s in done)
        await asyncio.gather(*(self._reload_one(s) for s in done))
        self._render_rows()
        self.app.push_screen(BulkSummaryDialog(f"{action.label}: {len(targets)} servers", outcomes))

    def _forget_failures(self, keys: Sequence[Hashable]) -> None:
        """A failed target's row says so for half a minute (or until the next refresh)."""
        for key in keys:
            if self.progress.get(key, "").startswith("✖"):
                self.progress.pop(key, None)
        self._render_rows()

    async def _one_target(self, action: ServerAction, server: Server, gate: asyncio.Semaphore) -> TargetOutcome:
        from ...dialogs.bulk_summary import TargetOutcome

        def outcome(ok: bool, detail: str) -> TargetOutcome:
            return TargetOutcome(server.backend, server.name, server.billing_link or "", ok, detail)

        reason = self._skip(action, server)
        if reason:
            self._show_progress(server, "✖ skipped")
            return outcome(False, f"skipped: {reason}")
        adapter = self.app.workspace.adapter(server.backend)

        def progress(step: Any) -> None:
            self._show_progress(server, f"{step.command.replace('_', ' ')} {step.progress}%")

        async with gate:
            self._show_progress(server, f"{action.label.lower()}…")
            try:
                result = await plain_call(adapter, action, server, progress)
            except Exception as exc:  # each target's failure is its own: reported, and named in the summary
                failure = self.app.report_failure(exc, action=f"{action.label} on {server.name}",
                                                  backend=server.backend)
                self._show_progress(server, f"✖ {failure.short}")
                return outcome(False, failure.said)
        self._show_progress(server, "✔ done")
        return outcome(True, getattr(result, "message", "") or "done")
