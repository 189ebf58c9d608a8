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
from hostdeck.backends.kinds import kind_named
from hostdeck.backends.onboarding import option_value

from .output import emit_json
from .output import table
from .output import warn

if TYPE_CHECKING:
    from hostdeck.backends.onboarding import Draft
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


def _read_secrets(name: str, fields: tuple[str, ...], optional: frozenset[str]) -> dict[str, str]:
    """One value per field: a line each from standard input when it is not a terminal, else a hidden prompt. An
    optional field may be left empty (an empty line, or Enter)."""
    values: dict[str, str] = {}
    for field in fields:
        if sys.stdin.isatty():
            import getpass

            hint = ", optional: Enter for none" if field in optional else ""
            value = getpass.getpass(f"{field} for {name} (input hidden{hint}): ")
        else:
            value = sys.stdin.readline().rstrip("\r\n")
        if value:
            values[field] = value
        elif field not in optional:
            raise SecretError(f"no {field} was given for {name}. Fix: pass it on standard input (one line per field: "
                              f"{', '.join(fields)}), or run the command in a terminal to be asked.")
    return values


async def backend_add(args: argparse.Namespace) -> int:
    from hostdeck.backends import onboarding

    path = _config_file(args)
    options = _options(args)
    if getattr(args, "trust_host_key", None):
        from hostdeck.backends.cloudpanel.hostkeys import normalise_fingerprint

        options["host_key_fingerprint"] = normalise_fingerprint(args.trust_host_key)
    d = onboarding.draft(path, args.name, args.kind, options,  # checked as the start-up would load it
                         secret_store=getattr(args, "secret_store", None))
    from_env = onboarding.from_environment(d)
    asked = tuple(f for f in d.secret_fields if f not in from_env)
    optional = frozenset(s.key for s in kind_named(args.kind).secrets if not s.required)
    onboarding.check_store(d, [f for f in asked if f not in optional])  # no keyring, no opt-in: say so before asking
    values = _read_secrets(d.name, asked, optional)
    onboarding.check_store(d, values)
    trusted = await _host_key_trusted(d, values | from_env)
    if trusted is None:
        return 2
    d = trusted
    report = await onboarding.test_draft(d, values | from_env,
                                         again=f"run `hostdeck backend add {d.name} --kind {args.kind} ...` again")
    if not report.ok:
        warn(f"{d.name}: the connection test failed, so nothing was saved: {report.error}")
        if args.json:
            emit_json({"saved": False, "test": report.as_dict()})
        return 1
    onboarding.save(d, values)
    kept = [f"{', '.join(values)} stored in {d.store.store_name}"] if values else []
    kept += [f"{', '.join(from_env)} read from the environment (stored nowhere)"] if from_env else []
    warn(f"{d.name}: connected ({report.version or args.kind}); added to {path}"
         + (f"; {'; '.join(kept)}." if kept else "."))
    if args.json:
        emit_json({"saved": True, "config": str(path), "test": report.as_dict()})
    return 0


async def _host_key_trusted(d: Draft, values: dict[str, str]) -> Draft | None:
    """For an SSH backend: the draft once its server's host key is trusted (already, by --trust-host-key, or by a yes
    at the prompt), or None after saying why it is not. Other kinds pass through."""
    from hostdeck.backends import onboarding

    key = await onboarding.presented_host_key(d, values)
    if key is None or key.state in ("trusted", "pinned"):
        return d
    shown = f"{key.host}:{key.port} presents the SSH host key {key.key_type} {key.fingerprint}"
    if key.state == "changed":
        warn(f"{d.name}: {shown}, but {', '.join(key.expected)} is trusted for it; nothing was saved. Only if the "
             "server's administrator confirms the new key, pass --trust-host-key with it.")
        return None
    check = "Compare it with the server's own (`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on the server)"
    if not sys.stdin.isatty():
        warn(f"{d.name}: {shown}, which hostdeck does not trust yet; nothing was saved. {check}, then run again "
             f"with --trust-host-key {key.fingerprint}.")
        return None
    sys.stderr.write(f"{shown}. {check}. Trust it? [y/N] ")  # stdout stays for --json
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        warn(f"{d.name}: host key not trusted; nothing was saved.")
        return None
    return onboarding.trusting(d, key)


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
    from hostdeck.backends.secrets import secrets_for
    from hostdeck.backends.store.last_tests import last_tests

    config = load_config(getattr(args, "config", None))
    secrets = secrets_for(config)
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


def _store_name(path: Path) -> str:
    from hostdeck.backends.config import load_config
    from hostdeck.backends.secrets import secrets_for

    return secrets_for(load_config(str(path))).store_name


def _last_test_cell(last: LastTest | None) -> str:
    return f"{last.at:%Y-%m-%d %H:%M} UTC {last.result}" if last else "never"


def backend_remove(args: argparse.Namespace) -> int:
    from hostdeck.backends import onboarding

    path = _config_file(args)
    backend = onboarding.configured(path, args.name)
    if not args.yes:
        fields = onboarding.secret_fields_of(backend)
        warn(f"this removes backend {args.name} ({backend.kind}) from {path} and its secrets "
             f"({', '.join(fields) or 'none'}) from {_store_name(path)}. Run again with --yes to do it.")
        return 2
    deleted = onboarding.remove(path, args.name)
    warn(f"removed {args.name} from {path}"
         + (f"; deleted {', '.join(deleted)} from {_store_name(path)}." if deleted else "."))
    if args.json:
        emit_json({"removed": args.name, "secrets_deleted": deleted})
    return 0
