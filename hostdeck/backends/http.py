"""The HTTP core shared by every HTTP backend.

One httpx.AsyncClient per backend: timeouts on every request, a concurrency limit, bounded retries with
full-jitter backoff for requests that are safe to resend, rate-limit awareness (Retry-After and
RateLimit-* read case-insensitively), and one hook that records each attempt as a redacted Event.

Transport limits: each attempt has a total deadline (sending, waiting and reading the whole body: an answer that
trickles in a byte at a time ends there, not only one that stops), and the body is read streamed up to a size cap.
Every secret of the backend is scrubbed by value from answers, events and error messages. With a credential guard,
the first request authenticates alone and a rejected credential is not sent again (backends/credentials_guard.py).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import random
import time
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlencode
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

    from .credentials_guard import CredentialGuard

from . import __version__
from .errors import AuthError
from .errors import BackendError
from .errors import ConfigError
from .errors import ProtocolError
from .errors import RateLimitedError
from .errors import ReadOnlyError
from .errors import UnavailableError
from .events import EventLog
from .models import Event
from .models import EventKind
from .redact import ValueRedactor
from .redact import redact
from .redact import redact_url

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
DEFAULT_MAX_RESPONSE_MB = 64
Classifier = Callable[[int, Any, str, str], BackendError]
Judge = Callable[["Reply"], "AuthError | None"]


class _TooLarge(Exception):
    def __init__(self, declared: int | None) -> None:
        self.declared = declared


class _DeadlineExceeded(Exception):
    """The answer began but was still arriving at the deadline."""


class _RoundTrip:
    """httpcore's trace hook: the time from sending the request's headers to receiving the answer's headers, one
    network round trip plus the server's time, without connecting, TLS or building clients."""

    __slots__ = ("sent", "ms")

    def __init__(self) -> None:
        self.sent: float | None = None
        self.ms: float | None = None

    async def __call__(self, name: str, info: dict[str, Any]) -> None:
        if name.endswith("send_request_headers.started"):
            self.sent = time.perf_counter()
        elif name.endswith("receive_response_headers.complete") and self.sent is not None:
            self.ms = (time.perf_counter() - self.sent) * 1000


@dataclass(slots=True)
class RetryPolicy:
    max_retries: int = 4
    base: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    # 429s do not use up max_retries: a rate-limited call waits as long as needed, up to this many seconds.
    rate_limit_budget: float = 300.0

    def backoff(self, retry: int) -> float:
        return random.uniform(0, min(self.cap, self.base * self.factor**retry))


@dataclass(slots=True)
class RateLimitState:
    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None  # UNIX time when the bucket is full again (an upper bound for the next request)

    def update(self, headers: httpx.Headers) -> None:
        def num(name: str) -> int | None:
            value = _header(headers, name)
            try:
                return int(float(value)) if value is not None else None
            except ValueError:
                return None

        limit, remaining, reset = num("ratelimit-limit"), num("ratelimit-remaining"), num("ratelimit-reset")
        if limit is not None:
            self.limit = limit
        if remaining is not None:
            self.remaining = remaining
        if reset is not None:
            self.reset = float(reset)

    def as_dict(self) -> dict[str, Any]:
        return {"limit": self.limit, "remaining": self.remaining, "reset": self.reset}


@dataclass(slots=True)
class Reply:
    status: int
    headers: httpx.Headers
    data: Any
    elapsed_ms: float
    attempts: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    round_trip_ms: float | None = None   # request headers out to answer headers in, on a ready connection


def _header(headers: httpx.Headers, name: str) -> str | None:
    value: str | None = headers.get(name)
    return value  # httpx.Headers looks names up case-insensitively (RateLimit-Reset = ratelimit-reset)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, *, backend: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"url {url!r} is not an http(s) URL.", key=f"backends.{backend}.url", fix="write a full https:// URL.")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(f"url {url!r} uses plain http to a host that is not this machine.", key=f"backends.{backend}.url",
                          fix="use https:// (plain http is accepted only for the loopback simulators).")
    return url.rstrip("/")


class HttpCore:
    def __init__(
        self,
        *,
        backend: str,
        base_url: str,
        classify: Classifier,
        events: EventLog | None = None,
        headers: dict[str, str] | None = None,
        max_concurrency: int = 8,
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        policy: RetryPolicy | None = None,
        read_only: bool = False,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
        guard: CredentialGuard | None = None,
        judge: Judge | None = None,
        secrets: Any = (),
        deadline: float | None = None,
        max_response_mb: float | None = None,
    ) -> None:
        """`guard`: the backend's credential guard (the first request authenticates alone; a rejected credential is
        refused before it is sent). `judge`: finds a credential rejection in an answer with a success status (WHMCS,
        Matomo). `secrets`: values scrubbed from everything recorded or raised (the guard's are added). `deadline`:
        seconds one attempt may take in total, sending to the last byte of the body (default: `timeout`).
        `max_response_mb`: the largest body read (default 64 MiB)."""
        self.backend = backend
        self.base_url = check_base_url(base_url, backend=backend)
        self.classify = classify
        self.events = events
        self.policy = policy or RetryPolicy()
        self.read_only = read_only
        self.guard = guard
        self.judge = judge
        self.redactor = ValueRedactor([*(secrets or ()), *(guard.secret_values if guard else ())])
        self.deadline = float(deadline) if deadline else float(timeout)
        mb = float(max_response_mb) if max_response_mb else DEFAULT_MAX_RESPONSE_MB
        self.max_response_bytes = int(mb * 1024 * 1024)
        self.last_round_trip_ms: float | None = None
        self.rate_limit = RateLimitState()
        self._sleep = sleep
        self._limit = asyncio.Semaphore(max_concurrency)
        self._blocked_until = 0.0  # monotonic; set by a 429 so that every concurrent request waits together
        self._client_options: dict[str, Any] = dict(headers=headers, timeout=timeout, connect_timeout=connect_timeout,
                                                    transport=transport)
        # Connections are lanes: up to max_concurrency single-connection clients, each carrying one request at a time.
        # httpcore's shared pool rescans every connection on each request; with 16-32 in flight that cost more CPU
        # than parsing the pages (bench/bench_list.py). Lanes are made on demand and kept alive.
        self._idle_lanes: list[httpx.AsyncClient] = []
        self._closing: set[asyncio.Task[None]] = set()  # retired lanes being closed in the background
        self._lanes: list[httpx.AsyncClient] = []

    def _new_lane(self) -> httpx.AsyncClient:
        import httpx  # imported with the first request, not at start-up

        o = self._client_options
        if "verify" not in o:
            # One TLS context for every lane (building one loads the CA bundle: tens of ms). Plain http is only
            # accepted for loopback simulators (check_base_url), where there is no TLS to verify.
            o["verify"] = httpx.create_ssl_context() if self.base_url.startswith("https://") else False
        lane = httpx.AsyncClient(
            verify=o["verify"],
            base_url=self.base_url,
            headers={"User-Agent": f"hostdeck/{__version__}", "Accept": "application/json", **(o["headers"] or {})},
            timeout=httpx.Timeout(o["timeout"], connect=o["connect_timeout"]),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            transport=o["transport"],
            follow_redirects=False,
        )
        self._lanes.append(lane)
        return lane

    def _retire(self, lane: httpx.AsyncClient) -> None:
        if lane in self._lanes:
            self._lanes.remove(lane)
        closing = asyncio.ensure_future(lane.aclose())
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        lanes, self._lanes, self._idle_lanes = self._lanes, [], []
        for lane in lanes:
            await lane.aclose()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _record(self, method: str, url: str, status: int | None, started: float, attempt: int, message: str,
                detail: dict[str, Any] | None = None, probe: bool = False) -> None:
        if self.events is None:
            return
        level = "info" if status is not None and (status < 400 or probe and status < 500) else (
            "warning" if status is not None and status < 500 else "error")
        scrub = self.redactor.scrub
        self.events.record(Event(
            backend=self.backend, kind=EventKind.API, message=scrub(message), level=level, method=method,
            path=scrub(redact_url(url)), status=status, duration_ms=(time.perf_counter() - started) * 1000,
            attempt=attempt, detail=scrub(detail or {}),
        ))

    def note(self, message: str, *, method: str, path: str, status: int, level: str = "warning",
             detail: dict[str, Any] | None = None) -> None:
        """Record what an answer said beside its status (a `result=error` in a 200 body, a warning)."""
        if self.events is not None:
            self.events.record(Event(backend=self.backend, kind=EventKind.API, message=message, level=level,
                                     method=method, path=path, status=status, detail=detail or {}))

    async def _wait_gate(self) -> None:
        delay = self._blocked_until - time.monotonic()
        if delay > 0:
            await self._sleep(delay)

    def _rate_limit_wait(self, headers: httpx.Headers) -> float:
        retry_after = parse_retry_after(_header(headers, "retry-after"))
        if retry_after is not None:
            return retry_after
        # RateLimit-Reset is when the bucket is *full*; one request frees up far sooner (about a second on Hetzner).
        jittered = 1.0 + random.uniform(0, 1.0)
        if self.rate_limit.reset is not None:
            return max(0.05, min(self.rate_limit.reset - time.time(), jittered))
        return jittered

    async def request(self, method: str, path: str, *, operation: str, **options: Any) -> Reply:
        """Send one logical request (see `_request` for the options). Under a credential guard, a credential that was
        rejected is refused here, and until one request has authenticated, requests go one at a time."""
        if self.guard is None:
            return await self._request(method, path, operation=operation, **options)
        return await self.guard.run(lambda: self._request(method, path, operation=operation, **options),
                                    operation=operation, judge=self.judge)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        json_body: Any = None,
        form: dict[str, Any] | None = None,
        expect: tuple[int, ...] = (200,),
        safe: bool | None = None,
        reads_only: bool = False,
        retry_codes: frozenset[str] = frozenset(),
        timeout: float | None = None,
        probe: bool = False,
    ) -> Reply:
        """Send one logical request.

        `safe`: may be resent after an ambiguous failure (defaults to GET). `reads_only`: a POST that changes
        nothing (WHMCS Get*, Matomo reads), allowed in read-only mode. `retry_codes`: provider error codes that
        prove a mutation was not applied, so it may be resent (Hetzner `conflict`, `locked`). `probe`: a request whose
        4xx answer is the expected outcome (a connection test's scope check), logged at info level, not as a warning.
        """
        import httpx

        method = method.upper()
        is_read = method == "GET" or reads_only
        if self.read_only and not is_read:
            raise ReadOnlyError(f"read-only mode is on: {operation} was not sent.", backend=self.backend, operation=operation)
        safe = is_read if safe is None else safe
        query = urlencode(params, doseq=True) if params else ""
        url = f"{path}?{query}" if query else path
        kwargs: dict[str, Any] = {}
        # What the Logs screen shows of the request: the redacted body of a mutation, never a secret.
        request_note = _clip(redact(json_body if json_body is not None else form)) if (json_body or form) else None
        if json_body is not None:
            kwargs["content"] = json.dumps(json_body).encode()
            kwargs["headers"] = {"Content-Type": "application/json"}
        elif form is not None:
            kwargs["data"] = form
        if timeout is not None:
            kwargs["timeout"] = httpx.Timeout(timeout, connect=5.0)
        deadline = max(float(timeout), self.deadline) if timeout is not None else self.deadline

        retries = 0
        attempt = 0
        rate_limit_deadline = time.monotonic() + self.policy.rate_limit_budget
        while True:
            attempt += 1
            await self._wait_gate()
            started = time.perf_counter()
            round_trip = _RoundTrip()
            try:
                async with self._limit:
                    await self._wait_gate()
                    lane = self._idle_lanes.pop() if self._idle_lanes else self._new_lane()
                    started = time.perf_counter()
                    exchanged = False
                    try:
                        request = lane.build_request(method, url, **kwargs)
                        request.extensions["trace"] = round_trip
                        response, body = await self._exchange(lane, request, deadline)
                        exchanged = True
                    finally:
                        if exchanged:
                            self._idle_lanes.append(lane)
                        else:  # cut off mid-exchange (a timeout, a cancelled worker): its connection is not reused
                            self._retire(lane)
            except _DeadlineExceeded:
                # An answer that keeps trickling in is slow, not lost: it is not sent again.
                reason = f"the answer was still arriving after {deadline:g} s (the deadline of one request)"
                self._record(method, url, None, started, attempt, f"{operation}: {reason}", {"error": "deadline"})
                hint = "" if safe else " The request may have been applied: check the target before trying again."
                raise UnavailableError(f"{operation} failed: {reason}.{hint} Fix: check the network and the service, "
                                       f"or raise `timeout` of backend {self.backend} in the config.",
                                       backend=self.backend, operation=operation, code="deadline") from None
            except _TooLarge as exc:
                size = f" ({exc.declared / 1024 / 1024:.0f} MiB announced)" if exc.declared else ""
                cap = self.max_response_bytes / 1024 / 1024
                self._record(method, url, None, started, attempt, f"{operation}: answer larger than {cap:g} MiB{size}",
                             {"error": "too_large"})
                raise ProtocolError(f"{operation}: the answer is larger than {cap:g} MiB{size}, so it was not read to "
                                    f"the end. Fix: if the service really sends that much, raise max_response_mb of "
                                    f"backend {self.backend} in the config.", backend=self.backend, operation=operation,
                                    code="response_too_large") from None
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Never reached the server: safe to resend whatever the method.
                reason = _transport_reason(exc)
                self._record(method, url, None, started, attempt, f"{operation}: {reason}", {"error": type(exc).__name__})
                unreachable = UnavailableError(f"cannot reach {self.base_url} ({reason}).", backend=self.backend,
                                               operation=operation, retryable=True)
                if retries < self.policy.max_retries:
                    retries += 1
                    await self._sleep(self.policy.backoff(retries - 1))
                    continue
                raise unreachable from None
            except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                reason = _transport_reason(exc)
                self._record(method, url, None, started, attempt, f"{operation}: {reason}", {"error": type(exc).__name__})
                if safe and retries < self.policy.max_retries:
                    retries += 1
                    await self._sleep(self.policy.backoff(retries - 1))
                    continue
                hint = "" if safe else " The request may have been applied: check the target before trying again."
                raise UnavailableError(f"{operation} failed: {reason}.{hint}", backend=self.backend, operation=operation,
                                       retryable=safe) from None
            except httpx.HTTPError as exc:  # anything else httpx raises (invalid URL, decoding)
                self._record(method, url, None, started, attempt, f"{operation}: {type(exc).__name__}")
                raise UnavailableError(f"{operation} failed ({type(exc).__name__}).", backend=self.backend,
                                       operation=operation) from None
            elapsed_ms = (time.perf_counter() - started) * 1000
            if round_trip.ms is not None:
                self.last_round_trip_ms = round_trip.ms
            self.rate_limit.update(response.headers)
            correlation = _header(response.headers, "x-correlation-id")
            data, parse_error = _parse_json(response, body)
            if data is not None and self.redactor and self.redactor.found_in(body):
                data = self.redactor.scrub(data)   # an answer that echoes a secret: nothing downstream sees it
            if response.status_code in expect and parse_error is None:
                detail = {"correlation_id": correlation} if correlation else {}
                if request_note:
                    detail["request"] = request_note
                self._record(method, url, response.status_code, started, attempt, operation, detail)
                if self.rate_limit.remaining is not None and self.rate_limit.remaining < 1:
                    self._blocked_until = max(self._blocked_until, time.monotonic() + 1.0)
                return Reply(response.status_code, response.headers, data, elapsed_ms, attempt,
                             round_trip_ms=round_trip.ms)

            if parse_error is not None and response.status_code in expect:
                err: BackendError = ProtocolError(f"{operation}: {parse_error}", backend=self.backend, operation=operation,
                                                  http_status=response.status_code)
            elif parse_error is not None and response.status_code not in RETRYABLE_STATUS and response.status_code < 500:
                err = ProtocolError(f"{operation}: HTTP {response.status_code} and {parse_error}", backend=self.backend,
                                    operation=operation, http_status=response.status_code)
            elif parse_error is not None:
                err = UnavailableError(f"{operation}: the service answered HTTP {response.status_code} with an error page "
                                       "instead of JSON (a proxy or maintenance page).", backend=self.backend,
                                       operation=operation, http_status=response.status_code)
            else:
                err = self.classify(response.status_code, data, operation, self.backend)
            err.backend = err.backend or self.backend
            err.operation = err.operation or operation
            self._scrub_error(err)
            err.http_status = err.http_status or response.status_code
            err.correlation_id = correlation
            self._record(method, url, response.status_code, started, attempt, f"{operation}: {err.message}",
                         {"code": err.code, "correlation_id": correlation, "request": request_note,
                          "response": _clip(redact(data)) if data is not None else (parse_error or "")}, probe=probe)

            status = response.status_code
            if status == 429:
                wait = self._rate_limit_wait(response.headers)
                if time.monotonic() + wait <= rate_limit_deadline:
                    self._blocked_until = max(self._blocked_until, time.monotonic() + wait)
                    continue
                reset_in = (self.rate_limit.reset - time.time()) if self.rate_limit.reset else wait
                raise RateLimitedError(f"rate limit reached; the budget is full again in {max(0, reset_in):.0f} s.",
                                       backend=self.backend, operation=operation, http_status=429, code=err.code,
                                       retryable=True, retry_after=max(0.0, reset_in), correlation_id=correlation)
            proves_not_applied = err.code is not None and err.code in retry_codes
            may_retry = (safe and status in RETRYABLE_STATUS) or proves_not_applied
            if may_retry and retries < self.policy.max_retries:
                retries += 1
                retry_after = parse_retry_after(_header(response.headers, "retry-after"))
                await self._sleep(retry_after if retry_after is not None else self.policy.backoff(retries - 1))
                continue
            raise err


    def _scrub_error(self, err: BackendError) -> None:
        if self.redactor:
            err.message = self.redactor.text(err.message)
            err.args = (err.message,)
            err.details = self.redactor.scrub(err.details)

    async def _exchange(self, lane: httpx.AsyncClient, request: httpx.Request, deadline: float) -> tuple[httpx.Response, bytes]:
        """Send and read the whole answer within `deadline` seconds, the body streamed up to the size cap."""
        import httpx

        answered = False
        try:
            async with asyncio.timeout(deadline):
                response = await lane.send(request, stream=True)
                answered = True
                try:
                    body = await self._read_body(response)
                finally:
                    await response.aclose()
        except TimeoutError:
            if not answered:   # silence until the deadline: a timeout like any other (resent when safe)
                raise httpx.ReadTimeout("no answer before the deadline", request=request) from None
            raise _DeadlineExceeded() from None
        return response, body

    async def _read_body(self, response: httpx.Response) -> bytes:
        cap = self.max_response_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise _TooLarge(int(declared))
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise _TooLarge(None)
            chunks.append(chunk)
        return b"".join(chunks)


def round_trip_ms(core: HttpCore | None, started: float) -> float | None:
    """A connection test's latency: the network round trip of the core's last request on a ready connection (building
    clients, connecting and TLS not counted; see _RoundTrip), else the time since `started`; None when nothing was
    sent (a refused credential)."""
    if core is not None and core.last_round_trip_ms is not None:
        return core.last_round_trip_ms
    if core is not None and core.guard is not None and not core.guard.accepted and core.guard.rejection is not None:
        return None
    return (time.perf_counter() - started) * 1000


def _clip(value: Any, limit: int = 2000) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def _transport_reason(exc: Exception) -> str:
    import httpx

    if isinstance(exc, httpx.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, httpx.ConnectError):
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, ConnectionRefusedError):
                return "connection refused"
            cause = cause.__cause__ or cause.__context__
        text = str(exc).lower()
        if "refused" in text:
            return "connection refused"
        if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
            return "host name not found"
        return "cannot connect"
    if isinstance(exc, httpx.PoolTimeout):
        return "too many requests in flight"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time (timeout)"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return "the connection was closed mid-answer"
    return type(exc).__name__


def _parse_json(response: httpx.Response, body: bytes) -> tuple[Any, str | None]:
    if response.status_code == 204:
        return None, None
    ctype = response.headers.get("content-type", "")
    if not ctype.lower().startswith("application/json"):
        shown = ctype.split(";")[0] or "no content type"
        return None, f"the answer was {shown}, not JSON"
    if not body:
        return None, "the answer was empty"
    import orjson

    try:
        return orjson.loads(body), None
    except orjson.JSONDecodeError:
        return None, "the answer was not valid JSON"
