"""The adapter calls an action makes without a form: a server id in, an ActionResult out (no secret to show).

The action menu runs them for one server, the bulk actions for many (screens/servers/bulk.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from hostdeck.backends.actions import ServerAction
    from hostdeck.backends.contract import Adapter
    from hostdeck.backends.models import Server

PLAIN_CALLS = frozenset({"power", "suspend", "unsuspend", "set_backups", "disable_rescue", "detach_iso"})


async def plain_call(adapter: Adapter, action: ServerAction, server: Server, progress: Any = None) -> Any:
    if action.call == "power":
        assert action.power is not None  # every power action names its PowerAction
        return await adapter.power(server.id, action.power, progress=progress)
    if action.call == "set_backups":
        return await adapter.set_backups(server.id, action.id.endswith("enable"), progress=progress)
    return await getattr(adapter, action.call)(server.id, progress=progress)
