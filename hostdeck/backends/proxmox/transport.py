"""The transport under each Proxmox node's HTTP core: the node's TLS settings, a refused certificate as one plain
`CertificateNotTrusted` (never retried), and the reason phrase of an error answer copied into its JSON `message`
when the body has none (servers before January 2025 put the text only there). Loaded with the first core, since
it is built on httpx."""

from __future__ import annotations

import json
import time

import httpx

from ..events import EventLog
from ..models import Event
from ..models import EventKind
from ..redact import redact_url
from .tls import CertificateNotTrusted
from .tls import TlsSettings
from .tls import failure_message
from .tls import presented_fingerprint
from .tls import ssl_context
from .tls import tls_failure

MAX_CONNECTIONS = 4  # proxmox.md: at most 4 concurrent requests per node
ERROR_BODY_LIMIT = 1024 * 1024


class PveTransport(httpx.AsyncBaseTransport):
    def __init__(self, tls: TlsSettings, *, scope: str, backend: str, events: EventLog | None = None,
                 max_connections: int = MAX_CONNECTIONS) -> None:
        self.tls = tls
        self.scope = scope  # where this endpoint's TLS keys live in the config, e.g. "node pve2"
        self.backend = backend
        self.events = events
        self._inner = httpx.AsyncHTTPTransport(
            verify=ssl_context(tls, key=f"backends.{backend}.ca_bundle"),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.ConnectError as exc:
            failure = tls_failure(exc)
            if failure is None:
                raise
            host, port = request.url.host, request.url.port or 443
            presented = None
            if not self.tls.fingerprint and not self.tls.insecure:
                presented = await presented_fingerprint(host, port)
            message = failure_message(failure, host=host, scope=self.scope, settings=self.tls, presented=presented)
            self._record(request, started, message)
            raise CertificateNotTrusted(message, backend=self.backend, operation="connect", code="tls") from None
        if response.status_code >= 400:
            return await with_reason_message(response, request)
        return response

    def _record(self, request: httpx.Request, started: float, message: str) -> None:
        if self.events is not None:
            self.events.record(Event(backend=self.backend, kind=EventKind.API, message=message, level="error",
                                     method=request.method, path=redact_url(str(request.url.raw_path, "ascii")),
                                     duration_ms=(time.perf_counter() - started) * 1000, detail={"error": "tls"}))

    async def aclose(self) -> None:
        await self._inner.aclose()


async def with_reason_message(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    """An error answer whose JSON body has no `message` gets the reason phrase as its message."""
    if not response.headers.get("content-type", "").lower().startswith("application/json"):
        return response
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > ERROR_BODY_LIMIT:   # left to the core's size cap
        return response
    body, size = [], 0
    async for chunk in response.aiter_bytes():   # an error body is read here, so it gets its own cap
        size += len(chunk)
        if size > ERROR_BODY_LIMIT:
            await response.aclose()
            return httpx.Response(response.status_code, headers={"content-type": "text/plain"},
                                  content=b"error answer too large", extensions=response.extensions, request=request)
        body.append(chunk)
    content = b"".join(body)   # decoded: the answer is rebuilt without its transfer headers
    headers = [(k, v) for k, v in response.headers.multi_items()
               if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")]
    response = httpx.Response(response.status_code, headers=headers, content=content, extensions=response.extensions,
                              request=request)
    try:
        data = json.loads(content) if content else None
    except ValueError:
        data = None
    reason = response.extensions.get("reason_phrase", b"")
    reason = reason.decode("latin-1", "replace") if isinstance(reason, bytes) else str(reason or "")
    if not isinstance(data, dict) or data.get("message") or not reason.strip():
        return response
    data["message"] = reason.strip()
    headers = [(k, v) for k, v in response.headers.multi_items()
               if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")]
    return httpx.Response(response.status_code, headers=headers, content=json.dumps(data).encode(),
                          extensions=response.extensions, request=request)
