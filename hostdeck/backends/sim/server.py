"""Loopback HTTP machinery shared by every hostdeck simulator (stdlib only, real sockets).

A simulator is a `SimApp`: it turns a parsed `Request` into a `Response` and says what its own JSON
error body looks like. `SimServer` does everything backend-agnostic around it: a ThreadingHTTPServer
on 127.0.0.1 with HTTP/1.1 keep-alive in a daemon thread, latency (fixed + jitter, before the status
line), fault injection per route pattern, and a request log with secret headers redacted.

Route patterns (for faults): "METHOD /path" relative to the app's prefix, `*` matches one path segment,
a method of `*` matches any method, and a bare "*" matches every request.

Fault kinds (`faults.add(route, kind, ...)`, for the next `count` matching requests or with `probability`):
  status        the app's own JSON error body (`app.error_response`) with `status`/`code`/`message`,
                plus the app's usual headers; the request never reaches the app
  html          a proxy error page (`status`, default 502) as text/html
  empty         `status` (default 200) with an empty JSON body
  content_type  the app's real response under another Content-Type (default text/plain)
  malformed     the app's real response cut in half (invalid JSON), Content-Type unchanged
  slow          wait `delay` s (default 2) before the status line, then the real response
  dribble       the real response, its body sent in ~20 pieces spread over `delay` s (default 2)
  reset         close the socket with SO_LINGER 0 (RST) without answering
  reset_mid     send the headers and half the body, then RST
  hang          never answer; close after `delay` s (default `hang_seconds`, 30) or on stop()
  trickle       the real response's headers at once, then its body one byte every `delay` s (default 1): a read
                timeout never fires, only a total deadline ends it
  huge          200 with a JSON body of `size` bytes (default 1 GiB) made on the fly, never held in memory; with
                `chunked=True` it has no Content-Length (chunked transfer), so only reading it tells its size
  echo_headers  `status` (default 400) in the app's own error shape whose message echoes the request's headers and
                body verbatim, Authorization included (a debugging proxy or a careless error page)
"""

from __future__ import annotations

import json
import random
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from email.message import Message
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any
from typing import Generic
from typing import Self
from typing import TypeVar
from urllib.parse import parse_qs
from urllib.parse import urlsplit

REDACTED = "***"
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "cookie", "csrfpreventiontoken"})
FAULT_KINDS = ("status", "html", "content_type", "malformed", "empty", "slow", "dribble", "reset", "reset_mid", "hang",
               "trickle", "huge", "echo_headers")
HUGE_DEFAULT = 1024 ** 3
MAX_BODY = 16 * 1024 * 1024

HTML_PAGE = ("<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1>"
             "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
# the reason phrases nginx writes on its own error pages (in front of a PHP application)
NGINX_REASONS = {404: "Not Found", 405: "Not Allowed", 429: "Too Many Requests", 500: "Internal Server Error",
                 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


# --------------------------------------------------------------------------- request / response


@dataclass(slots=True)
class Request:
    method: str
    target: str                      # raw request target, path and query
    path: str                        # full path without the query
    route_path: str                  # path relative to the app prefix (what routes and faults match)
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    host: str                        # "127.0.0.1:PORT", for absolute links
    params: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        return list(self.query.get(name, []))

    def json(self) -> Any:
        """The body as JSON; raises ValueError when it is not valid JSON."""
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Response:
        return cls(status, dumps(payload), "application/json", list(headers or []))


def proxy_page(status: int, headers: list[tuple[str, str]] | None = None,
               reasons: dict[int, str] = NGINX_REASONS) -> Response:
    """The web server's own error page (nginx), not the application's."""
    page = HTML_PAGE.format(status=status, reason=reasons.get(status, "Error"))
    return Response(status, page.encode(), "text/html", list(headers or []))


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class _ServerDelay:
    """A delay setting of a simulator that its SimServer applies: `sim.latency_ms = 50` slows the next answers."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, app: SimApp | None, owner: type | None = None) -> float:
        if app is None:
            raise AttributeError(self.name)
        delay: float = getattr(app._server, self.name)
        return delay

    def __set__(self, app: SimApp, value: float) -> None:
        setattr(app._server, self.name, value)


class SimApp:
    """What a simulator implements. Override `handle`; the defaults of the rest are generic."""

    prefix: str = ""

    def handle(self, req: Request) -> Response:
        raise NotImplementedError

    def error_response(self, req: Request, status: int, code: str | None = None,
                       message: str | None = None) -> Response:
        """The backend's own error body for an injected status fault."""
        return Response.json(status, {"error": message or code or "error"})

    def decorate(self, req: Request, resp: Response) -> None:
        """Add the headers the backend sends on every response it produces itself."""

    def operation_name(self, target: str, headers: Message, body: bytes) -> str | None:
        """The API operation a request names in its query or body (a WHMCS action, a Matomo method), known before
        faults apply: `NamedFaultSet` matches faults by it."""
        return None

    # The public face every simulator shares, over its `self._server` (a SimServer).
    _server: SimServer

    @property
    def faults(self) -> FaultSet:
        return self._server.faults

    @property
    def request_log(self) -> list[dict[str, Any]]:
        return self._server.request_log

    @property
    def base_url(self) -> str | None:
        return self._server.base_url

    @property
    def port(self) -> int | None:
        return self._server.port

    latency_ms = _ServerDelay()
    jitter_ms = _ServerDelay()

    def start(self) -> str:
        return self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# --------------------------------------------------------------------------- routing


Handler = Callable[[Request], Response]
H = TypeVar("H", bound=Callable[..., Response])


class Router(Generic[H]):
    """`add("GET", "/servers/{id}", fn)`; `{name}` captures one path segment into `req.params`. `H` is the handlers'
    type: `Router[Handler]` for most simulators; Proxmox's handlers also take the caller's token."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], H]] = []

    def add(self, method: str, pattern: str, handler: H) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(pattern.rstrip("/") or "/"))
        self._routes.append((method.upper(), re.compile(f"^{regex}/?$"), handler))

    def match(self, method: str, path: str) -> tuple[H | None, dict[str, str], bool]:
        """(handler, params, path_known): path_known without a handler means "wrong method"."""
        known = False
        for m, regex, handler in self._routes:
            found = regex.match(path)
            if found:
                known = True
                if m == method:
                    return handler, found.groupdict(), True
        return None, {}, known


def route_matches(pattern: str, method: str, path: str) -> bool:
    pattern = pattern.strip()
    if pattern == "*":
        return True
    want_method, _, want_path = pattern.partition(" ")
    if want_method not in ("*", method.upper()):
        return False
    want_path = want_path.strip() or "*"
    if want_path == "*":
        return True
    want, have = want_path.strip("/").split("/"), path.strip("/").split("/")
    return len(want) == len(have) and all(w in ("*", h) for w, h in zip(want, have))


# --------------------------------------------------------------------------- faults


@dataclass(slots=True)
class Fault:
    route: str
    kind: str
    status: int | None = None
    code: str | None = None
    message: str | None = None
    count: int | None = 1             # remaining matching requests; None = unlimited
    probability: float | None = None  # applies to each matching request with this probability
    delay: float | None = None        # slow/dribble/hang seconds
    content_type: str | None = None   # for kind="content_type"
    size: int | None = None           # for kind="huge": body bytes
    chunked: bool = False             # for kind="huge": no Content-Length
    hits: int = 0


class FaultSet:
    """Faults by route pattern, consumed in insertion order: "the next N requests" or by probability."""

    def __init__(self, seed: int | None = None) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._rng = random.Random(seed)

    def add(self, route: str = "*", kind: str = "status", *, status: int | None = None, code: str | None = None,
            message: str | None = None, count: int | None = None, probability: float | None = None,
            delay: float | None = None, content_type: str | None = None, size: int | None = None,
            chunked: bool = False) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if probability is not None and not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if count is None and probability is None:
            count = 1
        fault = Fault(route=route, kind=kind, status=status, code=code, message=message, count=count,
                      probability=probability, delay=delay, content_type=content_type, size=size, chunked=chunked)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def _matches(self, fault: Fault, method: str, path: str) -> bool:
        return route_matches(fault.route, method, path)

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if not self._matches(fault, method, path):
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                fault.hits += 1
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))


# --------------------------------------------------------------------------- the server


class NamedFaultSet(FaultSet):
    """Faults whose route may also be the name of an API operation (a WHMCS action, a Matomo method, a panel sync
    action), which the simulator knows per request: `faults.add("AddClient", "reset_mid")`."""

    def __init__(self, current_name: Callable[[], str | None], seed: int | None = None) -> None:
        super().__init__(seed)
        self._current_name = current_name

    def _matches(self, fault: Fault, method: str, path: str) -> bool:
        route = fault.route.strip()
        if " " not in route and route != "*":
            return route.lower() == (self._current_name() or "").lower()
        return route_matches(route, method, path)


def redact_headers(headers: Message) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def _log_body(body: bytes, content_type: str) -> Any:
    if not body:
        return None
    text = body.decode("utf-8", errors="replace")
    if "json" in content_type.lower():
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


class _Listener(ThreadingHTTPServer):
    # The stdlib default backlog of 5 drops the SYNs of a client opening 16 connections at once, which then
    # retries after a second: a simulator artefact no real API has.
    request_queue_size = 128
    daemon_threads = True


class SimServer:
    """Serve one SimApp on 127.0.0.1 in a daemon thread."""

    def __init__(self, app: SimApp, *, latency_ms: float = 0.0, jitter_ms: float = 0.0, seed: int | None = None,
                 hang_seconds: float = 30.0, host: str = "127.0.0.1", port: int = 0, log_limit: int = 100_000,
                 named_faults: bool = False) -> None:
        self.app = app
        self.log_limit = log_limit     # oldest entries are dropped beyond this (long `--demo` sessions)
        self.latency_ms = latency_ms
        self.jitter_ms = jitter_ms
        self.hang_seconds = hang_seconds
        self.faults: FaultSet = NamedFaultSet(self.current_operation, seed) if named_faults else FaultSet(seed)
        self.request_log: list[dict[str, Any]] = []
        self._current = threading.local()   # per connection thread: the peer and operation of the request in hand
        self._host, self._port = host, port
        self._rng = random.Random(seed)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self.peak_connections = 0   # the most connections open at once (tests tell concurrent paging by it, not by time)

    @property
    def port(self) -> int | None:
        return self._httpd.server_address[1] if self._httpd else None

    @property
    def root_url(self) -> str | None:
        return f"http://{self._host}:{self.port}" if self._httpd else None

    @property
    def base_url(self) -> str | None:
        root = self.root_url
        return root + self.app.prefix if root is not None else None

    def start(self) -> str:
        if self._httpd is None:
            self._stopping.clear()
            httpd = _Listener((self._host, self._port), _make_handler(self))
            httpd.daemon_threads = True
            self._httpd = httpd
            self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                            name=f"sim-{type(self.app).__name__}", daemon=True)
            self._thread.start()
        return self.base_url  # type: ignore[return-value]

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()           # wakes hanging and sleeping handlers
        httpd.shutdown()
        httpd.server_close()
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:             # idle keep-alive connections would otherwise linger
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread:
            self._thread.join(timeout=5)

    def sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True when it slept the whole time."""
        return seconds <= 0 or not self._stopping.wait(seconds)

    def handler_class(self) -> type[_SimHandler]:
        """The request handler; a backend that differs on the wire (Proxmox's reason phrases) returns a subclass."""
        return _SimHandler

    def current_peer(self) -> str:
        """The client address of the request this thread is handling."""
        peer: str | None = getattr(self._current, "peer", None)
        return peer or "127.0.0.1"

    def current_operation(self) -> str | None:
        """The API operation (`SimApp.operation_name`) of the request this thread is handling."""
        operation: str | None = getattr(self._current, "operation", None)
        return operation

    def latency(self) -> float:
        ms = self.latency_ms + (self._rng.uniform(0, self.jitter_ms) if self.jitter_ms > 0 else 0.0)
        return max(ms, 0.0) / 1000.0

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._conns_lock:
            (self._conns.add if add else self._conns.discard)(conn)
            self.peak_connections = max(self.peak_connections, len(self._conns))


def _make_handler(sim: SimServer) -> type[BaseHTTPRequestHandler]:
    return type("_Handler", (sim.handler_class(),), {"server_sim": sim})


class _SimHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hostdeck-sim"
    sys_version = ""
    timeout = 120                      # idle keep-alive connections are closed after this
    server_sim: SimServer

    def setup(self) -> None:
        super().setup()
        # headers and body are separate writes: without this, Nagle + delayed ACK add ~40 ms per response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server_sim._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server_sim._track(self.connection, False)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr logging
        pass

    # every method goes through one dispatcher
    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        sim = self.server_sim
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        sim._current.peer = self.client_address[0]
        sim._current.operation = sim.app.operation_name(self.path, self.headers, body)
        split = urlsplit(self.path)
        path = split.path or "/"
        prefix = sim.app.prefix
        route_path = (path[len(prefix):] or "/") if prefix and (path == prefix or path.startswith(prefix + "/")) else path
        req = Request(method=self.command, target=self.path, path=path, route_path=route_path,
                      query=parse_qs(split.query, keep_blank_values=True), headers=self.headers, body=body,
                      host=self.headers.get("Host") or f"{sim._host}:{sim.port}")
        fault = sim.faults.take(req.method, route_path)
        entry: dict[str, Any] = {
            "method": req.method, "path": path, "query": req.query, "target": req.target,
            "route": f"{req.method} {route_path}", "headers": redact_headers(self.headers),
            "body": _log_body(body, self.headers.get("Content-Type") or ""), "time": time.time(),
            "fault": fault.kind if fault else None, "status": None,
        }
        sim.request_log.append(entry)
        if len(sim.request_log) > sim.log_limit:
            del sim.request_log[: len(sim.request_log) - sim.log_limit]
        if not sim.sleep(sim.latency()):
            self.close_connection = True
            return
        try:
            self._respond(req, fault, entry)
        except (TimeoutError, ConnectionError, BrokenPipeError, OSError):
            self.close_connection = True

    def _respond(self, req: Request, fault: Fault | None, entry: dict[str, Any]) -> None:
        sim, kind = self.server_sim, fault.kind if fault else None
        if kind == "reset":
            return self._abort()
        if kind == "hang":
            sim.sleep(fault.delay if fault.delay is not None else sim.hang_seconds)  # type: ignore[union-attr]
            self.close_connection = True
            return
        if kind == "slow" and not sim.sleep(fault.delay if fault.delay is not None else 2.0):  # type: ignore[union-attr]
            self.close_connection = True
            return
        if kind == "huge":
            entry["status"] = 200
            return self._huge(fault.size if fault.size is not None else HUGE_DEFAULT, fault.chunked)  # type: ignore[union-attr]
        if kind == "echo_headers":
            echoed = "".join(f"{k}: {v}\n" for k, v in self.headers.items())  # verbatim: secrets too
            text = f"bad request; you sent:\n{echoed}\n{req.body.decode('utf-8', 'replace')}"
            resp = sim.app.error_response(req, fault.status or 400, "echo", text)  # type: ignore[union-attr]
            sim.app.decorate(req, resp)
        elif kind == "status":
            status = fault.status or 503  # type: ignore[union-attr]
            resp = sim.app.error_response(req, status, fault.code, fault.message)  # type: ignore[union-attr]
            sim.app.decorate(req, resp)
        elif kind == "html":
            status = fault.status or 502  # type: ignore[union-attr]
            reason = self.responses.get(status, ("Error",))[0]
            resp = Response(status, HTML_PAGE.format(status=status, reason=reason).encode(), "text/html")
        elif kind == "empty":
            resp = Response(fault.status or 200, b"", "application/json")  # type: ignore[union-attr]
            sim.app.decorate(req, resp)
        else:
            resp = self._app_response(req)
            if kind == "content_type":
                resp.content_type = fault.content_type or "text/plain; charset=utf-8"  # type: ignore[union-attr]
            elif kind == "malformed":
                resp.body = resp.body[: max(1, len(resp.body) // 2)] if len(resp.body) > 2 else b'{"'
        entry["status"] = resp.status
        if kind == "reset_mid":
            self._write_head(resp)
            self.wfile.write(resp.body[: len(resp.body) // 2])
            return self._abort()
        self._write_head(resp)
        if kind == "dribble":
            return self._dribble(resp.body, fault.delay if fault.delay is not None else 2.0)  # type: ignore[union-attr]
        if kind == "trickle":
            return self._trickle(resp.body, fault.delay if fault.delay is not None else 1.0)  # type: ignore[union-attr]
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    def _app_response(self, req: Request) -> Response:
        app = self.server_sim.app
        try:
            resp = app.handle(req)
        except Exception as exc:  # a simulator bug must still answer like the backend would
            resp = app.error_response(req, 500, "server_error", f"simulator error: {type(exc).__name__}: {exc}")
        app.decorate(req, resp)
        return resp

    def _write_head(self, resp: Response) -> None:
        self.send_response(resp.status)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers:
            self.send_header(name, value)
        self.end_headers()

    def _dribble(self, body: bytes, seconds: float) -> None:
        pieces = max(1, min(20, len(body)))
        step = -(-len(body) // pieces) if body else 0
        for i in range(pieces):
            if not self.server_sim.sleep(seconds / pieces):
                self.close_connection = True
                return
            self.wfile.write(body[i * step:(i + 1) * step])

    def _trickle(self, body: bytes, every: float) -> None:
        for i in range(len(body)):
            if not self.server_sim.sleep(every):
                self.close_connection = True
                return
            self.wfile.write(body[i:i + 1])
            self.wfile.flush()

    def _huge(self, size: int, chunked: bool) -> None:
        """`{"data": "xxxx…"}` of exactly `size` bytes, written in 1 MiB pieces as the client reads them."""
        head, tail = b'{"data":"', b'"}'
        size = max(size, len(head) + len(tail))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        piece = b"x" * (1 << 20)
        left = size - len(head) - len(tail)
        try:
            self._write_piece(head, chunked)
            while left > 0:
                if self.server_sim._stopping.is_set():
                    break
                part = piece[:min(left, len(piece))]
                self._write_piece(part, chunked)
                left -= len(part)
            self._write_piece(tail, chunked)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:       # the client stopped reading (as it should): done
            pass
        self.close_connection = True

    def _write_piece(self, data: bytes, chunked: bool) -> None:
        if chunked:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        else:
            self.wfile.write(data)

    def _abort(self) -> None:
        """Close the socket with SO_LINGER 0: the peer sees a connection reset (RST)."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()         # makefile() holds a reference; the fd closes only when all are gone
            self.connection.close()
        except OSError:
            pass
