"""The one endpoint: `POST /api/vps/sync` with `{"action": create|update|delete, "vps": {...}}`.

Retry safety (shared/api/README.md, VPS panel rows): create is never resent after an ambiguous failure (only after
429 or a connection error before anything was written, which the http core allows for any method); update and
delete are idempotent and retried; the connection probe changes nothing and is retried like a read.
"""

from __future__ import annotations

from typing import Any

from ..errors import ProtocolError
from ..http import HttpCore
from ..http import Reply

SYNC_PATH = "/api/vps/sync"
SUCCESS = tuple(range(200, 300))  # the contract: clients accept any 2xx
VALIDATION_MESSAGE = "Missing required fields"


class SyncClient:
    def __init__(self, http: HttpCore) -> None:
        self.http = http

    async def _send(self, action: str, vps: dict[str, Any], *, operation: str, safe: bool) -> Reply:
        return await self.http.request("POST", SYNC_PATH, operation=operation, json_body={"action": action, "vps": vps},
                                       expect=SUCCESS, safe=safe)

    async def create(self, vps: dict[str, Any]) -> Reply:
        return await self._send("create", vps, operation="create VPS record", safe=False)

    async def update(self, vps: dict[str, Any]) -> Reply:
        return await self._send("update", vps, operation="update VPS record", safe=True)

    async def delete(self, vps_id: int) -> Reply:
        return await self._send("delete", {"id": vps_id}, operation="delete VPS record", safe=True)

    async def probe(self) -> Reply:
        """The documented connection test (shared/api/vpspanel.md, "Connection test without side effects"): an update
        without fields. The key is checked before the body, so the contract's field-validation answer (422, or 400
        from a panel that uses it for field errors) with `message: "Missing required fields"` means the key was
        accepted and nothing changed. A status alone proves nothing (a proxy or another app answers 400 too)."""
        reply = await self.http.request("POST", SYNC_PATH, operation="connection test",
                                        json_body={"action": "update", "vps": {}}, expect=(400, 422), safe=True,
                                        reads_only=True)
        body = reply.data if isinstance(reply.data, dict) else {}
        if str(body.get("message") or "").strip().lower() != VALIDATION_MESSAGE.lower():
            said = str(body.get("message") or "")[:120] or "no JSON message"
            raise ProtocolError(f"the connection test got HTTP {reply.status} ({said}), not the panel's documented "
                                f"answer to an update without fields ({VALIDATION_MESSAGE!r}), so it does not show "
                                "that the key was accepted.", backend=self.http.backend, operation="connection test",
                                http_status=reply.status, code="not_the_documented_answer")
        return reply
