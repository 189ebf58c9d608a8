"""Adding a backend, the same way from the CLI (`hostdeck backend add`) and the TUI's add form: the connection is
tested with the credentials given before anything is saved; only a backend that answered is written to the config
(comments and order kept, 0600) and its secrets to the keyring (or the secrets file the person opted in to), all or
nothing. A secret already set in the environment (HOSTDECK_SECRET_...) is tested with and stored nowhere."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import cast

from .config import NAME_RE
from .errors import ConfigError

DEFAULT_TIMEOUT = 30.0  # seconds, as hostdeck.backends.config reads a table without `timeout`

if TYPE_CHECKING:
    from .cloudpanel.hostkeys import HostKeyInfo
    from .config import BackendConfig
    from .config import Config
    from .models import ConnectionReport
    from .secrets import Secrets
    from .workspace import Workspace


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
    replacing: bool = False
    secret_store: str | None = None

    @property
    def name(self) -> str:
        return self.backend.name

    @property
    def store(self) -> Secrets:
        """Where its secrets go: the keyring, or the secrets file when the config (or this draft) opted in."""
        from .secrets import secrets_for

        return secrets_for(self.config)


def draft(path: Path, name: str, kind: str, options: dict[str, Any], *, replacing: bool = False,
          secret_store: str | None = None) -> Draft:
    """Check the name and options as the start-up would load them (ConfigError when they would not load).
    `replacing`: the backend named `name` is already configured and this draft takes its place (an edit).
    `secret_store`: "file" or "keyring", written to `[general]` with the backend (the person's explicit choice)."""
    from .config_file import with_backend
    from .registry import adapter_class
    from .secrets import Secrets

    if not NAME_RE.match(name):
        raise ConfigError(f"name {name!r} is not valid.",
                          fix="use 1-32 lower case letters, digits, - or _, starting with a letter.")
    general = {"secret_store": secret_store} if secret_store else None
    text, config = with_backend(path, name, kind, options, replacing=replacing, general=general)
    backend = next(b for b in config.backends if b.name == name)
    probe = adapter_class(kind)(backend, secrets=Secrets(isolated=True))
    return Draft(path, backend, text, config, tuple(probe.secret_fields), replacing, secret_store)


def redraft(d: Draft, **options: Any) -> Draft:
    """The same draft with these options changed (a host key fingerprint the person just trusted)."""
    return draft(d.path, d.name, d.backend.kind, options_of(d.backend) | options, replacing=d.replacing,
                 secret_store=d.secret_store)


def from_environment(d: Draft) -> dict[str, str]:
    """The draft's secrets already set in the environment: tested with, and stored nowhere (the env is their home)."""
    from .secrets import env_name

    return {f: value for f in d.secret_fields if (value := os.environ.get(env_name(d.name, f)))}


def check_store(d: Draft, fields: Iterable[str]) -> None:
    """SecretError naming the ways out when these secrets could not be stored (no usable keyring and no opt-in to the
    secrets file); asked before the connection test, so nothing is tested that could not then be kept."""
    from .errors import SecretError
    from .secret_file import file_beside
    from .secrets import ways_out

    needed = list(fields)
    problem = d.store.store_problem() if needed else None
    if problem:
        raise SecretError(ways_out(d.name, needed, problem, file_beside(d.path)))


def _workspace(d: Draft, values: dict[str, str]) -> Workspace:
    """A workspace of this one backend, with these secrets only (no environment, no keyring)."""
    from .config import Config
    from .secrets import Secrets
    from .workspace import Workspace

    config = Config(path=None, general=d.config.general)
    config.backends = [d.backend]
    return Workspace(config, Secrets(overlay={(d.name, f): v for f, v in values.items() if v}, isolated=True))


async def test_draft(d: Draft, values: dict[str, str], *, again: str = "add it again") -> ConnectionReport:
    """Test the connection with these secrets only (no environment, no keyring): what would be saved is what answered.
    A rejection's advice is the draft's own (`again`: how to retry here), never `hostdeck secret set` for a backend
    that was not saved."""
    workspace = _workspace(d, values)
    try:
        report = await workspace.adapter(d.name).explicit_test()
    finally:
        await workspace.aclose()
        workspace.close_store()
    if report.error:
        report.error = rejection(d, report.error, again)
    return report


_SECRET_SET = re.compile(r"`hostdeck secret set \S+ (?P<field>\w+)`")


def rejection(d: Draft, error: str, again: str) -> str:
    """The error with each sentence that says `hostdeck secret set` replaced by the fix that fits a backend not yet
    saved: try again with the right secret, and where that secret is made (the kind's label for it)."""
    from .kinds import kind_named

    fields = list(dict.fromkeys(m["field"] for m in _SECRET_SET.finditer(error)))
    if not fields:
        return error
    sentences = [_without_secret_set(s) for s in re.split(r"(?<=[.!?])\s+", error)]
    head = re.sub(r"\s*Fix:\s*$", "", " ".join(s for s in sentences if s)).strip()
    labels = {s.key: s.label for s in kind_named(d.backend.kind).secrets}
    wanted = " and ".join(labels.get(f, f) for f in fields)
    if "Fix:" in head:   # the error's own fix says where the secret is made: this follows it
        return f"{head.rstrip('.')}; then, as nothing was saved, {again} with the right {wanted}."
    return f"{head} Fix: nothing was saved; {again} with the right {wanted}.".strip()


_THEN_SECRET_SET = re.compile(r",? (?:and|then) (?:run|set (?:it|them) with) `hostdeck secret set .*$")


def _without_secret_set(sentence: str) -> str:
    """A sentence without its `hostdeck secret set` step: "create a token in X and set it with `...`" keeps "create a
    token in X."; a sentence that is only that step goes."""
    if not _SECRET_SET.search(sentence):
        return sentence
    kept = _THEN_SECRET_SET.sub("", sentence)
    return f"{kept}." if kept != sentence and not _SECRET_SET.search(kept) else ""


async def presented_host_key(d: Draft, values: dict[str, str]) -> HostKeyInfo | None:
    """The SSH host key the draft's server presents and how hostdeck sees it (trusted, pinned, unknown or changed),
    fetched without logging in; None for a backend that does not speak SSH."""
    workspace = _workspace(d, values)
    try:
        fetch = getattr(workspace.adapter(d.name), "fetch_host_key", None)
        return None if fetch is None else cast("HostKeyInfo", await fetch())
    finally:
        await workspace.aclose()
        workspace.close_store()


def trusting(d: Draft, key: HostKeyInfo) -> Draft:
    """The draft with the host key the person just trusted pinned in its table (`host_key_fingerprint`): the test runs
    against that key only, and the key is kept with the backend when it is saved."""
    return redraft(d, host_key_fingerprint=key.fingerprint)


def save(d: Draft, values: dict[str, str]) -> list[str]:
    """Store the secrets (keyring or secrets file), then write the config; on any failure undo the secrets stored so
    far and leave the file as it was. Returns the fields stored. Blocking (the keyring may ask to be unlocked)."""
    from .config_file import write_text

    store = d.store
    stored: list[str] = []
    try:
        for field, value in values.items():
            if value:
                store.set(d.name, field, value)
                stored.append(field)
        write_text(d.path, d.text)
    except BaseException:
        for field in stored:
            store.delete(d.name, field)
        raise
    return stored


def secret_fields_of(backend: BackendConfig) -> list[str]:
    """Every secret the backend may have in the keyring, the optional ones too."""
    from .registry import adapter_class
    from .secrets import Secrets

    adapter = adapter_class(backend.kind)(backend, secrets=Secrets(isolated=True))
    return [*adapter.secret_fields, *getattr(adapter, "optional_secret_fields", ())]


def remove(path: Path, name: str) -> list[str]:
    """Remove backend `name` from the config, then its secrets from the keyring (and the secrets file, when the
    config uses one). Returns the fields deleted."""
    from .config import load_config
    from .config_file import remove_backend
    from .secrets import secrets_for

    fields = secret_fields_of(configured(path, name))
    store = secrets_for(load_config(str(path)))
    remove_backend(path, name)
    return [f for f in fields if store.delete(name, f)]


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
