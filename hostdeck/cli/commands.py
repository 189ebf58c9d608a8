"""The sub-commands. Each takes the parsed arguments and returns an exit code (or a coroutine of one)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from hostdeck.backends import __version__
from hostdeck.backends.actions import CLI_COMMANDS
from hostdeck.backends.actions import cli_action
from hostdeck.backends.contract import Adapter
from hostdeck.backends.contract import Capability
from hostdeck.backends.contract import PowerAction
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.models import SecretResult
from hostdeck.backends.models import Server
from hostdeck.backends.models import ServerSpec
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.sync.tally import count_by_result
from hostdeck.backends.sync.tally import counts_line

from .backend_commands import backend_add  # noqa: F401 - dispatched by name
from .backend_commands import backend_list  # noqa: F401 - dispatched by name
from .backend_commands import backend_remove  # noqa: F401 - dispatched by name
from .bulk import only_plan
from .bulk import read_only_on
from .bulk import refuse_read_only
from .bulk import show_plan
from .confirm import action_doc
from .confirm import billing_link
from .confirm import read_target
from .confirm import refuse
from .confirm import refuse_when_read_only
from .confirm import require_capability
from .confirm import target
from .context import CommandContext
from .context import no_backends_message
from .day2_commands import images  # noqa: F401 - dispatched by name
from .day2_commands import server_backups  # noqa: F401 - dispatched by name
from .day2_commands import server_change_type  # noqa: F401 - dispatched by name
from .day2_commands import server_image  # noqa: F401 - dispatched by name
from .day2_commands import server_iso  # noqa: F401 - dispatched by name
from .day2_commands import server_label  # noqa: F401 - dispatched by name
from .day2_commands import server_metrics  # noqa: F401 - dispatched by name
from .day2_commands import server_protect  # noqa: F401 - dispatched by name
from .day2_commands import server_rdns  # noqa: F401 - dispatched by name
from .day2_commands import server_rebuild  # noqa: F401 - dispatched by name
from .day2_commands import server_rescue  # noqa: F401 - dispatched by name
from .db_command import db_copy  # noqa: F401 - dispatched by name
from .db_command import db_status  # noqa: F401 - dispatched by name
from .db_command import db_upgrade  # noqa: F401 - dispatched by name
from .output import Progress
from .output import emit_json
from .output import plain
from .output import say
from .output import table
from .output import warn
from .usage import UsageError


def _need_yes(args: argparse.Namespace, what: str) -> int | None:
    if read_only_on(args):  # refused outright: asking for --yes first would send the person the wrong way
        from hostdeck.backends.errors import ReadOnlyError

        raise ReadOnlyError(f"read-only mode is on: {what} refused; nothing was sent or written.", operation=what)
    if not getattr(args, "yes", False):
        warn(f"{what} is disruptive: add --yes to confirm. Nothing was done.")
        if getattr(args, "json", False):
            emit_json({"error": {"category": "confirmation", "message": f"{what} needs --yes"}})
        return 2
    return None


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


# info ---------------------------------------------------------------------------
def info(args: argparse.Namespace) -> int:
    import platform

    from hostdeck.backends import paths
    from hostdeck.backends.errors import ConfigError
    from hostdeck.backends.store.urls import mask_text
    from hostdeck.backends.store.urls import masked

    with CommandContext(args, check_store=False) as ws:  # info still answers, naming the store's problem
        try:
            ws.check_store()
            store = "ok"
        except ConfigError as exc:
            store = mask_text(str(exc))
        doc: dict[str, Any] = {
            "hostdeck": __version__,
            "python": platform.python_version(),
            "versions": {d: _version(d) for d in ("textual", "httpx", "paramiko", "sqlmodel", "alembic", "psycopg", "keyring",
                                                    "platformdirs")},
            "config_path": str(ws.config.path) if ws.config.path else None,
            "config_default_path": str(paths.config_path()[0]),
            "data_dir": str(ws.data_dir or paths.data_dir()),
            "log_dir": str(ws.log_dir),
            "database": masked(ws.config.general.database or str((ws.data_dir or paths.data_dir()) / "hostdeck.db")),
            "store": store,
            "keyring": ws.secrets.keyring_name(),
            "read_only": ws.read_only,
            "demo": bool(args.demo),
            "backends": [{"name": a.name, "kind": a.kind, "url": getattr(a, "url", a.config.url),
                          "credential_source": a.credential_source(),
                          "capabilities": sorted(c.value for c in a.capabilities)} for a in ws.adapters.values()],
        }
    if args.json:
        emit_json(doc)
        return 0 if store == "ok" else 1
    for key in ("hostdeck", "python", "config_path", "data_dir", "log_dir", "database", "store", "keyring", "read_only"):
        say(f"{key:12} {doc[key] if doc[key] is not None else '(none: ' + doc['config_default_path'] + ' not found)'}")
    say("versions     " + ", ".join(f"{k} {v}" for k, v in doc["versions"].items()))
    if doc["backends"]:
        table(["backend", "kind", "url", "credentials"], [[b["name"], b["kind"], b["url"], b["credential_source"]] for b in doc["backends"]])
    else:
        say("no backends configured: run `hostdeck sim` for a config that points at the simulators, or see the README.")
    return 0 if store == "ok" else 1


# secrets ------------------------------------------------------------------------
def _secret_store(args: argparse.Namespace, *, configured: str | None = None) -> Secrets:
    """The keyring, or the secrets file when the config opted in to it. `configured`: a backend name that must be in
    the config (or the store's own `database`), else a ConfigError naming the configured ones and `backend add`."""
    from hostdeck.backends.config import load_config
    from hostdeck.backends.errors import ConfigError
    from hostdeck.backends.secrets import secrets_for
    from hostdeck.backends.store.urls import SECRET_BACKEND

    config = load_config(getattr(args, "config", None))
    names = [b.name for b in config.backends]
    if configured is not None and configured not in (*names, SECRET_BACKEND):
        known = f"the configured backends are {', '.join(names)}" if names else "no backend is configured"
        raise ConfigError(f"no backend named {configured!r} is configured ({known}); nothing was stored.",
                          path=str(config.path) if config.path else None,
                          fix=("use one of those names, or " if names else "")
                          + f"add the backend with `hostdeck backend add {configured} --kind KIND`, which tests its "
                            "secrets and stores them.")
    return secrets_for(config)


def secret_set(args: argparse.Namespace) -> int:
    secrets = _secret_store(args, configured=args.backend)   # before the value is asked for
    if sys.stdin.isatty():
        import getpass

        value = getpass.getpass(f"{args.field} for {args.backend} (input hidden): ")
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    secrets.set(args.backend, args.field, value)
    warn(f"stored {args.backend}:{args.field} in {secrets.store_name}.")
    return 0


def secret_list(args: argparse.Namespace) -> int:
    with CommandContext(args) as ws:
        rows = [{"backend": a.name, "field": f, "source": ws.secrets.source(a.name, f)}
                for a in ws.adapters.values() for f in a.secret_fields]
    if args.json:
        emit_json(rows)
    else:
        table(["backend", "field", "source"], [[r["backend"], r["field"], r["source"]] for r in rows])
    return 0


def secret_delete(args: argparse.Namespace) -> int:
    secrets = _secret_store(args)
    if secrets.delete(args.backend, args.field):
        warn(f"deleted {args.backend}:{args.field} from {secrets.store_name}.")
        return 0
    warn(f"{args.backend}:{args.field} was not in {secrets.store_name}.")
    return 1


# test ---------------------------------------------------------------------------
async def test(args: argparse.Namespace) -> int:
    with CommandContext(args) as ws:
        names = args.backends or list(ws.adapters)
        adapters = [ws.adapter(n) for n in names]
        try:
            # Named on the command line: an explicit test, which may send a credential rejected before, once.
            reports = await asyncio.gather(*((a.explicit_test() if args.backends else a.test_connection())
                                             for a in adapters))
        finally:
            await ws.aclose()
    if args.json:
        emit_json([r.as_dict() for r in reports])
    else:
        table(["backend", "kind", "ok", "latency", "version", "credentials", "error"],
              [[r.backend, r.kind, ("ok" if r.ok else "FAIL") + (" INSECURE TLS" if r.details.get("insecure") else ""), f"{r.latency_ms:.0f} ms" if r.latency_ms is not None else "",
                r.version or "", r.credential_source, r.error or ""] for r in reports])
        for r in reports:
            if r.details.get("insecure"):
                warn(f"{r.backend}: INSECURE TLS: certificates are not verified (insecure_tls = true); anyone on the "
                     "network path can read the token. Pin the certificate with fingerprint = \"…\" or ca_bundle.")
    if not reports:
        warn(no_backends_message())
        return 1
    return 0 if all(r.ok for r in reports) else 1


# servers ------------------------------------------------------------------------
async def servers(args: argparse.Namespace) -> int:
    with CommandContext(args) as ws:
        adapters = ws.listing_adapters(args.backend)
        progress = Progress("listing servers")
        try:
            results = await asyncio.gather(*(a.list_servers(progress=progress.pages) for a in adapters), return_exceptions=True)
        finally:
            progress.done()
            await ws.aclose()
        rows, failed = [], []
        for adapter, result in zip(adapters, results):
            if isinstance(result, BackendError):
                failed.append(result)
                warn(f"{adapter.name}: {result.message} (its servers are not in the list)")
            elif isinstance(result, BaseException):
                raise result
            else:
                rows.extend(result)
        # One summary per server, for the output and the stored inventory alike; the output goes first, so a script
        # reading the pipe has it while the list is kept for `servers --cached`.
        summaries = {id(s): s.summary() for s in rows}
        if args.json:
            emit_json(list(summaries.values()))
        else:
            table(["backend", "id", "name", "status", "ipv4", "ipv6", "plan", "location"],
                  [[s.backend, s.id, s.name, s.status.value, s.ipv4, s.ipv6, s.plan, s.location] for s in rows])
        sys.stdout.flush()
        from .cached import remember_listed

        remember_listed(ws, adapters, results, summaries)
    if not adapters:
        warn(no_backends_message())
    return 1 if failed or not adapters else 0



async def _refresh_customer_index(ws) -> None:
    """The customer index follows the servers and the links (rebuilt from the store when it exists; no network)."""
    from hostdeck.backends.customers.index import refresh_quietly

    try:
        problem = await refresh_quietly(ws)
    except Exception as exc:  # noqa: BLE001 - the command itself succeeded; a cache left behind is a note
        problem = f"{type(exc).__name__}: {exc}"
    if problem:
        warn(f"the customer index was not updated ({problem}); `hostdeck customer` rebuilds it.")


async def _server_action(args: argparse.Namespace, work, check=None, *, names_target: bool = False) -> int:
    """A `hostdeck server` action as the catalogue declares it: refused in read-only mode, then --yes when it is
    disruptive, then `check` (the arguments), then `work(adapter, server)`. `names_target`: an action that loses data
    names the server, its backend and its customer, when it runs and when it is refused (reading only)."""
    action = cli_action(args.server_command, getattr(args, "action", None))
    what = f"power {args.action}" if action.power else next(c.refused_as for c in CLI_COMMANDS if c.name == action.cli)
    if names_target and action.dangerous and not getattr(args, "read_only", False) and not getattr(args, "yes", False):
        if check is not None:
            check()
        return await _refuse_naming_target(args, what, action.help)
    if action.dangerous and (refused := _need_yes(args, what)):
        return refused
    if check is not None:
        check()
    return await _with_server(args, work, mutating=what if action.mutating else None,
                              named=what if names_target else None)


async def _refuse_naming_target(args: argparse.Namespace, what: str, detail: str) -> int:
    with CommandContext(args) as ws:
        refuse_when_read_only(ws, what)
        adapter = ws.adapter(args.backend)
        try:
            _server, whom = await read_target(ws, adapter, args.server)
        finally:
            await ws.aclose()
    return refuse(args, what, whom, detail[0].upper() + detail[1:] + ".")


async def _with_server(args: argparse.Namespace, work, *, mutating: str | None = None, named: str | None = None) -> int:
    """`named`: the action's words, said with the server, its backend and its customer before `work` runs."""
    with CommandContext(args) as ws:
        if mutating:
            refuse_when_read_only(ws, mutating)
        adapter = ws.adapter(args.backend)
        try:
            server = await adapter.get_server(args.server)
            if named:
                warn(f"{named}: {await target(ws, adapter, server)}")
            return await work(adapter, server)
        finally:
            await ws.aclose()


async def server_show(args: argparse.Namespace) -> int:
    with CommandContext(args) as ws:
        adapter = ws.adapter(args.backend)
        try:
            server = await adapter.get_server(args.server)
            server.billing_link = await billing_link(ws, server)
        finally:
            await ws.aclose()
    if args.json:
        emit_json({**server.summary(), "raw": server.raw})
    else:
        for key, value in server.summary().items():
            say(f"{key:17} {plain(value)}")
    return 0


async def server_power(args: argparse.Namespace) -> int:
    async def work(adapter, server):
        progress = Progress(f"{args.action} {server.name}")
        try:
            result = await adapter.power(server.id, PowerAction(args.action), progress=progress.action)
        finally:
            progress.done()
        if args.json:
            emit_json(action_doc(result))
        else:
            say(f"{server.name}: {args.action} {result.status}" + (f" — {result.message}" if result.message else ""))
        return 0 if result.status == "success" else 1

    return await _server_action(args, work)


async def server_suspend(args: argparse.Namespace) -> int:
    return await _suspend(args, True)


async def server_unsuspend(args: argparse.Namespace) -> int:
    return await _suspend(args, False)


async def _suspend(args: argparse.Namespace, suspend: bool) -> int:
    async def work(adapter, server):
        result = await (adapter.suspend(server.id) if suspend else adapter.unsuspend(server.id))
        emit_json(action_doc(result)) if args.json else say(f"{server.name}: {result.command} {result.status}")
        return 0

    return await _server_action(args, work)


def _show_secret(args: argparse.Namespace, server: Server, result: SecretResult, doc: dict[str, Any],
                 lines: list[str], notice: str) -> int:
    """A secret the backend made for this server (a password, a console URL): printed once, never stored."""
    if args.json:
        emit_json({"backend": result.backend, "server": server.name, **doc})
        return 0
    warn(notice)
    if result.note:
        warn(result.note)
    for line in lines:
        say(line)
    return 0


async def server_reset_password(args: argparse.Namespace) -> int:
    async def work(adapter: Adapter, server: Server) -> int:
        result = await adapter.reset_password(server.id)
        return _show_secret(args, server, result, {"server_id": server.id, "password": result.secret}, [result.secret],
                            "the new root password is shown once; it is not stored anywhere.")

    return await _server_action(args, work)


async def server_console(args: argparse.Namespace) -> int:
    async def work(adapter: Adapter, server: Server) -> int:
        result = await adapter.console(server.id)
        return _show_secret(args, server, result, {"url": result.url, "password": result.secret},
                            [f"url      {result.url}", f"password {result.secret}"],
                            "the console URL is valid for one minute; both values are shown once.")

    return await _server_action(args, work)


# Convoy's /authenticate is guest-only (ConvoyPanel/panel RouteServiceProvider: routes/auth.php under `guest`)
SSO_BROWSER_NOTE = ("it works only in a browser without a Convoy session (a private window): a browser already logged "
                    "in to Convoy stays logged in as before and ignores the link.")


async def server_sso(args: argparse.Namespace) -> int:
    async def work(adapter, server):
        result = await adapter.sso_url(server)  # made now: the token lives 15 seconds
        opened = False
        if not args.json and not args.print_only:
            import webbrowser

            try:
                opened = webbrowser.open(result.url)
            except webbrowser.Error:
                opened = False
        if args.json:
            emit_json({"backend": result.backend, "server": server.name, "url": result.url})
        elif opened:
            warn(f"opened the panel for {server.name} in the browser (the link is valid 15 s).")
            warn(SSO_BROWSER_NOTE)
        else:
            warn("the link is valid 15 seconds:")
            warn(SSO_BROWSER_NOTE)
            say(result.url)
        return 0

    return await _server_action(args, work)


async def server_create(args: argparse.Namespace) -> int:
    labels = {}
    for item in args.labels:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"label {item!r} is not KEY=VALUE.", operation="create server")
        labels[key] = value
    user_data = None
    if args.user_data_file:
        try:
            with open(args.user_data_file, encoding="utf-8") as fh:
                user_data = fh.read()
        except OSError as exc:
            raise ValidationError(f"cannot read --user-data-file ({exc.strerror}).", operation="create server") from None
    with CommandContext(args) as ws:
        adapter = ws.adapter(args.backend)
        progress = Progress(f"creating {args.name}")
        try:
            if adapter.kind == "convoy":
                spec = await _convoy_spec(adapter, args)
            else:
                if not (args.plan and args.image):
                    raise UsageError("--type and --image are required for this backend.", operation="create server")
                spec = ServerSpec(name=args.name, plan=args.plan, image=args.image, location=args.location,
                                  ssh_keys=args.ssh_keys, user_data=user_data, labels=labels, backups=args.backups)
            result = await adapter.create_server(spec, progress=progress.action)
        finally:
            progress.done()
            await ws.aclose()
    if args.json:
        emit_json({**result.server.summary(), "root_password": result.root_password})
    else:
        s = result.server
        say(f"created {s.name} (id {s.id}) {s.status.value} {s.ipv4 or ''} {s.ipv6 or ''}".rstrip())
        if result.root_password:
            warn("root password (shown once, not stored):")
            say(result.root_password)
    return 0


async def _convoy_spec(adapter, args: argparse.Namespace):
    """The Convoy create flags, with node, template and user named by id or by name/email (looked up first)."""
    from hostdeck.backends.convoy.spec import ConvoyServerSpec
    from hostdeck.backends.models import CatalogKind

    missing = [flag for flag, value in (("--cpu", args.cpu), ("--memory", args.memory), ("--disk", args.disk),
                                        ("--node", args.node), ("--template", args.template), ("--user", args.user))
               if value is None]
    if missing:
        raise UsageError(f"a Convoy server needs {', '.join(missing)}.", operation="create server")
    catalog = await adapter.catalog()
    node = next((n for n in catalog.of_kind(CatalogKind.NODE) if args.node in (n.id, n.name)), None)
    if node is None:
        raise ValidationError(f"no node {args.node!r}; `hostdeck catalog {adapter.name}` lists them.", operation="create server")
    template = next((t for t in catalog.of_kind(CatalogKind.TEMPLATE) if args.template in (t.id, t.name)
                     and str(t.attrs.get("node_id")) == node.id), None)
    if template is None:
        raise ValidationError(f"no template {args.template!r} on node {node.name}; `hostdeck catalog {adapter.name}` "
                              "lists them.", operation="create server")
    if args.user.isdigit():
        user_id = int(args.user)
    else:
        user = await adapter.find_user(args.user)
        if user is None:
            raise ValidationError(f"no panel user with email {args.user}.", operation="create server")
        user_id = user.id
    return ConvoyServerSpec(name=args.name, hostname=args.hostname or args.name, user_id=user_id, node_id=int(node.id),
                            template_uuid=template.id, cpu=args.cpu, memory_mb=args.memory, disk_gb=args.disk,
                            bandwidth_gb=args.bandwidth)


async def server_resize(args: argparse.Namespace) -> int:
    def check() -> None:
        if all(v is None for v in (args.cpu, args.memory, args.disk, args.bandwidth)):
            raise UsageError("give at least one of --cpu, --memory, --disk, --bandwidth.", operation="resize")

    async def work(adapter, server):
        require_capability(adapter, Capability.RESIZE, "resize")
        sizes = {k: v for k, v in (("cpu", args.cpu), ("memory_mb", args.memory), ("disk_gb", args.disk),
                                   ("bandwidth_gb", args.bandwidth)) if v is not None}
        resized = await adapter.resize(server.id, **sizes)
        emit_json(resized.summary()) if args.json else say(f"{resized.name}: {resized.plan}")
        return 0

    return await _server_action(args, work, check)


async def server_rename(args: argparse.Namespace) -> int:
    if args.name is None and args.hostname is None:
        raise UsageError("give --name and/or --hostname.", operation="rename")

    async def work(adapter, server):
        require_capability(adapter, Capability.RENAME, "rename")
        renamed = await adapter.rename(server.id, name=args.name, hostname=args.hostname)
        emit_json(renamed.summary()) if args.json else say(f"{server.name} is now {renamed.name}")
        return 0

    return await _server_action(args, work)


async def server_delete(args: argparse.Namespace) -> int:
    async def work(adapter, server):
        result = await adapter.delete_server(server.id)
        emit_json(action_doc(result)) if args.json else say(f"deleted {server.name} (id {server.id})")
        return 0

    return await _server_action(args, work, names_target=True)


# catalog ------------------------------------------------------------------------
async def catalog(args: argparse.Namespace) -> int:
    words = list(args.words)
    refresh = bool(words) and words[0] == "refresh"
    if refresh:
        words = words[1:]
    with CommandContext(args) as ws:
        names = words or [n for n, a in ws.adapters.items() if "catalog" in {c.value for c in a.capabilities}]
        adapters = [ws.adapter(n) for n in names]
        try:
            catalogs = await asyncio.gather(*(a.catalog(refresh=refresh) for a in adapters))
        finally:
            await ws.aclose()
    failed = refresh and any(c.source.value != "live" for c in catalogs)
    if args.json:
        emit_json([{"backend": c.backend, "source": c.source.value, "fetched_at": c.fetched_at,
                    "age_seconds": c.age_seconds(), "note": c.note, "items": [i.as_dict() for i in c.items]} for c in catalogs])
    else:
        from .catalog_tables import print_catalog_items

        for c in catalogs:
            if c is not catalogs[0]:
                say()
            age = c.age_seconds()
            say(f"{c.backend}: {len(c.items)} items, source {c.source.value}"
                  + (f", {age / 60:.0f} min old" if age is not None else "") + (f" ({c.note})" if c.note else ""))
            print_catalog_items(c.items)
    for c in catalogs:
        if c.note:
            warn(f"{c.backend}: {c.note}")
    return 1 if failed else 0


# sim ----------------------------------------------------------------------------
def sim(args: argparse.Namespace) -> int:
    import time

    from hostdeck.backends.demo import start_demo

    env = start_demo(servers=args.servers, latency_ms=args.latency)
    try:
        say(env.config_toml(), multiline=True)
        warn("simulators are running; credentials for the config above:")
        for hint in env.credential_hints():
            sys.stderr.write(f"  {hint}\n")
        for sim_ in env.sims:
            where = getattr(sim_, "base_url", None) or "ssh://{}:{}".format(*sim_.address)
            warn(f"{type(sim_).__name__} on {where}")
        warn("press ctrl+c to stop.")
        sys.stdout.flush()
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        env.stop()


# sync ---------------------------------------------------------------------------
def _report_head(args: argparse.Namespace, report: Any, title: str) -> bool:
    """A sync report: the JSON document, or its counts line (True: the caller prints the lines below it)."""
    if args.json:
        emit_json(report.as_dict())
        return False
    counts = counts_line(report.counts())
    say(f"{title}{' (dry run)' if report.dry_run else ''}: {counts} in {report.seconds:.1f} s")
    return True


async def sync_clients(args: argparse.Namespace) -> int:
    from hostdeck.backends.sync.setup import client_sync

    mode = args.mode or "push"
    writes = mode in ("push", "update", "retry-errors")
    if writes:
        refuse_read_only(args, f"sync clients --{mode}")
    plan = writes and only_plan(args)
    with CommandContext(args) as ws:
        engine = client_sync(ws, concurrency=args.concurrency)
        progress = Progress(f"sync clients ({mode})")
        report_progress = progress.count
        try:
            if mode in ("push", "retry-errors"):
                report = await engine.push(dry_run=plan, only_errors=mode == "retry-errors", progress=report_progress)
            elif mode == "update":
                report = await engine.update(dry_run=plan, progress=report_progress)
            elif mode == "pull":
                report = await engine.pull()
            else:
                report = await engine.check()
        finally:
            progress.done()
            await ws.aclose()
    if plan:
        return show_plan(args, f"sync clients --{mode}", report.as_dict(), report.counts(),
                         ["client", "email", "would", "panel user"],
                         [[o.client_id, o.email, o.result.removeprefix("would "), o.user_id or "new"]
                          for o in report.outcomes if o.result != "unchanged"])
    if _report_head(args, report, report.operation):
        for o in report.outcomes:
            if o.result in ("error", "drifted"):
                detail = o.error or ", ".join(f"{k}: {v[0]!r} vs {v[1]!r}" for k, v in (o.drift or {}).items())
                say(f"  client {o.client_id} {o.email}: {o.result}: {detail}")
    if ws.read_only and mode in ("pull", "check"):
        warn("read-only mode: this report was not written to the sync map.")
    return 1 if report.failed else 0


def sync_status(args: argparse.Namespace) -> int:
    from hostdeck.backends.sync.syncmap import SyncMap

    with CommandContext(args) as ws:
        stats = SyncMap(ws.store).stats()
    if args.json:
        emit_json(stats)
    else:
        rows = [[entity, status, n] for entity, by in sorted(stats.items()) for status, n in sorted(by.items())]
        table(["entity", "status", "links"], rows) if rows else say("no links yet: run `hostdeck sync clients`.")
    return 0


def sync_log(args: argparse.Namespace) -> int:
    from hostdeck.backends.sync.syncmap import SyncMap

    with CommandContext(args) as ws:
        rows = SyncMap(ws.store).log(limit=args.limit, left_id=args.client)
    if args.json:
        emit_json(rows)
    else:
        table(["time", "op", "status", "left", "right", "ms", "error"],
              [[r["ts"][11:19], r["operation"], r["status"], r["left"], r["right"], r["duration_ms"], r["error"] or ""]
               for r in rows])
    return 0


async def sync_unlink(args: argparse.Namespace) -> int:
    from hostdeck.backends.sync.setup import client_sync

    with CommandContext(args) as ws:
        await client_sync(ws).unlink(args.client)
        await ws.aclose()
    emit_json({"unlinked": args.client}) if args.json else say(f"client {args.client} unlinked (nothing else changed).")
    return 0


async def sync_link(args: argparse.Namespace) -> int:
    from hostdeck.backends.sync.setup import client_sync

    with CommandContext(args) as ws:
        try:
            outcome = await client_sync(ws).link(args.client, args.user)
        finally:
            await ws.aclose()
    emit_json(outcome.as_dict()) if args.json else say(f"client {outcome.client_id} linked to user {outcome.user_id}: {outcome.result}")
    return 0


async def sync_services(args: argparse.Namespace) -> int:
    from hostdeck.backends.sync.billing_setup import service_links

    if args.dry_run and not args.accept_all:
        raise UsageError("--dry-run goes with --accept-all (the other actions change one service).",
                              operation="sync services")
    doc: dict[str, Any]
    if args.accept_all:
        refuse_read_only(args, "accept-all")
        if only_plan(args):
            return await _accept_all_plan(args)
    with CommandContext(args) as ws:
        links = service_links(ws)
        try:
            if args.accept or args.accept_all:
                outcomes = await links.accept("all-confident" if args.accept_all else args.accept)
                doc = {"outcomes": [o.as_dict() for o in outcomes]}
            elif args.reject:
                if len(args.reject) not in (1, 3):
                    raise UsageError("--reject takes SERVICE, or SERVICE BACKEND SERVER.", operation="reject")
                outcomes = await links.reject(*args.reject)
                doc = {"outcomes": [o.as_dict() for o in outcomes]}
            elif args.link:
                outcomes = [await links.link(*args.link)]
                doc = {"outcomes": [o.as_dict() for o in outcomes]}
            elif args.unlink:
                outcomes = [await links.unlink(args.unlink)]
                doc = {"outcomes": [o.as_dict() for o in outcomes]}
            else:
                snap = await links.snapshot()
                proposals = await links.propose(snap)
                outcomes = None
                doc = {"links": [l.as_dict() for l in links.links()], "proposals": [p.as_dict() for p in proposals],
                       "errors": snap.errors}
            if outcomes is not None:
                await _refresh_customer_index(ws)
        finally:
            await ws.aclose()
    if args.json:
        emit_json(doc)
    elif outcomes is not None:
        for o in outcomes:
            where = f" {o.backend}/{o.server_id}" if o.backend and o.server_id else ""
            say(f"service {o.service_id}{where}: {o.result}" + (f": {o.reason}" if o.reason else ""))
    elif args.propose:
        table(["service", "client", "product", "status", "server", "score", "confident", "evidence"],
              [[p["service_id"], p["client"], p["product"], p["service_status"],
                f"{p['backend']}/{p['server_id']} {p['server']}", p["score"],
                "yes" if p["confident"] else ("ambiguous: " + "; ".join(p["contenders"]) if p["ambiguous"] else "no"),
                "; ".join(e["text"] for e in p["evidence"])] for p in doc["proposals"]])
    else:
        rows = [[l["service_id"], f"{l['backend']}/{l['server_id']}", l["how"], "; ".join(l["evidence"])]
                for l in doc["links"]]
        table(["service", "server", "how", "evidence"], rows) if rows else say("no services linked yet.")
        confident = sum(1 for p in doc["proposals"] if p["confident"])
        say(f"{len(doc['proposals'])} proposals ({confident} confident): `--propose` lists them, `--accept-all` "
              "accepts the confident ones.")
    for backend, error in doc.get("errors", {}).items():
        warn(f"{backend}: servers not listed: {error}")
    return 1 if outcomes is not None and any(o.result == "refused" for o in outcomes) else 0


async def _accept_all_plan(args: argparse.Namespace) -> int:
    """The links `--accept-all` would make, each with its client, product and server; nothing is written."""
    from hostdeck.backends.sync.billing_setup import service_links

    with CommandContext(args) as ws:
        links = service_links(ws)
        try:
            snap = await links.snapshot()
            proposals = {p.service_id: p for p in await links.propose(snap) if p.confident}
            outcomes = await links.accept("all-confident", proposals=list(proposals.values()), dry_run=True)
        finally:
            await ws.aclose()
    for backend, error in snap.errors.items():
        warn(f"{backend}: servers not listed: {error}")
    rows = []
    for o in outcomes:
        p = proposals[o.service_id]
        rows.append([o.service_id, p.client_name, p.product, f"{o.backend}/{o.server_id} {p.server_name}",
                     o.result.removeprefix("would "), o.reason or ""])
    return show_plan(args, "accept-all", {"outcomes": [o.as_dict() for o in outcomes], "errors": snap.errors},
                     count_by_result(outcomes), ["service", "client", "product", "server", "would", "note"], rows)


async def sync_drift(args: argparse.Namespace) -> int:
    from hostdeck.backends.sync.billing_setup import service_links

    with CommandContext(args) as ws:
        try:
            report = await service_links(ws).drift()
        finally:
            await ws.aclose()
    if args.json:
        emit_json(report.as_dict())
    else:
        counts = report.counts()
        say("drift: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
        for kind in ("leak", "gone", "plan", "orphan"):
            for i in report.of(kind):
                say(f"  {kind:6} {i.message}")
    for backend, error in report.errors.items():
        warn(f"{backend}: not checked, its servers could not be listed: {error}")
    return 1 if report.errors else 0


async def sync_panel(args: argparse.Namespace) -> int:
    from hostdeck.backends.sync.billing_setup import panel_sync

    bulk = not (args.adopt or args.retry_create or args.link_user or args.unlink_user)
    if bulk:
        refuse_read_only(args, "panel sync")
    plan = bulk and only_plan(args)
    with CommandContext(args) as ws:
        engine = panel_sync(ws)
        progress = Progress("sync panel")
        try:
            if args.adopt:
                backend, server, panel_id = args.adopt
                if not panel_id.isdigit():
                    raise UsageError("PANEL_ID is the panel's VPS id, a number.", operation="adopt")
                await engine.adopt(backend, server, int(panel_id))
                doc, message = {"adopted": {"backend": backend, "server_id": server, "panel_id": int(panel_id)}}, \
                    f"{backend}/{server} linked to panel VPS {panel_id}; the next sync pushes its state."
            elif args.retry_create:
                backend, server = args.retry_create
                await engine.retry_create(backend, server)
                doc, message = {"retry_create": {"backend": backend, "server_id": server}}, \
                    f"{backend}/{server}: the next sync creates its panel record."
            elif args.link_user:
                client, user = args.link_user
                if not user.isdigit():
                    raise UsageError("PANEL_USER is the panel's user id, a number.", operation="link panel user")
                await engine.link_user(client, int(user))
                doc, message = {"linked_user": {"client_id": client, "panel_user_id": int(user)}}, \
                    f"client {client} linked to panel user {user}."
            elif args.unlink_user:
                removed = await engine.unlink_user(args.unlink_user)
                if not removed:
                    raise NotFoundError(f"client {args.unlink_user} has no hand-made panel user link.",
                                        operation="unlink panel user")
                doc, message = {"unlinked_user": args.unlink_user}, f"client {args.unlink_user}: panel user link dropped."
            else:
                report = await engine.run(dry_run=plan, progress=progress.pages)
                doc, message = None, None
        finally:
            progress.done()
            await ws.aclose()
    if doc is not None:
        emit_json(doc) if args.json else say(message)
        return 0
    for backend, error in report.errors.items():
        warn(f"{backend}: servers not listed, none of their records touched: {error}")
    if plan:
        return show_plan(args, "panel sync", report.as_dict(), report.counts(),
                         ["server", "name", "would", "panel vps", "note"],
                         [[f"{o.backend}/{o.server_id}", o.server, o.result.removeprefix("would "), o.panel_id or ("new" if o.result == "would create" else "—"),
                           o.error or ""] for o in sorted(report.outcomes, key=lambda o: not o.result.startswith("would "))
                          if o.result != "unchanged"])
    if _report_head(args, report, "panel"):
        for o in report.outcomes:
            if o.result in ("error", "create_unknown", "broken", "no panel user"):
                say(f"  {o.backend}/{o.server_id} {o.server}: {o.result}" + (f": {o.error}" if o.error else ""))
    return 1 if report.failed else 0


# sites and CloudPanel -------------------------------------------------------------
def _job_line(job) -> str:
    steps = " ".join(f"{name}:{step.status}" for name, step in job.steps.items())
    return f"{job.domain:32} {job.status:8} {steps}"


def _step_printer(job, step: str) -> None:
    state = job.steps[step]
    if state.status != "running":
        warn(f"{job.domain}: {step} {state.status}" + (f" — {state.error}" if state.error else ""))


async def site_add(args: argparse.Namespace) -> int:
    from hostdeck.backends.cloudpanel.spec import SiteSpec
    from hostdeck.backends.sites.setup import site_pipeline

    user = args.site_user or "".join(c for c in args.domain.split(".")[0] if c.isalnum())[:16] or "site"
    spec = SiteSpec(domain=args.domain, kind=args.kind, site_user=user, php_version=args.php_version,
                    vhost_template=args.vhost_template, nodejs_version=args.nodejs_version,
                    python_version=args.python_version, app_port=args.app_port, reverse_proxy_url=args.reverse_proxy_url)
    with CommandContext(args) as ws:
        pipeline = site_pipeline(ws, args.backend)
        try:
            job, password = await pipeline.start(spec, alt_names=args.alt_names, analytics=not args.no_analytics,
                                                 progress=_step_printer)
        finally:
            await ws.aclose()
    if args.json:
        emit_json({**job.as_dict(), "site_user": user, "site_user_password": password})
    else:
        say(_job_line(job))
        if password:
            warn(f"the password of site user {user} is shown once and not stored:")
            say(password)
    _warn_unrecorded(pipeline, job)
    return 1 if job.status == "failed" else 0


def _warn_unrecorded(pipeline, job) -> None:
    """A step was done but the store could not record it: say so (the exit code still says what was done)."""
    if pipeline.unrecorded:
        warn(f"{job.domain}: {pipeline.unrecorded}. The events are in the log file; run `hostdeck site retry "
             f"{job.domain}` once the store can be written again (it checks what exists first).")


async def _site_step(args: argparse.Namespace, step: str | None, site_user: str | None = None) -> int:
    from hostdeck.backends.sites.setup import site_pipeline

    with CommandContext(args) as ws:
        job = None
        try:
            from hostdeck.backends.sites.jobs import SiteJobs

            found = SiteJobs(ws.store).get(args.domain.strip().lower())
            pipeline = site_pipeline(ws, found.backend if found else None)
            job = await pipeline.retry(args.domain, step=step, progress=_step_printer, site_user=site_user)
        finally:
            await ws.aclose()
    emit_json(job.as_dict()) if args.json else say(_job_line(job))
    _warn_unrecorded(pipeline, job)
    return 1 if job.status == "failed" or (step and job.steps[step].status not in ("done", "skipped")) else 0


async def site_cert(args: argparse.Namespace) -> int:
    return await _site_step(args, "certificate")


async def site_analytics(args: argparse.Namespace) -> int:
    return await _site_step(args, "analytics")


async def site_retry(args: argparse.Namespace) -> int:
    return await _site_step(args, args.step, args.site_user)


async def site_delete(args: argparse.Namespace) -> int:
    if refused := _need_yes(args, f"deleting {args.domain}"):
        return refused
    from hostdeck.backends.sites.jobs import SiteJobs
    from hostdeck.backends.sites.setup import site_pipeline

    with CommandContext(args) as ws:
        found = SiteJobs(ws.store).get(args.domain.strip().lower())
        try:
            job = await site_pipeline(ws, found.backend if found else None).delete(args.domain)
        finally:
            await ws.aclose()
    if args.json:
        emit_json(job.as_dict())
    elif job.status == "discarded":
        say(f"discarded the failed job of {job.domain}: its site was never created, nothing was sent to delete.")
    else:
        say(f"deleted {job.domain}")
    return 0


def site_list(args: argparse.Namespace) -> int:
    from hostdeck.backends.sites.jobs import SiteJobs

    with CommandContext(args) as ws:
        jobs = SiteJobs(ws.store).all()
    if args.json:
        emit_json([j.as_dict() for j in jobs])
    elif jobs:
        steps = list(dict.fromkeys(step for job in jobs for step in job.steps))
        table(["domain", "backend", "type", "status", *steps],
              [[job.domain, job.backend, job.kind, job.status, *(plain(getattr(job.steps.get(step), "status", None))
                                                                  for step in steps)] for job in jobs])
    else:
        say("no sites yet: `hostdeck site add BACKEND DOMAIN`.")
    return 0


async def cloudpanel_reset_password(args: argparse.Namespace) -> int:
    if refused := _need_yes(args, f"resetting the password of {args.user}"):
        return refused
    with CommandContext(args) as ws:
        adapter = ws.site_host(args.backend)
        try:
            result = await adapter.reset_user_password(args.user)
        finally:
            await ws.aclose()
    if args.json:
        emit_json({"backend": result.backend, "user": args.user, "password": result.secret})
    else:
        warn(f"the new password of {args.user} is shown once and not stored:")
        say(result.secret)
    return 0


async def cloudpanel_trust(args: argparse.Namespace) -> int:
    with CommandContext(args) as ws:
        adapter = ws.site_host(args.backend)
        try:
            key = await adapter.fetch_host_key()
            if not args.yes:
                warn(f"{key.host}:{key.port} presents {key.key_type} {key.fingerprint} ({key.state}). Compare it with "
                     "the server's own (`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub`), then run again with --yes.")
                return 2
            trusted = await adapter.trust_host_key(key.fingerprint, replace=args.replace)
        finally:
            await ws.aclose()
    if args.json:
        emit_json({"backend": args.backend, "host": trusted.host, "port": trusted.port, "fingerprint": trusted.fingerprint,
                   "state": trusted.state})
    else:
        say(f"trusted {trusted.host}:{trusted.port} {trusted.key_type} {trusted.fingerprint}")
    return 0
