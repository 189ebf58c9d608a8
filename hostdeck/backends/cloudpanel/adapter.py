"""The CloudPanel adapter: sites, certificates, databases and panel users through `clpctl` over SSH.

paramiko blocks, so every remote step runs in a thread (`asyncio.to_thread`). Writes run one at a time per host and
are never resent automatically: existence checks come first, and after an ambiguous failure the adapter looks at the
host (the site's vhost file) and reports what it found. Command lines are recorded only with passwords masked.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from ..adapter_base.connection_test import Stopwatch
from ..contract import Adapter
from ..errors import BackendError
from ..errors import ProtocolError
from ..errors import ReadOnlyError
from ..models import ActionResult
from ..models import ConnectionReport
from ..models import Event
from ..models import EventKind
from ..models import SecretResult
from ..models import Site
from ..roles import Role
from . import commands
from . import parse
from . import runtimes
from . import validate
from .commands import Command
from .commands import RawResult
from .errors import AlreadyExistsError
from .errors import ChangedHostKeyError
from .errors import HostKeyError
from .errors import OutcomeUnknownError
from .hostkeys import HostKeyInfo
from .hostkeys import normalise_fingerprint
from .options import CloudPanelOptions
from .options import parse_options
from .options import secret_field_of
from .runtimes import Runtimes
from .spec import DatabaseResult
from .spec import PanelUser
from .spec import SiteResult
from .spec import SiteSpec
from .spec import new_password

if TYPE_CHECKING:
    from ..config import BackendConfig
    from ..events import EventLog
    from ..secrets import Secrets
    from .ssh import SshConnection  # paramiko loads with the first connection, not with the adapter

T = TypeVar("T")


def _named(method: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Errors raised before anything is sent (validation) name this backend too."""

    @functools.wraps(method)
    async def wrapper(self: CloudPanelAdapter, *args: Any, **kwargs: Any) -> T:
        try:
            return await method(self, *args, **kwargs)
        except BackendError as exc:
            if exc.backend is None:
                exc.backend = self.name
            raise

    return wrapper


class CloudPanelAdapter(Adapter):
    kind = "cloudpanel"
    roles = frozenset({Role.SITE_HOST})
    capabilities = frozenset()  # no servers: sites, certificates, databases and panel users (methods below)
    secret_fields = ("key_passphrase",)

    def __init__(self, config: BackendConfig, *, secrets: Secrets, events: EventLog | None = None,
                 read_only: bool = False, store: Any = None,
                 known_hosts: Path | None = None) -> None:
        """`known_hosts` overrides data_dir()/known_hosts (e.g. a demo's own data dir)."""
        super().__init__(config, secrets=secrets, events=events, read_only=read_only, store=store)
        self.secret_fields = (secret_field_of(config),)
        self._known_hosts = known_hosts
        self._options: CloudPanelOptions | None = None
        self._conn: SshConnection | None = None
        self._write_lock = asyncio.Lock()
        self._templates: list[str] | None = None
        self._runtimes: Runtimes | None = None
        self.skipped_templates: list[str] = []   # names `vhost-templates:list` printed that hostdeck cannot offer

    # configuration and connection ------------------------------------------------------------------------------------
    @property
    def options(self) -> CloudPanelOptions:
        if self._options is None:
            self._options = parse_options(self.config)
        return self._options

    def credential_source(self) -> str:
        source = super().credential_source()
        if self.secret_fields == ("key_passphrase",) and source == "missing":
            return "key file" if self.config.option("key_file") else "ssh-agent / ~/.ssh"
        return source

    def secret_values(self) -> dict[str, str]:
        return {"password": self.secrets.require(self.name, "password")} if self.options.auth == "password" else {}

    def _connection(self) -> SshConnection:
        if self._conn is not None and self.credentials_changed():   # a corrected password is used at once
            conn, self._conn = self._conn, None
            conn.close()
        if self._conn is None:
            from ..paths import data_dir
            from .ssh import SshConnection
            from .ssh import SshSettings

            o = self.options
            password = self.secrets.require(self.name, "password") if o.auth == "password" else None
            passphrase = (lambda: self.secrets.get(self.name, "key_passphrase")[0]) if o.auth == "key" else None
            settings = SshSettings(backend=self.name, host=o.host, port=o.port, user=o.user, key_file=o.key_file,
                                   passphrase=passphrase, password=password, sudo=o.sudo, pinned=o.pinned,
                                   known_hosts=self._known_hosts or data_dir() / "known_hosts",
                                   connect_timeout=o.connect_timeout)
            self._conn = SshConnection(settings)
        return self._conn

    def _key_identity(self) -> str:
        """What identifies the key a key login offers: a digest of the key file (another file or a new key is another
        credential), or the agent and ~/.ssh keys as one credential."""
        import hashlib

        key_file = getattr(self.options, "key_file", None)
        if not key_file:
            return "ssh-agent-and-default-keys"
        try:
            return "key-file:" + hashlib.sha256(Path(key_file).expanduser().read_bytes()).hexdigest()
        except OSError:
            return f"key-file (unreadable): {key_file}"   # the connect says why, and that is not a rejection

    @property
    def where(self) -> str:
        return f"{self.options.user}@{self.options.host}:{self.options.port}"

    async def _connect(self) -> SshConnection:
        conn = self._connection()
        if conn.is_open():
            return conn
        started = time.perf_counter()
        try:
            # A refused login is not tried again by any process until the credential changes (sshd's fail2ban counts
            # every failed login, whether a password or a key).
            if self.options.auth == "password":
                guard = self.credential_guard({"password": conn.settings.password or ""}, identity=self.where)
            else:
                guard = self.credential_guard(
                    {"key": self._key_identity()}, identity=self.where,
                    change=f"point key_file of backend {self.name} at another key, or add its public key to "
                           f"~{self.options.user}/.ssh/authorized_keys on the server")
            await guard.run(lambda: asyncio.to_thread(conn.connect), operation="SSH connect")
        except BackendError as exc:
            self._record("SSH connect", f"connect {self.where}", None, started, exc)
            raise
        key = conn.host_key
        self._record("SSH connect", f"connect {self.where}", None, started, None,
                     detail={"host_key": key.fingerprint if key else None})
        return conn

    def _record(self, message: str, path: str, status: int | None, started: float, error: BackendError | None,
                detail: dict[str, Any] | None = None) -> None:
        """One Event per connection and per remote command; `path` is always the masked command line."""
        info = dict(detail or {})
        if error is not None:
            info["error"] = error.message
        level = "info" if error is None else ("warning" if isinstance(error, AlreadyExistsError) else "error")
        text = f"{message}: {error.message}" if error is not None else f"{message}: ok"
        self.events.record(Event(backend=self.name, kind=EventKind.API, message=text, level=level, method="SSH",
                                 path=path, status=status, duration_ms=(time.perf_counter() - started) * 1000,
                                 attempt=1, detail=info))

    async def _exec(self, command: Command) -> RawResult:
        conn = await self._connect()
        o = self.options
        masked = command.masked(o.sudo)
        started = time.perf_counter()
        try:
            raw = await asyncio.to_thread(conn.run, command.line(o.sudo), timeout=o.timeouts[command.timeout_class],
                                          operation=command.operation, stdin=command.stdin)
        except BackendError as exc:
            self._record(command.operation, masked, None, started, exc)
            raise
        return raw

    async def _probe(self, command: Command) -> RawResult:
        """A check whose exit status is the answer (`test -f`, `command -v`)."""
        raw = await self._exec(command)
        started = time.perf_counter() - raw.duration_ms / 1000
        self._record(command.operation, command.masked(self.options.sudo), raw.exit_status, started, None)
        return raw

    async def _clpctl(self, command: Command) -> str:
        """Run a clpctl command and read its result (parse.check): the masked output, or the typed error."""
        if command.writes:
            async with self._write_lock:
                raw = await self._exec(command)
        else:
            raw = await self._exec(command)
        started = time.perf_counter() - raw.duration_ms / 1000
        masked = command.masked(self.options.sudo)
        try:
            output = parse.check(raw, command, backend=self.name, host=self.options.host, user=self.options.user)
        except BackendError as exc:
            self._record(command.operation, masked, raw.exit_status, started, exc)
            raise
        self._record(command.operation, masked, raw.exit_status, started, None)
        return output

    async def _read(self, command: Command) -> str:
        """Read-only commands may be sent again once after the connection failed."""
        try:
            return await self._clpctl(command)
        except BackendError as exc:
            if not (exc.retryable or isinstance(exc, OutcomeUnknownError)):
                raise
        return await self._clpctl(command)

    def _writable(self, operation: str) -> None:
        if self.read_only:
            raise ReadOnlyError(f"read-only mode is on: {operation} refused.", backend=self.name, operation=operation)

    async def aclose(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await asyncio.to_thread(conn.close)

    # connection test and host keys -----------------------------------------------------------------------------------
    async def probe_connection(self, report: ConnectionReport, clock: Stopwatch) -> None:
        conn = await self._connect()
        report.details.update({"host": self.where, "sudo": self.options.sudo,
                               "host_key": conn.host_key.as_dict() if conn.host_key else None,
                               "connect_ms": round(conn.connect_ms or 0.0, 1)})
        clock.restart()
        found = await self._probe(commands.clpctl_present())
        report.latency_ms = (time.perf_counter() - clock.started) * 1000
        path = found.stdout.strip().splitlines()[0] if found.stdout.strip() else ""
        if found.exit_status != 0 or not path:
            raise ProtocolError(f"clpctl was not found on {self.options.host} (`command -v clpctl` found nothing): "
                                "is this a CloudPanel server?", backend=self.name, operation="connection test",
                                code="not_cloudpanel")
        report.details["clpctl"] = path
        report.details["vhost_templates"] = await self.vhost_templates(refresh=True)
        report.ok = True

    def explain_failure(self, exc: BackendError, report: ConnectionReport) -> str:
        if isinstance(exc, HostKeyError):
            changed = isinstance(exc, ChangedHostKeyError)
            report.details["host_key"] = {"fingerprint": exc.fingerprint, "key_type": exc.key_type,
                                          "state": "changed" if changed else "unknown"}
            report.details["fix"] = f"hostdeck cloudpanel trust {self.name}" + (" --replace" if changed else "")
        return exc.message

    @_named
    async def fetch_host_key(self) -> HostKeyInfo:
        """The key the server presents now and whether hostdeck trusts it (no login, nothing run)."""
        return await asyncio.to_thread(self._connection().host_key_info)

    @_named
    async def trust_host_key(self, fingerprint: str, *, replace: bool = False) -> HostKeyInfo:
        """Store the key the server presents in hostdeck's known_hosts, after the caller confirmed `fingerprint`
        (from UnknownHostKeyError or fetch_host_key). Refused when the server presents another key by now, and,
        unless `replace`, when hostdeck already trusts a different key for this host."""
        from .ssh import changed_key

        conn = self._connection()
        wanted = normalise_fingerprint(fingerprint)
        s = conn.settings

        def work() -> HostKeyInfo:
            from .hostkeys import fingerprint as fp_of

            key = conn.presented_key()
            presented = fp_of(key)
            if presented != wanted:
                raise ChangedHostKeyError(
                    f"{s.host}:{s.port} now presents {key.get_name()} {presented}, not the {wanted} you confirmed; "
                    "nothing was stored. Check the fingerprint with the server's administrator again.",
                    backend=self.name, operation="trust host key", code="host_key_mismatch", host=s.host, port=s.port,
                    fingerprint=presented, key_type=key.get_name(), expected=(wanted,))
            state, expected = conn.known_hosts.state_of(s.host, s.port, key)
            if state == "changed" and not replace:
                raise changed_key(s, key, expected, "hostdeck's known_hosts")
            if state != "trusted" or replace:
                conn.known_hosts.add(s.host, s.port, key, replace=replace)
            return HostKeyInfo(s.host, s.port, key.get_name(), presented, "trusted", expected)

        info = await asyncio.to_thread(work)
        await asyncio.to_thread(conn.close)  # the next connection checks against the new trust
        self.audit(f"trust SSH host key {info.fingerprint} of {info.host}:{info.port}"
                   + (" (replacing the old key)" if replace and info.expected else ""), target=info.host,
                   detail=info.as_dict())
        return info

    # sites ---------------------------------------------------------------------------------------------------------------
    @_named
    async def vhost_templates(self, refresh: bool = False) -> list[str]:
        """Names for `--vhostTemplate`, as `clpctl vhost-templates:list` prints them (cached per adapter)."""
        if self._templates is None or refresh:
            text = await self._read(commands.vhost_templates_list())
            self._templates, self.skipped_templates = parse.vhost_template_names(text, backend=self.name,
                                                                                 host=self.options.host)
            if self.skipped_templates:
                self.audit(f"vhost templates not offered (names hostdeck cannot pass safely): "
                           f"{', '.join(repr(n) for n in self.skipped_templates)}", target=self.options.host,
                           level="warning")
        return list(self._templates)

    @_named
    async def runtimes(self, refresh: bool = False) -> Runtimes:
        """The PHP and Python versions this host offers (runtimes.py), read once per adapter."""
        if self._runtimes is None or refresh:
            command = runtimes.list_command()
            raw = await self._probe(command)
            if raw.exit_status != 0:
                raise ProtocolError(f"{command.operation}: `ls -1 /usr/bin` answered with exit status {raw.exit_status}.",
                                    backend=self.name, operation=command.operation, http_status=raw.exit_status)
            self._runtimes = runtimes.parse(raw.stdout)
        return self._runtimes

    @_named
    async def site_exists(self, domain: str) -> bool:
        """Whether the site's nginx vhost file is there (`test -f <vhost_dir>/<domain>.conf`)."""
        command = commands.vhost_exists(domain, self.options.vhost_dir)
        raw = await self._probe(command)
        if raw.exit_status not in (0, 1):
            raise ProtocolError(f"{command.operation}: `test -f` answered with exit status {raw.exit_status}.",
                                backend=self.name, operation=command.operation, http_status=raw.exit_status)
        return raw.exit_status == 0

    @_named
    async def add_site(self, spec: SiteSpec) -> SiteResult:
        """Make a site. Refused with AlreadyExistsError when its vhost file is already there (nothing is sent then)
        or when clpctl says a value already exists. The site user password is generated unless given."""
        self._writable("add site")
        password = validate.password(spec.site_user_password, "site user password") if spec.site_user_password \
            else new_password()
        command = spec.command(password)  # every value checked before anything is sent
        if spec.kind == "php":
            validate.php_version(spec.php_version, (await self.runtimes()).php)
            validate.vhost_template(spec.vhost_template, await self.vhost_templates())
        elif spec.kind == "python":
            validate.python_version(spec.python_version, (await self.runtimes()).python)
        domain = validate.domain(spec.domain)
        if await self.site_exists(domain):
            raise AlreadyExistsError(f"site {domain} already exists on {self.options.host} (its vhost file is there); "
                                     "nothing was changed.", field="domainName", backend=self.name,
                                     operation=command.operation)
        site = Site(backend=self.name, domain=domain, kind=spec.kind, site_user=spec.site_user, status="created")
        try:
            await self._clpctl(command)
        except OutcomeUnknownError as exc:
            if not await self._exists_after_failure(domain):
                raise OutcomeUnknownError(f"{exc.message} Its vhost file is not there (yet): look again in a few minutes "
                                          "before retrying; a retry answering 'already exists' means it was made.",
                                          backend=self.name, operation=command.operation) from None
            self.audit(f"add {spec.kind} site {domain}: found after an unclear failure", target=domain, level="warning",
                       detail=self._site_detail(spec))
            return SiteResult(site, spec, password, True, "the connection failed, but the site is there.")
        confirmed = await self.site_exists(domain)
        message = "" if confirmed else (f"clpctl reported success, but {self.options.vhost_dir}/{domain}.conf is not "
                                        "there: check the site in CloudPanel (if this server keeps vhosts elsewhere, "
                                        "set vhost_dir in the config).")
        if not confirmed:
            site.status = "unconfirmed"
        self.audit(f"add {spec.kind} site {domain}: {'success' if confirmed else 'unconfirmed'}", target=domain,
                   level="info" if confirmed else "warning", detail=self._site_detail(spec))
        return SiteResult(site, spec, password, confirmed, message)

    @staticmethod
    def _site_detail(spec: SiteSpec) -> dict[str, Any]:
        detail: dict[str, Any] = {"kind": spec.kind, "site_user": spec.site_user, "runtime": spec.runtime}
        if spec.kind == "php":
            detail["vhost_template"] = spec.vhost_template
        if spec.kind == "reverse-proxy":
            detail["reverse_proxy_url"] = spec.reverse_proxy_url
        return detail

    async def _exists_after_failure(self, domain: str) -> bool:
        """Reconcile: does the vhost file exist now? Unreachable counts as "not known to exist"."""
        try:
            return await self.site_exists(domain)
        except BackendError:
            return False

    @_named
    async def install_certificate(self, domain: str, alt_names: tuple[str, ...] | list[str] = ()) -> ActionResult:
        """Let's Encrypt for the site (and alternative names). Needs public DNS pointing at the server first."""
        self._writable("install certificate")
        command = commands.install_certificate(domain, alt_names)
        d = validate.domain(domain)
        names = [d, *validate.alternative_names(list(alt_names), d)]
        try:
            await self._clpctl(command)
        except OutcomeUnknownError as exc:
            raise OutcomeUnknownError(f"{exc.message} Retrying is safe (Let's Encrypt allows 5 identical certificates a "
                                      "week).", backend=self.name, operation=command.operation) from None
        self.audit(f"install certificate for {d}: success", target=d, detail={"names": names})
        return ActionResult(self.name, d, "lets-encrypt:install:certificate", None, "success",
                            f"certificate issued for {', '.join(names)}")

    @_named
    async def delete_site(self, domain: str) -> ActionResult:
        """`clpctl site:delete --force` (no prompt), then check that the vhost file is gone."""
        self._writable("delete site")
        command = commands.site_delete(domain)
        d = validate.domain(domain)
        try:
            await self._clpctl(command)
        except OutcomeUnknownError:
            try:
                gone = not await self.site_exists(d)
            except BackendError:
                gone = False
            if not gone:
                raise
            self.audit(f"delete site {d}: gone after an unclear failure", target=d, level="warning")
            return ActionResult(self.name, d, "site:delete", None, "success", "the site is gone")
        if await self.site_exists(d):
            raise BackendError(f"delete site {d}: clpctl reported success, but {self.options.vhost_dir}/{d}.conf is still "
                               "there: check the site in CloudPanel.", backend=self.name, operation=command.operation,
                               code="unconfirmed")
        self.audit(f"delete site {d}: success", target=d)
        return ActionResult(self.name, d, "site:delete", None, "success")

    # users and databases ------------------------------------------------------------------------------------------------
    @_named
    async def list_users(self) -> list[PanelUser]:
        text = await self._read(commands.user_list())
        return parse.panel_users(text, backend=self.name, host=self.options.host)

    @_named
    async def reset_user_password(self, user: str) -> SecretResult:
        """Give a CloudPanel user a new strong password, returned once (never recorded). Not resent on failure: after
        an unclear failure run it again to set a password you know."""
        self._writable("reset panel user password")
        password = new_password()
        command = commands.user_reset_password(user, password)
        await self._clpctl(command)
        self.audit(f"reset password of panel user {user}: success", target=user)
        return SecretResult(self.name, user, secret=password)

    @_named
    async def add_database(self, domain: str, database: str, user: str, password: str | None = None) -> DatabaseResult:
        """`clpctl db:add` for the site; AlreadyExistsError when the database or its user name is taken."""
        self._writable("add database")
        secret = validate.password(password, "database user password") if password else new_password()
        command = commands.db_add(domain, database, user, secret)
        d = validate.domain(domain)
        await self._clpctl(command)
        self.audit(f"add database {database} to {d}: success", target=d, detail={"database": database, "user": user})
        return DatabaseResult(self.name, d, database, user, secret)
