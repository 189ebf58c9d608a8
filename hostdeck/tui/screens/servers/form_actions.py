"""The Servers screen's forms: the data a form needs loaded through the adapter, the dialog, then the adapter method
fed with the dialog's result, progress on the row and the outcome (a secret shown once, or a notice). The table of
forms is in forms.py."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from .actions import ServerActions

if TYPE_CHECKING:
    from hostdeck.backends.contract import Adapter
    from hostdeck.backends.models import Server

    from ...dialogs.action_menu import MenuAction
    from .forms import Form

SHUTDOWN_WAIT = 120.0  # seconds a server may take to shut down before a change of type
SHUTDOWN_POLL = 2.0


class FormActions(ServerActions):
    def run_form(self, item: MenuAction, server: Server) -> None:
        """The form's data is loaded through the adapter first (a worker; its failure reported like any other)."""
        from .forms import FORMS

        form = FORMS.get(item.form or "")
        if form is None:
            self.notify(f"{item.label}: this version of hostdeck has no {item.form!r} form.", severity="warning")
            return
        if form.load is None:
            self._ask(form, item, server, None)
            return
        self._act(self._load_form(form, item, server), server, f"Load the choices of {item.label} for {server.name}")

    async def _load_form(self, form: Form, item: MenuAction, server: Server) -> None:
        self._show_progress(server, "loading…")
        try:
            data = await form.load(self.app.workspace.adapter(server.backend), server)  # type: ignore[misc]
        finally:
            self._end_progress(server)
        self._ask(form, item, server, data)

    def _ask(self, form: Form, item: MenuAction, server: Server, data: Any) -> None:
        from hostdeck.backends.actions import BY_ID

        action = BY_ID.get(item.id)
        call = (action.call if action is not None and action.call else "") or form.call
        label = item.label.split(" (")[0]
        self.app.push_screen(form.dialog(server, data, item.call), lambda changes: self._act(
            self._change(call, server, changes, form=form, label=label), server, f"{label} {server.name}")
            if changes else None)

    async def _change(self, call: str, server: Server, changes: dict, *, form: Form, label: str) -> None:
        """`changes`: a form's result, the keyword arguments of the adapter method `call`."""
        from hostdeck.backends.operations import Image

        adapter = self.app.workspace.adapter(server.backend)
        kwargs = dict(changes)
        if kwargs.pop("shut_down_first", False) and server.status.value != "off":
            await self._shut_down(adapter, server)
        if form.progress:
            kwargs["progress"] = lambda step: self._show_progress(
                server, f"{step.command.replace('_', ' ')} {step.progress}%")
        self._show_progress(server, f"{label.lower()}…")
        try:
            result = await getattr(adapter, call)(server.id, **kwargs)
        finally:
            self._end_progress(server)
        if form.secret_title:
            from ...dialogs.secret import SecretDialog

            self.app.push_screen(SecretDialog(form.secret_title.format(name=server.name), backend=server.backend,
                                              target=server.name, secret=result.secret or "(none: the API set no "
                                              "password; log in with the server's SSH keys)", note=result.note))
        elif isinstance(result, Image):
            self.notify(f"{result.kind.value} {result.name or result.id} ({result.status}).", title=server.name)
        elif form.call in ("resize", "rename"):
            changed = ", ".join(f"{k} {v if v is not None else 'unlimited'}" for k, v in changes.items())
            self.notify(f"{call}: {changed}", title=server.name, timeout=5)
        else:
            message = getattr(result, "message", "")
            self.notify(f"{label}: done." + (f" {message}" if message else ""), title=server.name, timeout=5)
        await self._reload_one(server)

    async def _shut_down(self, adapter: Adapter, server: Server) -> None:
        """ACPI shutdown, then wait until the server reports off (a change of type needs it off)."""
        import asyncio

        from hostdeck.backends.contract import PowerAction
        from hostdeck.backends.errors import ConflictError

        self._show_progress(server, "shutting down…")
        try:
            await adapter.power(server.id, PowerAction.SHUTDOWN)
            for _ in range(int(SHUTDOWN_WAIT / SHUTDOWN_POLL)):
                if (await adapter.get_server(server.id)).status.value == "off":
                    return
                await asyncio.sleep(SHUTDOWN_POLL)
        finally:
            self._end_progress(server)
        raise ConflictError(f"{server.name} did not shut down within {SHUTDOWN_WAIT:.0f} s; nothing was changed. Power "
                            "it off, or try again.", backend=server.backend, operation="shut down first")
