"""Argument parsing and dispatch. Exit codes: 0 ok, 1 an operation failed, 2 bad usage, config or credentials."""

from __future__ import annotations

import argparse
import asyncio
import sys

from hostdeck.backends.config import KNOWN_KINDS
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ConfigError
from hostdeck.backends.errors import SecretError

from .output import emit_json
from .output import warn
from .secret_help import LazyEpilogParser
from .secret_help import secret_fields_help
from .ssh_command import add_ssh_command
from .usage import UsageError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--config", metavar="PATH", default=default, help="config file (else HOSTDECK_CONFIG, else the platform config dir)")
    parser.add_argument("--read-only", action="store_true", default=False if top else argparse.SUPPRESS,
                        help="hide and refuse every mutating action")
    parser.add_argument("--demo", action="store_true", default=False if top else argparse.SUPPRESS,
                        help="run against freshly started simulators with built-in demo credentials")


def _bulk_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="list what would change, with the counts; change nothing")
    parser.add_argument("--yes", action="store_true",
                        help="do it (without --yes: the list of what would change, and exit 2)")


def build_parser() -> argparse.ArgumentParser:
    from hostdeck.backends.actions import CLI_COMMANDS

    parser = argparse.ArgumentParser(prog="hostdeck", description="One keyboard-driven console over your hosting backends.")
    _global_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def cmd(name: str, func: str, help: str, json_flag: bool = True, parent=sub, **extra) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help, description=help, **extra)
        _global_options(p, top=False)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
        p.set_defaults(func=func)
        return p

    cmd("info", "info", "versions, config/data/log paths and backends")

    secret = sub.add_parser("secret", help="set, list or delete credentials in the OS keyring")
    secret_sub = secret.add_subparsers(dest="secret_command", metavar="ACTION", required=True,
                                       parser_class=LazyEpilogParser)
    p = cmd("set", "secret_set", "store a credential; the value is read from stdin or a hidden prompt", False, secret_sub,
            formatter_class=argparse.RawDescriptionHelpFormatter)
    assert isinstance(p, LazyEpilogParser)
    p.epilog_source = secret_fields_help
    p.add_argument("backend", help="the backend's name in the config")
    p.add_argument("field", help="the secret's field: see the list below")
    cmd("list", "secret_list", "which credentials are set and where from (never the values)", True, secret_sub)
    p = cmd("delete", "secret_delete", "remove a credential from the keyring", False, secret_sub)
    p.add_argument("backend")
    p.add_argument("field")

    backend = sub.add_parser("backend", help="connect, list or remove a backend (tested before it is saved)")
    bsub = backend.add_subparsers(dest="backend_command", metavar="ACTION", required=True)
    p = cmd("add", "backend_add", "test a backend with the credentials given (stdin, one line per secret field, or "
            "hidden prompts), then add it to the config and its secrets to the keyring", True, bsub)
    p.add_argument("name")
    p.add_argument("--kind", required=True, choices=KNOWN_KINDS)
    p.add_argument("--url", help="the API's URL (each kind has its default where one exists)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="another config key (repeatable)")
    p.add_argument("--secret-store", choices=["keyring", "file"],
                   help='where secrets go: the OS keyring (default), or "file": secrets.toml beside the config, mode '
                        '0600 (an explicit opt-in for machines without a keyring; written to [general] secret_store)')
    p.add_argument("--trust-host-key", metavar="SHA256:...",
                   help="CloudPanel: the SSH host key fingerprint you checked with the server (else you are asked)")
    cmd("list", "backend_list", "configured backends: kind, URL, where their credentials come from", True, bsub)
    p = cmd("remove", "backend_remove", "remove a backend from the config and its secrets from the keyring", True, bsub)
    p.add_argument("name")
    p.add_argument("--yes", action="store_true", help="do it (without --yes it only says what it would remove)")

    p = cmd("test", "test", "test backend connections; exit 0 only if all are ok")
    p.add_argument("backends", nargs="*", metavar="BACKEND")

    p = cmd("servers", "servers", "the unified server list")
    p.add_argument("--backend", action="append", metavar="NAME", help="only this backend (repeatable)")
    p.add_argument("--cached", action="store_true",
                   help="the stored inventory, without touching the network (each backend's age on stderr)")

    p = cmd("images", "images", "the project's snapshots and backups; `images delete BACKEND IMAGE --yes` deletes one")
    p.add_argument("words", nargs="*", metavar="[delete BACKEND IMAGE]")
    p.add_argument("--backend", action="append", metavar="NAME", help="only this backend (repeatable)")
    p.add_argument("--type", action="append", dest="image_types", choices=["snapshot", "backup", "system"],
                   help="only images of this type (repeatable; default snapshot and backup)")
    p.add_argument("--yes", action="store_true", help="confirm `images delete`")

    server = sub.add_parser("server", help="show or act on one server (named by id or by name)")
    srv = server.add_subparsers(dest="server_command", metavar="ACTION", required=True)
    p = cmd("show", "server_show", "one server with every field", True, srv)
    p.add_argument("backend")
    p.add_argument("server")
    for command in CLI_COMMANDS:
        p = cmd(command.name, command.func, command.help, True, srv)
        for arg in command.args:
            p.add_argument(*arg.flags, **arg.options)
    add_ssh_command(cmd, srv)
    p = cmd("create", "server_create", "create a server", True, srv)
    p.add_argument("backend")
    p.add_argument("--name", required=True)
    p.add_argument("--type", dest="plan", help="Hetzner: server type, e.g. cpx22")
    p.add_argument("--image", help="Hetzner: image name or id, e.g. ubuntu-24.04")
    p.add_argument("--cpu", type=int, help="Convoy: cores")
    p.add_argument("--memory", type=int, metavar="MB", help="Convoy: memory in MB")
    p.add_argument("--disk", type=int, metavar="GB", help="Convoy: disk in GB")
    p.add_argument("--bandwidth", type=int, metavar="GB", help="Convoy: bandwidth limit in GB (default unlimited)")
    p.add_argument("--node", help="Convoy: node id or name")
    p.add_argument("--template", help="Convoy: template uuid or name")
    p.add_argument("--user", help="Convoy: owner's user id or email")
    p.add_argument("--hostname", help="Convoy: host name (default: the name)")
    p.add_argument("--location", help="location, e.g. fsn1 (default: the backend's default_location)")
    p.add_argument("--ssh-key", action="append", default=[], dest="ssh_keys", help="SSH key name or id (repeatable)")
    p.add_argument("--label", action="append", default=[], dest="labels", metavar="KEY=VALUE", help="label (repeatable)")
    p.add_argument("--user-data-file", metavar="PATH", help="cloud-init user data file")
    p.add_argument("--backups", action="store_true", help="enable backups (+20%% of the price)")

    sync = sub.add_parser("sync", help="WHMCS sync: clients <-> panel users, the sync map and its log")
    ssub = sync.add_subparsers(dest="sync_command", metavar="ACTION", required=True)
    p = cmd("clients", "sync_clients", "sync WHMCS clients with panel users (default: --push)", True, ssub)
    mode = p.add_mutually_exclusive_group()
    for flag, text in (("--push", "create or link a panel user for every client (never a duplicate)"),
                       ("--update", "send changed mapped fields of linked clients"),
                       ("--pull", "refresh the map from WHMCS; changed clients become drifted"),
                       ("--check", "compare both sides; drifted links name the differing fields"),
                       ("--retry-errors", "push again the clients whose last sync failed")):
        mode.add_argument(flag, action="store_const", dest="mode", const=flag[2:], help=text)
    _bulk_options(p)
    p.add_argument("--concurrency", type=int, help="requests in flight (default: [sync] concurrency)")
    cmd("status", "sync_status", "links by entity and status", True, ssub)
    p = cmd("log", "sync_log", "the newest sync log entries", True, ssub)
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--client", help="only this WHMCS client id")
    p = cmd("unlink", "sync_unlink", "drop a client's link (touches neither side)", True, ssub)
    p.add_argument("client", help="WHMCS client id")
    p = cmd("link", "sync_link", "link a WHMCS client to a panel user by hand", True, ssub)
    p.add_argument("client", help="WHMCS client id")
    p.add_argument("user", help="panel user id")
    p = cmd("services", "sync_services", "WHMCS services <-> servers: the links (default), proposals with their "
            "evidence, accept, reject, link, unlink", True, ssub)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--propose", action="store_true", help="list the proposed links with their evidence and score")
    mode.add_argument("--accept", nargs="+", metavar="SERVICE", help="accept the proposal of these services")
    mode.add_argument("--accept-all", action="store_true", help="accept every confident proposal (never an ambiguous one; "
                      "lists them and asks for --yes first)")
    mode.add_argument("--reject", nargs="+", metavar="ARG", help="SERVICE [BACKEND SERVER]: reject the service's "
                      "proposals (or that one); remembered, never proposed again")
    mode.add_argument("--link", nargs=3, metavar=("SERVICE", "BACKEND", "SERVER"), help="link a service to a server by hand")
    mode.add_argument("--unlink", metavar="SERVICE", help="drop a service's link (touches neither side)")
    _bulk_options(p)
    cmd("drift", "sync_drift", "where billing and reality disagree: leaks, orphans, gone servers, plan mismatches (exit 0 "
        "with the report, 1 when a backend could not be checked)", True, ssub)
    p = cmd("panel", "sync_panel", "mirror linked servers to the VPS panel: create, update, delete (exit 1 when a record "
            "needs someone: error, create_unknown, broken)", True, ssub)
    _bulk_options(p)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--adopt", nargs=3, metavar=("BACKEND", "SERVER", "PANEL_ID"),
                      help="the panel has this server's record (after create_unknown): link its id")
    mode.add_argument("--retry-create", nargs=2, metavar=("BACKEND", "SERVER"),
                      help="the panel does not have this server's record: the next sync creates it")
    mode.add_argument("--link-user", nargs=2, metavar=("CLIENT", "PANEL_USER"),
                      help="a WHMCS client's panel user, by hand (else matched by email from the panel's users option)")
    mode.add_argument("--unlink-user", metavar="CLIENT", help="drop a client's hand-made panel user link")

    site = sub.add_parser("site", help="sites on CloudPanel: create, certificate, analytics, retry, delete, list")
    stsub = site.add_subparsers(dest="site_command", metavar="ACTION", required=True)
    p = cmd("add", "site_add", "create a site, its Let's Encrypt certificate and its Matomo analytics (replaces a failed "
            "job whose site was never created)", True, stsub)
    p.add_argument("backend", help="the CloudPanel backend")
    p.add_argument("domain")
    p.add_argument("--type", dest="kind", default="php", choices=["static", "php", "nodejs", "python", "reverse-proxy"])
    p.add_argument("--site-user", help="the site's Linux user (default: from the domain)")
    p.add_argument("--php", dest="php_version", default="8.3")
    p.add_argument("--template", dest="vhost_template", default="Generic", help="PHP vhost template")
    p.add_argument("--node", dest="nodejs_version", default="22")
    p.add_argument("--python", dest="python_version", default="3.12")
    p.add_argument("--port", dest="app_port", type=int, help="the app's port (Node.js, Python)")
    p.add_argument("--proxy-url", dest="reverse_proxy_url", help="the reverse proxy's target URL")
    p.add_argument("--alt", action="append", default=[], dest="alt_names", help="alternative name for the certificate")
    p.add_argument("--no-analytics", action="store_true", help="skip the Matomo step")
    for name, func, text in (("cert", "site_cert", "(re)install the Let's Encrypt certificate"),
                             ("analytics", "site_analytics", "register the site in Matomo (finds it before adding)")):
        p = cmd(name, func, text, True, stsub)
        p.add_argument("domain")
    p = cmd("retry", "site_retry", "run a site's failed or unfinished steps again", True, stsub)
    p.add_argument("domain")
    p.add_argument("--step", choices=["create_site", "certificate", "analytics"])
    p.add_argument("--site-user", help="a new Linux user for a site that was not created yet")
    p = cmd("delete", "site_delete", "delete a site from CloudPanel, or discard a failed job whose site was never "
            "created (needs --yes)", True, stsub)
    p.add_argument("domain")
    p.add_argument("--yes", action="store_true")
    cmd("list", "site_list", "sites and the state of their steps", True, stsub)

    cloud = sub.add_parser("cloudpanel", help="CloudPanel: reset a user's password, trust a server's host key")
    csub = cloud.add_subparsers(dest="cloudpanel_command", metavar="ACTION", required=True)
    p = cmd("reset-password", "cloudpanel_reset_password", "reset a CloudPanel user's password (needs --yes)", True, csub)
    p.add_argument("backend")
    p.add_argument("user")
    p.add_argument("--yes", action="store_true")
    p = cmd("trust", "cloudpanel_trust", "show the server's SSH host key and trust it (needs --yes)", True, csub)
    p.add_argument("backend")
    p.add_argument("--replace", action="store_true", help="replace a changed key (only after checking it)")
    p.add_argument("--yes", action="store_true")

    p = cmd("customer", "customer", "one customer and everything they have; QUERY is a name, company, e-mail, domain, "
            "IP address, server name or id, WHMCS service id or invoice number (exit 1 when nothing matches)")
    p.add_argument("query", metavar="QUERY")

    from .db_command import add_db_parser

    add_db_parser(sub, cmd)

    p = cmd("catalog", "catalog", "the cached catalog; `catalog refresh` fetches it live (for cron)")
    p.add_argument("words", nargs="*", metavar="[refresh] [BACKEND]")

    p = cmd("sim", "sim", "run the simulators in the foreground and print a config for them", False)
    p.add_argument("--servers", type=int, default=300, help="servers to seed (default 300)")
    p.add_argument("--latency", type=float, default=0.0, metavar="MS", help="latency per request in ms")
    return parser


def _tui_start(argv: list[str]) -> bool:
    """Only the top-level options (or none): the TUI starts, and the parser of every sub-command is not worth building
    on the way to the first rows."""
    rest = iter(argv)
    for arg in rest:
        if arg == "--config":
            if next(rest, None) is None:
                return False
        elif not (arg in ("--read-only", "--demo") or arg.startswith("--config=")):
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if _tui_start(argv):
        parser = argparse.ArgumentParser(prog="hostdeck")
        _global_options(parser, top=True)
        parser.set_defaults(command=None)
    else:
        parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return _run_tui(args)
    as_json = bool(getattr(args, "json", False))
    try:
        if getattr(args, "cached", False):
            from .cached import servers_cached as handler
        elif args.func == "customer":
            from . import customer_command

            handler = customer_command.HANDLERS[args.func]
        else:
            from . import commands  # imported only for sub-commands: the TUI's start-up does not pay for it

            handler = args.func if callable(args.func) else getattr(commands, args.func)
        result = handler(args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        return int(result or 0)
    except ConfigError as exc:
        return _fail(str(exc), EXIT_USAGE, as_json, getattr(exc, "category", "config"))
    except SecretError as exc:
        return _fail(str(exc), EXIT_USAGE, as_json, "credentials")
    except UsageError as exc:
        return _fail(str(exc), EXIT_USAGE, as_json, exc.category, exc.as_dict())
    except BackendError as exc:
        return _fail(str(exc), EXIT_FAILED, as_json, exc.category, exc.as_dict())
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from hostdeck.backends.store.check import is_store_error

        if not is_store_error(exc):
            raise
        return _fail(_store_failure(exc), EXIT_FAILED, as_json, "store")


def _store_failure(exc: BaseException) -> str:
    from hostdeck.backends.paths import database_path
    from hostdeck.backends.redact import redact_text
    from hostdeck.backends.store.urls import mask_text

    cause = getattr(exc, "orig", None) or exc
    first = mask_text(redact_text((str(cause).splitlines() or [""])[0]))
    return (f"the store failed while this command ran ({type(cause).__name__}: {first}); the database is "
            f"{database_path()} unless [general] database names another. Whatever the command printed before this was "
            "done. Fix: check that the database is readable and writable, then run the command again.")


def _fail(message: str, code: int, as_json: bool, category: str, extra: dict | None = None) -> int:
    warn(message)
    if as_json:
        emit_json({"error": {"category": category, "message": message, **(extra or {})}})
    return code


def _run_tui(args: argparse.Namespace) -> int:
    try:
        from hostdeck.tui.launch import run_app
    except ImportError as exc:  # the TUI may be absent in a trimmed install
        warn(f"the TUI cannot start ({exc}).")
        return EXIT_USAGE
    try:
        return run_app(args)
    except ConfigError as exc:
        return _fail(str(exc), EXIT_USAGE, False, getattr(exc, "category", "config"))


def run() -> None:
    """The console script. The cyclic GC is off while the program starts: importing Textual and styling the first
    screen allocate hundreds of thousands of objects that live as long as the program, and the passes over them cost
    a quarter of the time to the first rows. The TUI turns it back on once its first rows are on screen
    (`HostdeckApp.start_up_over`). A sub-command is a short-lived process: the GC stays off (parsing 5,000 servers
    allocates ~300,000 objects, and each pass over them costs more than the memory it would free), and it exits
    without tearing down its objects once its output is flushed."""
    import gc
    import os

    argv = sys.argv[1:]
    subcommand = any(not a.startswith("-") for a in argv) and "sim" not in argv
    if "sim" not in argv:  # the simulators run for hours: their GC stays on
        gc.disable()
    try:
        code = main(argv)
        if subcommand:
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`hostdeck servers | head -1`): that is how a pipe ends, not an error to report.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141  # 128 + SIGPIPE: what a shell shows for a command stopped by a closed pipe
    if subcommand:
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
