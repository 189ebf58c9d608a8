"""Whom an action touches, in the words of its confirmation: the server, its backend and the customer who pays for it
(the billing link). A command that loses data or costs money names them whether it runs (--yes) or is refused
without --yes; the refusal only reads."""

from __future__ import annotations

import argparse
from typing import Any

from hostdeck.backends.contract import Adapter
from hostdeck.backends.errors import BackendError
from hostdeck.backends.models import Server

from .output import emit_json
from .output import plain
from .output import warn


async def billing_link(ws: Any, server: Server) -> str | None:
    """Who pays for the server (the service links of `[sync] billing`); None without billing or a link."""
    from hostdeck.backends.errors import ConfigError
    from hostdeck.backends.sync.billing_setup import service_links

    try:
        links = service_links(ws)
    except ConfigError:
        return None
    return await links.billing_link_of(server)


async def target(ws: Any, adapter: Adapter, server: Server) -> str:
    """"web-1 (id 42) on hz, customer Jane Doe (#17)", or "..., no billing link"."""
    customer = await billing_link(ws, server)
    return f"{server.name} (id {server.id}) on {adapter.name}" + (f", customer {plain(customer)}" if customer
                                                                  else ", no billing link")


async def read_target(ws: Any, adapter: Adapter, ref: str) -> tuple[Server | None, str]:
    """The server named `ref` and its words for a refusal; when it cannot be read, None and words that say why (the
    refusal still stands: nothing is changed without --yes)."""
    try:
        server = await adapter.get_server(ref)
    except BackendError as exc:
        return None, f"{plain(ref)} on {adapter.name} (not read: {exc.message})"
    return server, await target(ws, adapter, server)


def refuse(args: argparse.Namespace, what: str, whom: str, detail: str) -> int:
    """The refusal without --yes (exit 2): what would happen, to whom, and that nothing was changed."""
    warn(f"{what}: {whom}. {detail} Add --yes to confirm. Nothing was changed (only read).")
    if getattr(args, "json", False):
        emit_json({"error": {"category": "confirmation", "message": f"{what} needs --yes", "target": whom}})
    return 2


def refuse_when_read_only(ws: Any, what: str) -> None:
    """Read-only mode refuses before anything is sent or written."""
    if ws.read_only:
        from hostdeck.backends.errors import ReadOnlyError

        raise ReadOnlyError(f"read-only mode is on: {what} refused; nothing was sent or written.", operation=what)


def action_doc(result: Any) -> dict[str, Any]:
    """An action's result as the JSON of `hostdeck server …`."""
    return {"backend": result.backend, "server": result.server_id, "command": result.command, "action": result.action_id,
            "status": result.status, "message": result.message}


def require_capability(adapter: Adapter, capability: Any, operation: str) -> None:
    """Actions only some backends have: asked of the contract before the call, refused with the adapter's reason."""
    if capability not in adapter.capabilities:
        from hostdeck.backends.errors import UnsupportedError

        reason = adapter.missing_reason(capability) or f"{adapter.kind} backends cannot {operation}."
        raise UnsupportedError(reason, backend=adapter.name, operation=operation)
