"""Building the client sync from the workspace's `[sync]` table (or the one WHMCS and one Convoy backend there are)."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..roles import Role
from .clients import ClientSync


def pick_backend(workspace: Any, name: str | None, role: Role, kind: str, key: str) -> Any:
    if name:
        adapter = workspace.adapter(name)
        if not adapter.plays(role):
            raise ConfigError(f"{name!r} is a {adapter.kind} backend, not {kind}.", key=f"sync.{key}",
                              fix=f"name a {kind} backend.")
        return adapter
    found = [a for a in workspace.adapters.values() if a.plays(role)]
    if len(found) == 1:
        return found[0]
    what = "none is configured" if not found else f"there are {len(found)}: {', '.join(a.name for a in found)}"
    raise ConfigError(f"the client sync needs one {kind} backend and {what}.", key=f"sync.{key}",
                      fix=f'add a [[backends]] table with kind = "{kind}", or name one with [sync] {key} = "<name>".')


def client_sync(workspace: Any, *, concurrency: int | None = None) -> ClientSync:
    settings = workspace.config.sync
    billing = pick_backend(workspace, settings.billing, Role.BILLING_SYSTEM, "whmcs", "billing")
    panel = pick_backend(workspace, settings.panel, Role.PANEL_USERS, "convoy", "panel")
    return ClientSync(billing, panel, workspace.store, mapping=settings.field_mapping,
                      concurrency=concurrency or settings.concurrency)
