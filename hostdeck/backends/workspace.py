"""A workspace: the config, its adapters, the secrets, the event log and the store, as one object for the CLI and TUI."""

from __future__ import annotations

import asyncio
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import cast

from .config import Config
from .errors import ConfigError
from .events import EventLog
from .secrets import Secrets
from .secrets import secrets_for

if TYPE_CHECKING:
    from .config import BackendConfig
    from .contract import Adapter
    from .credentials_guard import StoredRejections
    from .roles import Role
    from .roles import SiteHost
    from .store.db import Store


class Workspace:
    def __init__(self, config: Config, secrets: Secrets | None = None, *, read_only: bool = False,
                 data_dir: Path | None = None, adapter_options: dict[str, Any] | None = None) -> None:
        self.config = config
        self.secrets = secrets or secrets_for(config)
        self.read_only = read_only or config.general.read_only
        self.events = EventLog()
        self.data_dir = data_dir
        self._store: Store | None = None
        self._rejections: StoredRejections | None = None
        self.record_problems: list[str] = []  # why events could not be written (the CLI prints them at the end)
        self._failures_seen: set[str] = set()
        self._adapter_options = adapter_options or {}
        self._adapters: dict[str, Adapter] | None = None
        self.attached: dict[str, str] = {}  # joined backend -> the backend whose rows show its servers
        from .registry import ADAPTERS
        from .registry import adapter_class

        for b in config.backends:  # an unavailable kind is a ConfigError now, not mid-session
            if b.kind not in ADAPTERS:
                adapter_class(b.kind)

    @property
    def backend_names(self) -> list[str]:
        return [b.name for b in self.config.backends]

    def load_backend(self, backend: BackendConfig) -> Adapter | None:
        """A backend saved while the app runs (the welcome screen, Connections' add and edit): built now and joined
        with the others (a Proxmox backend under a Convoy panel), so its servers are listed without a restart. An
        edited one replaces the adapter of the same name: that one is returned for the caller to close."""
        self.config.backends = [b for b in self.config.backends if b.name != backend.name] + [backend]
        if self._adapters is None:   # built with the others at their first use
            return None
        replaced = self._adapters.pop(backend.name, None)
        self._adapters[backend.name] = self._build(backend)
        self._rejoin(self._adapters)
        return replaced

    def unload_backend(self, name: str) -> Adapter | None:
        """A backend removed while the app runs leaves it; its adapter is returned for the caller to close."""
        self.config.backends = [b for b in self.config.backends if b.name != name]
        if self._adapters is None:
            return None
        removed = self._adapters.pop(name, None)
        self._rejoin(self._adapters, keep_going=True)   # a panel that named it stays unjoined
        return removed

    @property
    def adapters(self) -> dict[str, Adapter]:
        """Built on first use: the adapter modules (and httpx) stay off the TUI's path to its first paint."""
        if self._adapters is None:
            adapters = {b.name: self._build(b) for b in self.config.backends}
            self._adapters = adapters
            self._rejoin(adapters)
        return self._adapters

    def _build(self, backend: BackendConfig) -> Adapter:
        from .registry import adapter_class

        adapter = adapter_class(backend.kind)(backend, secrets=self.secrets, events=self.events,
                                              read_only=self.read_only, store=_LazyStore(self),
                                              **self._adapter_options.get(backend.kind, {}))
        adapter.rejections = self.rejections
        return adapter

    def _rejoin(self, adapters: dict[str, Adapter], *, keep_going: bool = False) -> None:
        """Join the adapters that join others (Convoy + Proxmox) and note which backends are shown through which.
        `keep_going`: a config naming a backend that is gone leaves that adapter unjoined instead of stopping."""
        self.attached = {}
        for adapter in adapters.values():
            try:
                for joined in adapter.attach(adapters):
                    self.attached[joined] = adapter.name
            except ConfigError:
                if not keep_going:
                    raise

    def listing_adapters(self, names: list[str] | None = None) -> list[Adapter]:
        """The adapters whose servers make up the unified list: a Proxmox backend joined to a Convoy panel shows its
        VMs as that panel's servers, not twice (unless asked for by name)."""
        from .contract import Capability

        adapters = self.adapters
        if names:
            return [self.adapter(n) for n in names]
        return [a for n, a in adapters.items() if Capability.LIST in a.capabilities and n not in self.attached]

    def prepare_listing(self, names: list[str] | None = None) -> list[Adapter]:
        """`listing_adapters`, with the modules their first request needs imported: the TUI calls this from a thread,
        so these imports never hold its event loop (and the first paint) back."""
        adapters = self.listing_adapters(names)
        # Imported by the first request otherwise, on the caller's event loop: httpx, the transport it builds at its
        # first client (httpcore, h11) and the event-loop backend anyio loads at the first connection.
        import httpcore  # noqa: F401
        import httpx  # noqa: F401

        try:
            import_module("anyio._backends._asyncio")
        except ImportError:  # a private module: a later anyio may move it, and then it loads at the first request
            pass
        return adapters

    @property
    def store(self) -> Store:
        """Opened on first use: SQLAlchemy stays off the start-up path."""
        if self._store is None:
            from .store import Store

            if self.config.general.database:  # its password from the URL, the keyring (database password) or PGPASSFILE
                self._store = Store(self.config.general.database, secrets=self.secrets)
            else:
                self._store = Store(path=(self.data_dir / "hostdeck.db") if self.data_dir else None)
        return self._store

    @property
    def rejections(self) -> StoredRejections:
        """Credentials the backends rejected, kept for every process (backends/credentials_guard.py)."""
        if self._rejections is None:
            from .credentials_guard import StoredRejections
            from .paths import data_dir

            database = self.config.general.database
            self._rejections = StoredRejections(self.data_dir or data_dir(), db_path=self.database_file, database_url=database,
                                                store=(lambda: self.store) if database else None)
        return self._rejections

    def playing(self, name: str, role: Role) -> Adapter:
        """The adapter `name`, when it plays `role`; a ConfigError naming the backends that do otherwise."""
        adapter = self.adapter(name)
        if adapter.plays(role):
            return adapter
        players = [n for n, a in self.adapters.items() if a.plays(role)]
        raise ConfigError(f"{name} is a {adapter.kind} backend, not a {role.value}.", key="backends",
                          fix=f"name a {role.value}: {', '.join(players) or 'none is configured'}.")

    def site_host(self, name: str) -> SiteHost:
        from .roles import Role

        return cast("SiteHost", self.playing(name, Role.SITE_HOST))

    def adapter(self, name: str) -> Adapter:
        if name not in self.adapters:
            self.config.backend(name)  # raises the ConfigError that names the configured ones
        return self.adapters[name]

    @property
    def database_file(self) -> Path | None:
        """The SQLite store's file (None when [general] database names another engine)."""
        if self.config.general.database:
            from .store.check import sqlite_file  # stdlib only: read on the way to the first rows

            return sqlite_file(self.config.general.database)
        from .paths import database_path

        return (self.data_dir / "hostdeck.db") if self.data_dir else database_path()

    @property
    def log_dir(self) -> Path:
        from .paths import log_dir

        return (self.data_dir / "logs") if self.data_dir else log_dir()

    def check_store(self) -> None:
        """Before any remote call: the store opens, is a database of a known schema and can be written (a StoreError
        naming the file and the fix otherwise). SQLite is checked with the stdlib; another engine is opened."""
        from .store.check import check_sqlite

        db_file = self.database_file
        if db_file is None:    # [general] database names another engine
            self.store  # noqa: B018 - opening it is the check
        else:
            check_sqlite(db_file)

    def flush_events(self, *, strict: bool = True) -> int:
        """Write the pending events to the store and the log file (one batch, from a thread in the TUI). When the store
        cannot take them they are in the log file, and the reason is kept in `record_problems` (and recorded once as a
        warning event). Only when neither could take them, and `strict`, it raises (the TUI's worker reports it);
        `aclose` is not strict: an action that was done stays done."""
        pending = self.events.take_pending()
        if not pending:
            return 0
        from .logfile import append_events
        from .store import fast_events

        store_failure = log_failure = None
        try:
            db_file = self.database_file
            if (self._store is not None or self.config.general.database or db_file is None
                    or not fast_events.append_events(db_file, pending)):
                self.store.add_events(pending)
        except Exception as exc:  # the store is the record, not the action: never turn a done action into a failure
            store_failure = _reason(exc)
        try:
            log_file = append_events(self.log_dir, pending)
        except OSError as exc:
            log_failure = f"the log file in {self.log_dir} could not be written ({exc.strerror or exc})"
        problems = [(log_failure, log_failure)] if log_failure else []
        if store_failure:
            where = f"they are in {log_file}" if not log_failure else "nor in the log file"
            problems.insert(0, (store_failure, f"the store could not record {len(pending)} event(s), {where}: "
                                               f"{store_failure}"))
        for reason, problem in problems:
            if reason not in self._failures_seen:  # said once per reason, not at every flush
                self._failures_seen.add(reason)
                self.record_problems.append(problem)
                from .models import Event
                from .models import EventKind

                self.events.record(Event(backend="hostdeck", kind=EventKind.ACTION, level="warning", message=problem))
        if strict and store_failure and log_failure:
            from .store.check import StoreError

            raise StoreError(f"{len(pending)} event(s) could be written neither to the store ({store_failure}) nor to "
                             f"the log file ({log_failure}).", fix="make the data and log folders writable again.")
        return len(pending)

    async def aclose(self) -> None:
        if self._adapters is not None:
            await asyncio.gather(*(a.aclose() for a in self._adapters.values()), return_exceptions=True)
        await asyncio.to_thread(self.flush_events, strict=False)

    def close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def _reason(exc: BaseException) -> str:
    from .redact import redact_text

    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return redact_text(text)


class _LazyStore:
    """Hands adapters the workspace's store without opening it until they need it."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def __getattr__(self, name: str) -> Any:
        return getattr(self._workspace.store, name)
