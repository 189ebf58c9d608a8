"""Adding a backend, the same way from the CLI (`hostdeck backend add`) and the TUI's add form: the connection is
tested with the credentials given before anything is saved; only a backend that answered is written to the config
(comments and order kept, 0600) and its secrets to the keyring, all or nothing."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from .config import NAME_RE
from .errors import ConfigError

DEFAULT_TIMEOUT = 30.0  # seconds, as hostdeck.backends.config reads a table without `timeout`

if TYPE_CHECKING:
    from .config import BackendConfig
    from .config import Config
    from .models import ConnectionReport


def option_value(text: str) -> Any:
    """A TOML value when the text reads as one (42, true, [1, 2]), else the text itself."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


@dataclass(frozen=True)
class Draft:
    """A backend about to be added: the config file's new text (not written yet) and the secrets it asks for."""

    path: Path
    backend: BackendConfig
    text: str
    config: Config
    secret_fields: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.backend.name


def draft(path: Path, name: str, kind: str, options: dict[str, Any], *, replacing: bool = False) -> Draft:
    """Check the name and options as the start-up would load them (ConfigError when they would not load).
    `replacing`: the backend named `name` is already configured and this draft takes its place (an edit)."""
    from .config_file import with_backend
    from .registry import adapter_class
    from .secrets import Secrets

    if not NAME_RE.match(name):
        raise ConfigError(f"name {name!r} is not valid.",
                          fix="use 1-32 lower case letters, digits, - or _, starting with a letter.")
    text, config = with_backend(path, name, kind, options, replacing=replacing)
    backend = next(b for b in config.backends if b.name == name)
    probe = adapter_class(kind)(backend, secrets=Secrets(isolated=True))
    return Draft(path, backend, text, config, tuple(probe.secret_fields))


async def test_draft(d: Draft, values: dict[str, str]) -> ConnectionReport:
    """Test the connection with these secrets only (no environment, no keyring): what would be saved is what answered."""
    from .config import Config
    from .secrets import Secrets
    from .workspace import Workspace

    config = Config(path=None, general=d.config.general)
    config.backends = [d.backend]
    workspace = Workspace(config, Secrets(overlay={(d.name, f): v for f, v in values.items() if v}, isolated=True))
    try:
        return await workspace.adapter(d.name).explicit_test()
    finally:
        await workspace.aclose()
        workspace.close_store()


def save(d: Draft, values: dict[str, str]) -> list[str]:
    """Store the secrets in the keyring, then write the config; on any failure undo the secrets stored so far and
    leave the file as it was. Returns the fields stored. Blocking (the keyring may ask to be unlocked)."""
    from .config_file import write_text
    from .secrets import Secrets

    keyring = Secrets()
    stored: list[str] = []
    try:
        for field, value in values.items():
            if value:
                keyring.set(d.name, field, value)
                stored.append(field)
        write_text(d.path, d.text)
    except BaseException:
        for field in stored:
            keyring.delete(d.name, field)
        raise
    return stored


def secret_fields_of(backend: BackendConfig) -> list[str]:
    """Every secret the backend may have in the keyring, the optional ones too."""
    from .registry import adapter_class
    from .secrets import Secrets

    adapter = adapter_class(backend.kind)(backend, secrets=Secrets(isolated=True))
    return [*adapter.secret_fields, *getattr(adapter, "optional_secret_fields", ())]


def remove(path: Path, name: str) -> list[str]:
    """Remove backend `name` from the config, then its secrets from the keyring. Returns the fields deleted."""
    from .config_file import remove_backend
    from .secrets import Secrets

    fields = secret_fields_of(configured(path, name))
    remove_backend(path, name)
    keyring = Secrets()
    return [f for f in fields if keyring.delete(name, f)]


def configured(path: Path, name: str) -> BackendConfig:
    from .config import load_config

    config = load_config(str(path))
    backend = next((b for b in config.backends if b.name == name), None)
    if backend is None:
        raise ConfigError(f"no backend named {name!r} is configured.", path=str(path),
                          fix="see `hostdeck backend list` for the names.")
    return backend


def options_of(backend: BackendConfig) -> dict[str, Any]:
    """The options of a configured backend as its `[[backends]]` table holds them (what an edit starts from)."""
    options: dict[str, Any] = {"url": backend.url} if backend.url else {}
    if backend.max_concurrency is not None:
        options["max_concurrency"] = backend.max_concurrency
    if backend.timeout != DEFAULT_TIMEOUT:
        options["timeout"] = backend.timeout
    return options | backend.options
