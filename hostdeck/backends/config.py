"""The TOML config: `[general]`, `[keymap]` and `[[backends]]`. Errors name the file, the key and the fix."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .paths import config_path

NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
KNOWN_KINDS = ("hetzner", "convoy", "proxmox", "whmcs", "cloudpanel", "matomo", "vpspanel")
MIN_REFRESH_SECONDS = 2.0


@dataclass(slots=True)
class BackendConfig:
    name: str
    kind: str
    url: str | None = None
    max_concurrency: int | None = None
    timeout: float = 30.0
    options: dict[str, Any] = field(default_factory=dict)

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


@dataclass(slots=True)
class GeneralConfig:
    read_only: bool = False
    database: str | None = None
    catalog_ttl_hours: float = 24.0
    refresh_interval: float = 30.0
    theme: str = "textual-dark"
    secret_store: str = "keyring"  # or "file": secrets.toml beside the config (an explicit opt-in, secret_file.py)


SECRET_STORES = ("keyring", "file")
DEFAULT_FIELD_MAPPING = {"name": "{first_name} {last_name}", "email": "{email}"}


@dataclass(slots=True)
class SyncConfig:
    """`[sync]`: which WHMCS backend bills, which panel its clients get accounts on, how they map, and which VPS panel
    linked servers are mirrored to."""

    billing: str | None = None
    panel: str | None = None
    vpspanel: str | None = None
    concurrency: int = 8
    field_mapping: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_FIELD_MAPPING))


@dataclass(slots=True)
class Config:
    path: Path | None
    general: GeneralConfig = field(default_factory=GeneralConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    backends: list[BackendConfig] = field(default_factory=list)
    keymap: dict[str, str] = field(default_factory=dict)

    def backend(self, name: str) -> BackendConfig:
        for b in self.backends:
            if b.name == name:
                return b
        known = ", ".join(b.name for b in self.backends) or "none configured"
        raise ConfigError(f"no backend named {name!r} (configured: {known}).", path=str(self.path) if self.path else None,
                          fix="use one of the configured names, or add a [[backends]] table with that name.")


def _expect(value: Any, typ: type | tuple[type, ...], *, path: Path, key: str, fix: str) -> Any:
    if isinstance(value, bool) and typ in (int, float, (int, float)):
        raise ConfigError(f"expected a number, got {value!r}.", path=str(path), key=key, fix=fix)
    if not isinstance(value, typ):
        want = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise ConfigError(f"expected {want}, got {type(value).__name__} {value!r}.", path=str(path), key=key, fix=fix)
    return value


def parse_config(data: dict[str, Any], path: Path) -> Config:
    cfg = Config(path=path)
    unknown = set(data) - {"general", "backends", "keymap", "sync"}
    if unknown:
        raise ConfigError(f"unknown table(s) {sorted(unknown)}.", path=str(path), key=sorted(unknown)[0],
                          fix="the config knows [general], [keymap], [sync] and [[backends]]; remove or rename the others.")
    sync = _expect(data.get("sync", {}), dict, path=path, key="sync", fix="write it as a [sync] table.")
    for key, value in sync.items():
        k = f"sync.{key}"
        if key in ("billing", "panel", "vpspanel"):
            setattr(cfg.sync, key, _expect(value, str, path=path, key=k, fix="write the name of a configured backend."))
        elif key == "concurrency":
            cfg.sync.concurrency = _expect(value, int, path=path, key=k, fix="write a whole number from 1 to 64.")
            if not 1 <= cfg.sync.concurrency <= 64:
                raise ConfigError("must be from 1 to 64.", path=str(path), key=k, fix="write a whole number from 1 to 64.")
        elif key == "field_mapping":
            mapping = _expect(value, dict, path=path, key=k, fix='write [sync.field_mapping] with name = "{first_name} {last_name}".')
            for target, template in mapping.items():
                if target not in DEFAULT_FIELD_MAPPING:
                    raise ConfigError(f"the panel has no field {target!r}.", path=str(path), key=f"{k}.{target}",
                                      fix=f"map one of: {', '.join(DEFAULT_FIELD_MAPPING)}.")
                _expect(template, str, path=path, key=f"{k}.{target}", fix='write a template such as "{email}".')
            cfg.sync.field_mapping = {**DEFAULT_FIELD_MAPPING, **mapping}
        else:
            raise ConfigError(f"unknown key {key!r}.", path=str(path), key=k,
                              fix="known keys: billing, panel, vpspanel, concurrency, field_mapping.")
    general = _expect(data.get("general", {}), dict, path=path, key="general", fix="write it as a [general] table.")
    g = cfg.general
    for key, value in general.items():
        k = f"general.{key}"
        if key == "read_only":
            g.read_only = _expect(value, bool, path=path, key=k, fix="write read_only = true or false.")
        elif key == "database":
            g.database = _expect(value, str, path=path, key=k, fix='write a SQLAlchemy URL, e.g. "postgresql+psycopg://user@host/db".')
        elif key == "catalog_ttl_hours":
            g.catalog_ttl_hours = float(_expect(value, (int, float), path=path, key=k, fix="write a number of hours, e.g. 24."))
            if g.catalog_ttl_hours <= 0:
                raise ConfigError("must be more than 0.", path=str(path), key=k, fix="write a number of hours, e.g. 24.")
        elif key == "refresh_interval":
            g.refresh_interval = float(_expect(value, (int, float), path=path, key=k, fix="write seconds, e.g. 30."))
            if g.refresh_interval < MIN_REFRESH_SECONDS:
                raise ConfigError(f"must be at least {MIN_REFRESH_SECONDS:g} seconds.", path=str(path), key=k,
                                  fix=f"write a value of {MIN_REFRESH_SECONDS:g} or more.")
        elif key == "theme":
            g.theme = _expect(value, str, path=path, key=k, fix='write a theme name, e.g. "textual-dark".')
        elif key == "secret_store":
            if value not in SECRET_STORES:
                raise ConfigError(f"secret_store {value!r} is not known.", path=str(path), key=k,
                                  fix='write secret_store = "keyring" (the default) or "file" (secrets.toml, 0600).')
            g.secret_store = value
        else:
            raise ConfigError(f"unknown key {key!r}.", path=str(path), key=k,
                              fix="known keys: read_only, database, catalog_ttl_hours, refresh_interval, theme, "
                                  "secret_store.")
    keymap = _expect(data.get("keymap", {}), dict, path=path, key="keymap", fix="write it as a [keymap] table of binding id = keys.")
    for key, value in keymap.items():
        cfg.keymap[key] = _expect(value, str, path=path, key=f"keymap.{key}", fix='write keys as a string, e.g. "f5" or "ctrl+r,r".')
    backends = _expect(data.get("backends", []), list, path=path, key="backends", fix="write each backend as a [[backends]] table.")
    seen: set[str] = set()
    for i, raw in enumerate(backends):
        where = f"backends[{i}]"
        raw = dict(_expect(raw, dict, path=path, key=where, fix="write each backend as a [[backends]] table."))
        name = raw.pop("name", None)
        if name is None:
            raise ConfigError("has no name.", path=str(path), key=where, fix='add name = "..." (lower case letters, digits, - or _).')
        name = _expect(name, str, path=path, key=f"{where}.name", fix="write the name as a string.")
        if not NAME_RE.match(name):
            raise ConfigError(f"name {name!r} is not valid.", path=str(path), key=f"{where}.name",
                              fix="use 1-32 lower case letters, digits, - or _, starting with a letter.")
        if name in seen:
            raise ConfigError(f"name {name!r} is used twice.", path=str(path), key=f"{where}.name", fix="give each backend its own name.")
        seen.add(name)
        kind = raw.pop("kind", None)
        if kind not in KNOWN_KINDS:
            raise ConfigError(f"kind {kind!r} is not known.", path=str(path), key=f"{where}.kind",
                              fix=f"use one of: {', '.join(KNOWN_KINDS)}.")
        for secret_like in ("token", "token_secret", "password", "secret", "api_key", "identifier", "accesskey", "key_passphrase"):
            if secret_like in raw:
                raise ConfigError(f"holds a secret ({secret_like!r}); secrets never go in the config file.",
                                  path=str(path), key=f"{where}.{secret_like}",
                                  fix=f"remove it and run `hostdeck secret set {name} {secret_like}` (or set "
                                      f"HOSTDECK_SECRET_{name.upper().replace('-', '_')}_{secret_like.upper()}).")
        url = raw.pop("url", None)
        if url is not None:
            url = _expect(url, str, path=path, key=f"{where}.url", fix='write the URL as a string, e.g. "https://api.example.com".')
            if not re.match(r"^https?://[^\s/]+", url):
                raise ConfigError(f"url {url!r} is not an http(s) URL.", path=str(path), key=f"{where}.url",
                                  fix="write a full URL starting with https://.")
        mc = raw.pop("max_concurrency", None)
        if mc is not None:
            mc = _expect(mc, int, path=path, key=f"{where}.max_concurrency", fix="write a whole number from 1 to 64.")
            if not 1 <= mc <= 64:
                raise ConfigError("must be from 1 to 64.", path=str(path), key=f"{where}.max_concurrency", fix="write a whole number from 1 to 64.")
        timeout = float(_expect(raw.pop("timeout", 30.0), (int, float), path=path, key=f"{where}.timeout", fix="write seconds, e.g. 30."))
        cfg.backends.append(BackendConfig(name=name, kind=kind, url=url, max_concurrency=mc, timeout=timeout, options=raw))
    return cfg


def load_config(explicit: str | Path | None = None) -> Config:
    path, named = config_path(explicit)
    if not path.exists():
        if named:
            raise ConfigError("file not found.", path=str(path),
                              fix="check the path given with --config or HOSTDECK_CONFIG, or run `hostdeck sim` to print a working config.")
        return Config(path=None)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror}).", path=str(path), fix="check the file's permissions.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"is not valid TOML ({exc}).", path=str(path), fix="correct the syntax at the line shown.") from None
    return parse_config(data, path)
