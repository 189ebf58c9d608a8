"""The Hetzner Cloud adapter: servers, actions, catalog, connection test."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from collections.abc import Mapping
from importlib import resources
from typing import TYPE_CHECKING
from typing import Any

from ..adapter_base.connection_test import Stopwatch
from ..catalog import cached_catalog
from ..contract import Capability
from ..contract import PowerAction
from ..contract import ProgressFn
from ..errors import BackendError
from ..errors import NotFoundError
from ..errors import PermissionDenied
from ..errors import UnavailableError
from ..errors import ValidationError
from ..http import HttpCore
from ..http import RetryPolicy
from ..models import ActionResult
from ..models import Catalog
from ..models import CatalogItem
from ..models import ConnectionReport
from ..models import CreateResult
from ..models import SecretResult
from ..models import Server
from ..models import ServerSpec
from ..roles import Role
from ..validate import check_hostname
from ..validate import check_labels
from . import parse
from .api import CatalogClient
from .day2 import DAY2_CAPABILITIES
from .day2 import HetznerDay2
from .day2 import day2_call
from .errors import classify

if TYPE_CHECKING:
    from ..config import BackendConfig
    from ..events import EventLog
    from ..secrets import Secrets

DEFAULT_URL = "https://api.hetzner.cloud/v1"
# Requests in flight per project. The rate limit counts requests, not concurrency (a 5,000-server listing costs
# 100 either way); 32 lists it in about a third of the time of 8 (bench/bench_list.py). `max_concurrency`
# in the config lowers it for a token shared with other tools.
DEFAULT_CONCURRENCY = 32
COMMANDS = {PowerAction.ON: "poweron", PowerAction.OFF: "poweroff", PowerAction.SHUTDOWN: "shutdown",
            PowerAction.REBOOT: "reboot", PowerAction.RESET: "reset"}
EXPECTED_AFTER = {PowerAction.ON: "running", PowerAction.OFF: "off", PowerAction.SHUTDOWN: "off",
                  PowerAction.REBOOT: "running", PowerAction.RESET: "running"}


def load_fallback(backend: str) -> list[CatalogItem]:
    text = resources.files("hostdeck.backends.hetzner").joinpath("fallback_catalog.json").read_text(encoding="utf-8")
    return parse.parse_catalog(backend, json.loads(text))


class HetznerAdapter(HetznerDay2):
    kind = "hetzner"
    roles = frozenset({Role.SERVER_PROVIDER, Role.CATALOG_SOURCE})
    capabilities = frozenset({Capability.LIST, Capability.POWER, Capability.SHUTDOWN, Capability.REBOOT, Capability.RESET,
                              Capability.RESET_PASSWORD, Capability.CONSOLE, Capability.CREATE, Capability.DELETE,
                              Capability.SUSPEND, Capability.CATALOG}) | DAY2_CAPABILITIES
    secret_fields = ("token",)
    default_concurrency = DEFAULT_CONCURRENCY
    sustained_requests_per_second = 1.0  # the bucket refills one request per second

    def refresh_cost(self, server_count: int) -> int:
        return max(1, -(-server_count // 50))

    def __init__(self, config: BackendConfig, *, secrets: Secrets, events: EventLog | None = None,
                 read_only: bool = False, store: Any = None, policy: RetryPolicy | None = None,
                 catalog_ttl_hours: float = 24.0) -> None:
        super().__init__(config, secrets=secrets, events=events, read_only=read_only, store=store, policy=policy)
        self.catalog_ttl_hours = float(config.option("catalog_ttl_hours", catalog_ttl_hours))
        self.shutdown_wait = float(config.option("shutdown_wait_seconds", 60.0))
        poll = float(config.option("action_poll_seconds", 1.0))
        self._poll = (poll, max(poll, min(5.0, poll * 5)))

    @property
    def url(self) -> str:
        return self.config.url or DEFAULT_URL

    def secret_values(self) -> dict[str, str]:
        return {"token": self.secrets.require(self.name, "token")}

    def build_cores(self, values: Mapping[str, str]) -> tuple[HttpCore, ...]:
        return (HttpCore(classify=classify, headers={"Authorization": f"Bearer {values['token']}"},
                         **self.core_options(values, self.url)),)

    # connection ---------------------------------------------------------------
    async def probe_connection(self, report: ConnectionReport, clock: Stopwatch) -> None:
        http = clock.watch(self.http)
        await http.request("GET", "/locations", operation="connection test", params={"per_page": 1})
        report.latency_ms = clock.lap()
        report.ok = True
        # The scope probe is a POST: in read-only mode nothing but reads leaves the machine, not even a probe.
        report.details["token"] = "not checked (read-only mode)" if http.read_only else await self._token_scope()
        report.details["rate_limit"] = http.rate_limit.as_dict()
        if http.rate_limit.limit is not None:
            report.version = f"API v1, {http.rate_limit.remaining}/{http.rate_limit.limit} requests left"

    async def _token_scope(self) -> str:
        """'read-write' or 'read-only'. The API has no scope endpoint, so ask for an action on server 0, which cannot
        exist: a read-only token is refused (token_readonly, or forbidden as seen in the field) before the lookup, a
        read-write one gets not_found."""
        try:
            await self.http.request("POST", "/servers/0/actions/poweron", operation="token scope probe", expect=(201,),
                                    reads_only=True, safe=False, probe=True)
        except PermissionDenied as exc:
            return "read-only" if exc.code in ("token_readonly", "forbidden") else "unknown"
        except NotFoundError:
            return "read-write"
        except BackendError:
            return "unknown"
        return "unknown"

    # servers ------------------------------------------------------------------
    async def list_servers(self, progress: Callable[[int, int], None] | None = None) -> list[Server]:
        raw = await self.servers.get_all(progress=progress)
        return [parse.parse_server(self.name, r) for r in raw]

    async def get_server(self, ref: str) -> Server:
        if ref.isdigit():
            return parse.parse_server(self.name, await self.servers.get_by_id(ref))
        found = await self.servers.get_by_name(ref)
        if found is None:
            raise NotFoundError(f"no server named {ref!r}.", backend=self.name, operation="get server")
        return parse.parse_server(self.name, found)

    def describe_call(self, capability: Capability, server: Server | None = None, action: PowerAction | None = None,
                      variant: str | None = None) -> str:
        sid = server.id if server else "{id}"
        if capability is Capability.SUSPEND:
            return (f"POST /servers/{sid}/actions/poweron (unsuspend = power on)" if variant == "unsuspend"
                    else f"POST /servers/{sid}/actions/poweroff (suspend = power off)")
        if capability in (Capability.POWER, Capability.SHUTDOWN, Capability.REBOOT, Capability.RESET) and action:
            return f"POST /servers/{sid}/actions/{COMMANDS[action]}"
        if capability in DAY2_CAPABILITIES:
            return day2_call(capability, sid, variant)
        return {
            Capability.RESET_PASSWORD: f"POST /servers/{sid}/actions/reset_password",
            Capability.CONSOLE: f"POST /servers/{sid}/actions/request_console",
            Capability.DELETE: f"DELETE /servers/{sid}",
            Capability.CREATE: "POST /servers",
            Capability.LIST: "GET /servers (all pages)",
            Capability.CATALOG: "GET /server_types, /locations, /images",
        }.get(capability, "")

    def missing_reason(self, capability: Capability, server: Server | None = None) -> str | None:
        reason = super().missing_reason(capability, server)
        if reason or server is None:
            return reason
        protection = server.raw.get("protection") or {}
        if capability is Capability.REBUILD and protection.get("rebuild"):
            return (f"rebuild protection is on: turn it off first (hostdeck server protect {self.name} {server.name} "
                    "--rebuild off)")
        return None

    async def _run_action(self, server_id: str, command: str, progress: ProgressFn | None, *, operation: str,
                          expect_status: str | None = None) -> ActionResult:
        data = await self.servers.action(server_id, command)
        action = await self.actions.wait(data["action"], progress=progress)
        result = ActionResult(self.name, server_id, command, str(action.get("id")), "success")
        if expect_status == "off" and command == "shutdown":
            if not await self._wait_status(server_id, "off", self.shutdown_wait):
                result.status = "signal_sent"
                result.message = (f"the shutdown signal was sent but the server is not off after {self.shutdown_wait:.0f} s; "
                                  "its OS may ignore ACPI: use power off.")
        self.audit(f"{operation}: {result.status}", target=server_id, detail={"action_id": result.action_id})
        return result

    async def _wait_status(self, server_id: str, status: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        delay = self._poll[0]
        while True:
            if (await self.servers.get_by_id(server_id)).get("status") == status:
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, self._poll[1])

    async def power(self, server_id: str, action: PowerAction, progress: ProgressFn | None = None) -> ActionResult:
        self._require(action.capability, f"power {action.value}")
        return await self._run_action(server_id, COMMANDS[action], progress, operation=f"power {action.value}",
                                      expect_status=EXPECTED_AFTER[action])

    async def suspend(self, server_id: str, progress: ProgressFn | None = None) -> ActionResult:
        self._require(Capability.SUSPEND, "suspend")
        return await self._run_action(server_id, "poweroff", progress, operation="suspend (power off)")

    async def unsuspend(self, server_id: str, progress: ProgressFn | None = None) -> ActionResult:
        self._require(Capability.SUSPEND, "unsuspend")
        return await self._run_action(server_id, "poweron", progress, operation="unsuspend (power on)")

    async def reset_password(self, server_id: str, progress: ProgressFn | None = None) -> SecretResult:
        self._require(Capability.RESET_PASSWORD, "reset password")
        # Never resent after an ambiguous failure: a second call would make another password.
        data = await self.servers.action(server_id, "reset_password", retry_safe=False)
        password = data.get("root_password")
        if not password:
            raise BackendError("reset password: the API answered without a new password.", backend=self.name)
        action = await self.actions.wait(data["action"], progress=progress)
        self.audit("reset root password: success", target=server_id, detail={"action_id": action.get("id")})
        return SecretResult(self.name, server_id, secret=password, action_id=str(action.get("id")))

    async def console(self, server_id: str) -> SecretResult:
        self._require(Capability.CONSOLE, "console")
        data = await self.servers.action(server_id, "request_console", retry_safe=False)
        url, password = data.get("wss_url"), data.get("password")
        if not url or not password:
            raise BackendError("console: the API answered without a URL or password.", backend=self.name)
        self.audit("request console", target=server_id)
        return SecretResult(self.name, server_id, secret=password, url=url, action_id=str((data.get("action") or {}).get("id")))

    async def create_server(self, spec: ServerSpec, progress: ProgressFn | None = None) -> CreateResult:
        self._require(Capability.CREATE, "create server")
        check_hostname(spec.name, backend=self.name)
        check_labels(spec.labels, backend=self.name)
        if spec.user_data and len(spec.user_data.encode()) > 32 * 1024:
            raise ValidationError("user data is larger than 32 KiB.", backend=self.name, operation="create server")
        location = spec.location or self.config.option("default_location")
        body: dict[str, Any] = {"name": spec.name, "server_type": spec.plan, "image": spec.image,
                                "start_after_create": spec.start_after_create, "labels": spec.labels,
                                "public_net": {"enable_ipv4": True, "enable_ipv6": True}}
        if location:
            body["location"] = location
        if spec.ssh_keys:
            body["ssh_keys"] = spec.ssh_keys
        if spec.user_data:
            body["user_data"] = spec.user_data
        try:
            data = await self.servers.create(body)
        except UnavailableError:
            # Ambiguous: it may have been made. Names are unique per project, so look before anyone resends.
            found = await self.servers.get_by_name(spec.name)
            if found is None:
                raise
            self.audit(f"create server {spec.name}: found after an unclear failure", target=str(found["id"]), level="warning")
            return CreateResult(parse.parse_server(self.name, found), None, None)
        server = data.get("server") or {}
        action = data.get("action")
        if action:
            await self.actions.wait(action, timeout=600, progress=progress)
        for nxt in data.get("next_actions") or []:
            await self.actions.wait(nxt, timeout=600, progress=progress)
        if spec.backups:
            backup = await self.servers.action(server["id"], "enable_backup")
            await self.actions.wait(backup["action"], progress=progress)
        fresh = await self.servers.get_by_id(server["id"])
        self.audit(f"create server {spec.name}: success", target=str(server["id"]),
                   detail={"type": spec.plan, "image": spec.image, "location": location})
        return CreateResult(parse.parse_server(self.name, fresh), data.get("root_password"), str((action or {}).get("id")))

    async def delete_server(self, server_id: str, progress: ProgressFn | None = None) -> ActionResult:
        self._require(Capability.DELETE, "delete server")
        current = parse.parse_server(self.name, await self.servers.get_by_id(server_id))
        if current.delete_protected:
            raise PermissionDenied(f"server {current.name} has delete protection on; nothing was deleted. Fix: turn it "
                                   f"off first (hostdeck server protect {self.name} {current.id} --delete off).",
                                   backend=self.name, operation="delete server")
        try:
            action = await self.servers.delete(server_id)
        except UnavailableError:
            try:
                await self.servers.get_by_id(server_id)
            except NotFoundError:
                self.audit(f"delete server {current.name}: gone after an unclear failure", target=server_id)
                return ActionResult(self.name, server_id, "delete_server", None, "success", "the server is gone")
            raise
        action = await self.actions.wait(action, progress=progress)
        self.audit(f"delete server {current.name}: success", target=server_id, detail={"action_id": action.get("id")})
        return ActionResult(self.name, server_id, "delete_server", str(action.get("id")), "success")

    # catalog ------------------------------------------------------------------
    async def _live_catalog(self) -> list[CatalogItem]:
        client = CatalogClient(self.http)
        types, locations, images = await asyncio.gather(client.server_types(), client.locations(), client.images())
        return parse.parse_catalog(self.name, {"server_types": types, "locations": locations, "images": images})

    async def catalog(self, refresh: bool = False) -> Catalog:
        return await cached_catalog(backend=self.name, store=self.store, ttl_hours=self.catalog_ttl_hours, refresh=refresh,
                                    fetch_live=self._live_catalog, fallback=lambda: load_fallback(self.name))

    async def ssh_key_names(self) -> list[str]:
        return [name for k in await CatalogClient(self.http).ssh_keys() if isinstance(name := k.get("name"), str)]
