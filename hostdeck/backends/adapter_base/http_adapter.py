"""The base of every adapter over HTTP: its cores are built from the credentials at first use, built again when a
credential rejected before has been corrected (keyring or environment), and closed together."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from ..contract import Adapter
from ..errors import ConfigError
from ..errors import ReadOnlyError

if TYPE_CHECKING:
    from ..config import BackendConfig
    from ..events import EventLog
    from ..http import HttpCore
    from ..http import RetryPolicy
    from ..secrets import Secrets


class HttpAdapter(Adapter):
    default_concurrency = 4

    def __init__(self, config: BackendConfig, *, secrets: Secrets, events: EventLog | None = None,
                 read_only: bool = False, store: Any = None, policy: RetryPolicy | None = None) -> None:
        super().__init__(config, secrets=secrets, events=events, read_only=read_only, store=store)
        self._policy = policy
        self._cores: tuple[HttpCore, ...] = ()

    @abstractmethod
    def build_cores(self, values: Mapping[str, str]) -> tuple[HttpCore, ...]:
        """The HTTP cores for these credentials, the main one first (see `core_options`)."""

    def core_options(self, values: Mapping[str, str], base_url: str, **overrides: Any) -> dict[str, Any]:
        """What every core of this backend is built with: its name, URL, timeouts, concurrency, retry policy, read-only
        mode, limits and the credential guard of `values`."""
        options: dict[str, Any] = dict(backend=self.name, base_url=base_url, events=self.events,
                                       timeout=self.config.timeout, policy=self._policy, read_only=self.read_only,
                                       max_concurrency=self.config.max_concurrency or self.default_concurrency,
                                       guard=self.credential_guard(values), **self.http_limits())
        options.update(overrides)
        return options

    def root_url(self, endpoint: str, *, needs: str, example: str) -> str:
        """The configured URL without the API endpoint a person may have pasted with it; a missing URL is a config
        error that says what it `needs` and gives an `example`."""
        if not self.config.url:
            raise ConfigError(f"a {needs}.", key=f"backends.{self.name}.url", fix=f"add url = {example}.")
        url = self.config.url.rstrip("/")
        return url[: -len(endpoint)] if url.endswith(endpoint) else url

    def cores(self) -> tuple[HttpCore, ...]:
        if self._cores and self.credentials_changed():   # corrected after a rejection: use it now
            for core in self._cores:
                self._retire(core)
            self._cores = ()
        if not self._cores:
            self._cores = self.build_cores(self.secret_values())
        return self._cores

    @property
    def http(self) -> HttpCore:
        return self.cores()[0]

    async def aclose(self) -> None:
        cores, self._cores = self._cores, ()
        for core in cores:
            await core.aclose()

    def _mutation(self, operation: str) -> None:
        if self.read_only:
            raise ReadOnlyError(f"read-only mode is on: {operation} refused.", backend=self.name, operation=operation)
