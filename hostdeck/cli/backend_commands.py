"""`hostdeck backend add|list|remove`: connect a backend without editing TOML by hand.

`add` tests the connection with the credentials given before anything is saved; only a backend that answered is
written to the config (comments and order kept, 0600) and its secrets to the keyring. A rejected credential, an
unreachable URL or a keyring that cannot store the secret leave the config and the keyring as they were."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from typing import Any

from hostdeck.backends.config import NAME_RE
from hostdeck.backends.errors import ConfigError
from hostdeck.backends.errors import SecretError

from .output import emit_json
from .output import table
from .output import warn


def _value(text: str) -> Any:
    """`--set KEY=VALUE`: a TOML value when it reads as one (42, true, [1, 2]), else the text itself."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.url:
        options["url"] = args.url
    for item in args.set or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r} is not KEY=VALUE.", fix='write it as --set key=value, e.g. --set port=22.')
        options[key.strip()] = _value(text.strip())
    return options


def _config_file(args: argparse.Namespace) -> Path:
    from hostdeck.backends.paths import config_path

    return config_path(getattr(args, "config", None))[0]


def _read_secrets(name: str, fields: tuple[str, ...]) -> dict[str, str]:
    """One value per field: a line each from standard input when it is not a terminal, else a hidden prompt."""
    values: dict[str, str] = {}
    for field in fields:
        if sys.stdin.isatty():
            import getpass

            value = getpass.getpass(f"{field} for {name} (input hidden): ")
        else:
            value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise SecretError(f"no {field} was given for {name}. Fix: pass it on standard input (one line per field: "
                              f"{', '.join(fields)}), or run the command in a terminal to be asked.")
        values[field] = value
    return values


async def backend_add(args: argparse.Namespace) -> int:
    from hostdeck.backends.config_file import with_backend
    from hostdeck.backends.config_file import write_text
    from hostdeck.backends.secrets import Secrets
    from hostdeck.backends.workspace import Workspace

    name, kind = args.name, args.kind
    if not NAME_RE.match(name):
        raise ConfigError(f"name {name!r} is not valid.", fix="use 1-32 lower case letters, digits, - or _, starting with a letter.")
    path = _config_file(args)
    text, config = with_backend(path, name, kind, _options(args))  # checked as the start-up would load it
    backend = next(b for b in config.backends if b.name == name)
    from hostdeck.backends.registry import adapter_class

    probe = adapter_class(kind)(backend, secrets=Secrets(isolated=True))
    fields = tuple(probe.secret_fields)
    values = _read_secrets(name, fields)
    config.backends = [backend]
    workspace = Workspace(config, Secrets(overlay={(name, f): v for f, v in values.items()}, isolated=True))
    try:
        report = await workspace.adapter(name).explicit_test()
    finally:
        await workspace.aclose()
        workspace.close_store()
    if not report.ok:
        warn(f"{name}: the connection test failed, so nothing was saved: {report.error}")
        if args.json:
            emit_json({"saved": False, "test": report.as_dict()})
        return 1
    keyring = Secrets()
    stored: list[str] = []
    try:
        for field, value in values.items():
            keyring.set(name, field, value)
            stored.append(field)
    except SecretError:
        for field in stored:  # all or nothing
            keyring.delete(name, field)
        raise
    try:
        write_text(path, text)
    except BaseException:
        for field in stored:
            keyring.delete(name, field)
        raise
    warn(f"{name}: connected ({report.version or kind}); added to {path}"
         + (f", {', '.join(fields)} stored in the keyring." if fields else "."))
    if args.json:
        emit_json({"saved": True, "config": str(path), "test": report.as_dict()})
    return 0


def backend_list(args: argparse.Namespace) -> int:
    from hostdeck.backends.config import load_config
    from hostdeck.backends.registry import adapter_class
    from hostdeck.backends.secrets import Secrets

    config = load_config(getattr(args, "config", None))
    secrets = Secrets()
    rows = []
    for b in config.backends:
        adapter = adapter_class(b.kind)(b, secrets=secrets)
        rows.append({"name": b.name, "kind": b.kind, "url": b.url or b.option("host"),
                     "credential_source": adapter.credential_source()})
    if args.json:
        emit_json(rows)
    else:
        table(["name", "kind", "url", "credentials"], [[r["name"], r["kind"], r["url"] or "—", r["credential_source"]]
                                                        for r in rows])
    return 0


def backend_remove(args: argparse.Namespace) -> int:
    from hostdeck.backends.config import load_config
    from hostdeck.backends.config_file import remove_backend
    from hostdeck.backends.registry import adapter_class
    from hostdeck.backends.secrets import Secrets

    path = _config_file(args)
    config = load_config(getattr(args, "config", None))
    backend = next((b for b in config.backends if b.name == args.name), None)
    if backend is None:
        raise ConfigError(f"no backend named {args.name!r} is configured.", path=str(path),
                          fix="see `hostdeck backend list` for the names.")
    adapter = adapter_class(backend.kind)(backend, secrets=Secrets())
    fields = [*adapter.secret_fields, *getattr(adapter, "optional_secret_fields", ())]
    if not args.yes:
        warn(f"this removes backend {args.name} ({backend.kind}) from {path} and its secrets "
             f"({', '.join(fields) or 'none'}) from the keyring. Run again with --yes to do it.")
        return 2
    remove_backend(path, args.name)
    deleted = [f for f in fields if Secrets().delete(args.name, f)]
    warn(f"removed {args.name} from {path}" + (f"; deleted {', '.join(deleted)} from the keyring." if deleted else "."))
    if args.json:
        emit_json({"removed": args.name, "secrets_deleted": deleted})
    return 0
