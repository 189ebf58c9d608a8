"""The one endpoint: `POST /api/vps/sync` with `{"action": create|update|delete, "vps": {...}}`.

Retry safety (shared/api/README.md, VPS panel rows): create is never resent after an ambiguous failure (only after
429 or a connection error before anything was written, which the http core allows for any method); update and
delete are idempotent and retried; the connection probe changes nothing and is retried like a read.
"""

from __future__ import annotations

from typing import Any

from ..http import HttpCore, Reply

SYNC_PATH = "/api/vps/sync"
SUCCESS = tuple(range(200, 300))  # the contract: clients accept any 2xx


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
        """The connection test: an update without fields. The key is checked before the body, so 422 (or 400 from a
        panel that uses it for field errors) means the key was accepted and nothing changed."""
        return await self.http.request("POST", SYNC_PATH, operation="connection test",
                                       json_body={"action": "update", "vps": {}}, expect=(400, 422), safe=True,
                                       reads_only=True)
