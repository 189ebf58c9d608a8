"""A workspace: the config, its adapters, the secrets, the event log and the store, as one object for the CLI and TUI."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

from .config import Config
from .events import EventLog
from .secrets import Secrets

if TYPE_CHECKING:
    from .contract import Adapter


class Workspace:
    def __init__(self, config: Config, secrets: Secrets | None = None, *, read_only: bool = False,
                 data_dir: Path | None = None, adapter_options: dict[str, Any] | None = None) -> None:
        self.config = config
        self.secrets = secrets or Secrets()
        self.read_only = read_only or config.general.read_only
        self.events = EventLog()
        self.data_dir = data_dir
        self._store = None
        self._adapter_options = adapter_options or {}
        self._adapters: dict[str, Adapter] | None = None
        self.attached: dict[str, str] = {}  # joined backend -> the backend whose rows show its servers
        from .registry import ADAPTERS, adapter_class

        for b in config.backends:  # an unavailable kind is a ConfigError now, not mid-session
            if b.kind not in ADAPTERS:
                adapter_class(b.kind)

    @property
    def backend_names(self) -> list[str]:
        return [b.name for b in self.config.backends]

    @property
    def adapters(self) -> dict[str, Adapter]:
        """Built on first use: the adapter modules (and httpx) stay off the TUI's path to its first paint."""
        if self._adapters is None:
            from .registry import adapter_class

            adapters = {}
            for b in self.config.backends:
                cls = adapter_class(b.kind)
                adapters[b.name] = cls(b, secrets=self.secrets, events=self.events, read_only=self.read_only,
                                       store=_LazyStore(self), **self._adapter_options.get(b.kind, {}))
            self._adapters = adapters
            for adapter in adapters.values():
                for joined in adapter.attach(adapters):
                    self.attached[joined] = adapter.name
        return self._adapters

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
        import httpx  # noqa: F401 - imported by the first request otherwise, on the caller's event loop

        return adapters

    @property
    def store(self):
        """Opened on first use: SQLAlchemy stays off the start-up path."""
        if self._store is None:
            from .store import Store

            if self.config.general.database:
                self._store = Store(self.config.general.database)
            else:
                self._store = Store(path=(self.data_dir / "hostdeck.db") if self.data_dir else None)
        return self._store

    @property
    def database_file(self) -> Path | None:
        """The SQLite file of the store, or None when the config names a database URL."""
        if self.config.general.database:
            return None
        from .paths import database_path

        return (self.data_dir / "hostdeck.db") if self.data_dir else database_path()

    def adapter(self, name: str) -> Adapter:
        if name not in self.adapters:
            self.config.backend(name)  # raises the ConfigError that names the configured ones
        return self.adapters[name]

    def flush_events(self) -> int:
        """Write the pending events to the store and the log file (one batch, from a thread in the TUI)."""
        pending = self.events.take_pending()
        if pending:
            from .logfile import append_events
            from .paths import database_path, log_dir
            from .store import fast_events

            db_file = (self.data_dir / "hostdeck.db") if self.data_dir else database_path()
            if self._store is not None or self.config.general.database or not fast_events.append_events(db_file, pending):
                self.store.add_events(pending)
            append_events((self.data_dir / "logs") if self.data_dir else log_dir(), pending)
        return len(pending)

    async def aclose(self) -> None:
        if self._adapters is not None:
            await asyncio.gather(*(a.aclose() for a in self._adapters.values()), return_exceptions=True)
        await asyncio.to_thread(self.flush_events)

    def close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


class _LazyStore:
    """Hands adapters the workspace's store without opening it until they need it."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def __getattr__(self, name: str) -> Any:
        return getattr(self._workspace.store, name)
