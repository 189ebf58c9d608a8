"""`hostdeck backend add|list|remove`: connect a backend without editing TOML by hand.

`add` tests the connection with the credentials given before anything is saved; only a backend that answered is
written to the config (comments and order kept, 0600) and its secrets to the keyring. A rejected credential, an
unreachable URL or a keyring that cannot store the secret leave the config and the keyring as they were."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from hostdeck.backends.errors import ConfigError
from hostdeck.backends.errors import SecretError
from hostdeck.backends.onboarding import option_value

from .output import emit_json
from .output import table
from .output import warn

if TYPE_CHECKING:
    from hostdeck.backends.store.last_tests import LastTest


def _options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.url:
        options["url"] = args.url
    for item in args.set or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r} is not KEY=VALUE.", fix='write it as --set key=value, e.g. --set port=22.')
        options[key.strip()] = option_value(text.strip())
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
    from hostdeck.backends import onboarding

    path = _config_file(args)
    d = onboarding.draft(path, args.name, args.kind, _options(args))  # checked as the start-up would load it
    values = _read_secrets(d.name, d.secret_fields)
    report = await onboarding.test_draft(d, values)
    if not report.ok:
        warn(f"{d.name}: the connection test failed, so nothing was saved: {report.error}")
        if args.json:
            emit_json({"saved": False, "test": report.as_dict()})
        return 1
    onboarding.save(d, values)
    warn(f"{d.name}: connected ({report.version or args.kind}); added to {path}"
         + (f", {', '.join(d.secret_fields)} stored in the keyring." if d.secret_fields else "."))
    if args.json:
        emit_json({"saved": True, "config": str(path), "test": report.as_dict()})
    return 0


def _last_tests(config, secrets) -> dict:
    """From the configured database (a team's PostgreSQL store); nothing when it cannot be opened now."""
    from hostdeck.backends.errors import ConfigError
    from hostdeck.backends.store import Store
    from hostdeck.backends.store.last_tests import last_tests_with_engine

    try:
        store = Store(config.general.database, secrets=secrets)
    except ConfigError:
        return {}
    try:
        return last_tests_with_engine(store.engine)
    finally:
        store.close()


def backend_list(args: argparse.Namespace) -> int:
    from hostdeck.backends.config import load_config
    from hostdeck.backends.paths import database_path
    from hostdeck.backends.registry import adapter_class
    from hostdeck.backends.secrets import Secrets
    from hostdeck.backends.store.last_tests import last_tests

    config = load_config(getattr(args, "config", None))
    secrets = Secrets()
    tests = _last_tests(config, secrets) if config.general.database else last_tests(database_path())
    rows = []
    for b in config.backends:
        adapter = adapter_class(b.kind)(b, secrets=secrets)
        last = tests.get(b.name)
        rows.append({"name": b.name, "kind": b.kind, "url": b.url or b.option("host"),
                     "credential_source": adapter.credential_source(),
                     "last_test": last.result if last else "never",
                     "last_test_at": last.at.isoformat(timespec="seconds") if last else None})
    if args.json:
        emit_json(rows)
    else:
        table(["name", "kind", "url", "credentials", "last test"],
              [[r["name"], r["kind"], r["url"] or "—", r["credential_source"], _last_test_cell(tests.get(b.name))]
               for b, r in zip(config.backends, rows)])
    return 0


def _last_test_cell(last: LastTest | None) -> str:
    return f"{last.at:%Y-%m-%d %H:%M} UTC {last.result}" if last else "never"


def backend_remove(args: argparse.Namespace) -> int:
    from hostdeck.backends import onboarding

    path = _config_file(args)
    backend = onboarding.configured(path, args.name)
    if not args.yes:
        fields = onboarding.secret_fields_of(backend)
        warn(f"this removes backend {args.name} ({backend.kind}) from {path} and its secrets "
             f"({', '.join(fields) or 'none'}) from the keyring. Run again with --yes to do it.")
        return 2
    deleted = onboarding.remove(path, args.name)
    warn(f"removed {args.name} from {path}" + (f"; deleted {', '.join(deleted)} from the keyring." if deleted else "."))
    if args.json:
        emit_json({"removed": args.name, "secrets_deleted": deleted})
    return 0
