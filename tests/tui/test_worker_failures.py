"""Every worker the TUI starts, found in the source, fails once: each failure must reach the one error path.

The workers are discovered with `ast` (every `run_worker(...)` call and every `@work` method under tui/, outside
the CLI), keyed by the function that starts them. A worker added later fails this suite until it can report
(its node mixes in ReportsFailures, it does not exit the app, it names its action) and has a recipe below that makes
it fail: a simulator fault where one reaches it, else the adapter (or store) method it awaits made to raise.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from textual.app import App

import hostdeck.tui
from hostdeck.backends.errors import UnavailableError
from hostdeck.tui.reporting import ReportsFailures

from .settling import settle

TUI = Path(hostdeck.tui.__file__).parent


# discovery ------------------------------------------------------------------------------------------------------------
def worker_starts() -> dict[str, list[ast.AST]]:
    """{"tui/screens/x.py:Class.function": [the run_worker call or the @work decorator, ...]}"""
    found: dict[str, list[ast.AST]] = {}

    def visit(node: ast.AST, path: str, stack: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for deco in child.decorator_list:
                    target = deco.func if isinstance(deco, ast.Call) else deco
                    if isinstance(target, ast.Name) and target.id == "work" or \
                            isinstance(target, ast.Attribute) and target.attr == "work":
                        found.setdefault(f"{path}:{'.'.join(stack + [child.name])}", []).append(deco)
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and child.func.attr == "run_worker":
                found.setdefault(f"{path}:{'.'.join(stack)}", []).append(child)
            named = isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            visit(child, path, stack + [child.name] if named else stack)

    for file in sorted(TUI.rglob("*.py")):
        if "cli" in file.relative_to(TUI).parts:
            continue  # the command line runs no workers
        visit(ast.parse(file.read_text(encoding="utf-8")), f"tui/{file.relative_to(TUI).as_posix()}", [])
    return found


def owner_class(key: str) -> type:
    path, qualname = key.split(":")
    module = importlib.import_module("hostdeck." + path.removesuffix(".py").replace("/", "."))
    return getattr(module, qualname.split(".")[0])


def keyword(node: ast.AST, name: str) -> ast.expr | None:
    if not isinstance(node, ast.Call):
        return None
    return next((k.value for k in node.keywords if k.arg == name), None)


def test_discovery_finds_the_known_workers():
    starts = worker_starts()
    assert "tui/screens/servers/actions.py:ServerActions._act" in starts
    assert "tui/screens/sync/billing_tabs.py:PanelPane._run" in starts
    assert "tui/dialogs/create_server.py:CreateServerDialog.load_catalog" in starts
    assert len(starts) >= 30


@pytest.mark.parametrize("key", sorted(worker_starts()))
def test_every_worker_can_report_its_failure(key):
    cls = owner_class(key)
    assert issubclass(cls, App) or issubclass(cls, ReportsFailures), \
        f"{cls.__name__} starts workers: mix in hostdeck.tui.reporting.ReportsFailures so their failures reach the App"
    for node in worker_starts()[key]:
        exit_on_error = keyword(node, "exit_on_error")
        assert isinstance(exit_on_error, ast.Constant) and exit_on_error.value is False, \
            f"{key}: a worker's failure is reported, it must not end the app (exit_on_error=False)"
        assert keyword(node, "description") is not None, f"{key}: name the action in words (description=...)"


def test_every_worker_has_a_failure_recipe():
    missing = sorted(set(worker_starts()) - set(RECIPES))
    stale = sorted(set(RECIPES) - set(worker_starts()))
    assert not missing, f"workers without a failure recipe in this file: {missing}"
    assert not stale, f"recipes for workers that are gone: {stale}"


# the recipes ------------------------------------------------------------------------------------------------------------
RECIPES: dict[str, list[tuple[str, object]]] = {}  # a worker start -> [(world, recipe)]


def recipe(key: str, world: str):
    def register(fn):
        RECIPES.setdefault(key, []).append((world, fn))
        return fn

    return register


def raising(error: BaseException):
    async def fail(*args, **kwargs):
        raise error

    return fail


def down(backend: str) -> UnavailableError:
    return UnavailableError("the simulated backend is down; try again shortly.", backend=backend)



class Run:
    """One world's app, its pilot and the failure checks shared by its recipes."""

    def __init__(self, app, pilot, monkeypatch) -> None:
        self.app, self.pilot, self.mp = app, pilot, monkeypatch

    def sim(self, name: str):
        return self.app.test_sims[name]

    def fail(self, obj, attribute: str, error: BaseException) -> None:
        self.mp.setattr(obj, attribute, raising(error))

    async def mode(self, name: str):
        self.app.switch_mode(name)
        await settle(self.app, self.pilot)
        return self.app.screen

    async def expect(self, key: str, trigger, *, action: str, backend: str | None) -> None:
        app = self.app
        events_before = len(app.workspace.events.recent())
        for name in app.health:
            app.set_health(name, "ok")
        app._last_toast.clear()
        await trigger()
        await settle(app, self.pilot)
        new = app.workspace.events.recent()[events_before:]
        failures = [e for e in new if e.kind.value == "action" and e.level == "error"
                    and str(e.detail.get("action", "")).startswith(action)]
        assert failures, f"{key}: no failure of {action!r} in the event log; new events: {[e.message for e in new][-5:]}"
        failure = failures[-1]
        assert failure.backend == (backend or "hostdeck"), f"{key}: {failure.message}"
        toast = [n for n in app._notifications if n.message == failure.message]
        assert toast and toast[-1].severity == "error" and not toast[-1].markup, f"{key}: no toast for {failure.message!r}"
        assert action in failure.message and failure.backend in failure.message
        if backend:
            assert app.health[backend][0] in ("failing", "degraded"), f"{key}: header health {app.health[backend]}"
        for sim in app.test_sims.values():
            faults = getattr(sim, "faults", None)
            if faults is not None:
                faults.clear()
        self.mp.undo()


# the Hetzner world: app, Servers, Catalog, Connections, Logs, the create dialog -----------------------------------------
def broken_data_dir(run: Run) -> None:
    """The data directory is a file: neither the store nor the log file can be written."""
    ws = run.app.workspace
    blocker = ws.data_dir / "not-a-directory"
    blocker.write_text("")
    run.mp.setattr(ws, "data_dir", blocker)
    run.mp.setattr(ws, "_store", None)


@recipe("tui/app.py:HostdeckApp._keep_theme", "hz")
async def _(run: Run, key: str) -> None:
    async def trigger():
        blocker = run.app.workspace.data_dir / "a-file"
        blocker.write_text("")
        run.mp.setattr(run.app.workspace.config, "path", blocker / "config.toml")  # its folder is a file
        run.app.theme = "nord" if run.app.theme != "nord" else "gruvbox"

    await run.expect(key, trigger, action="Keep the theme in the config", backend=None)


@recipe("tui/app.py:HostdeckApp._flush_events", "hz")
async def _(run: Run, key: str) -> None:
    from hostdeck.backends.models import Event
    from hostdeck.backends.models import EventKind

    async def trigger():
        broken_data_dir(run)
        run.app.workspace.events.record(Event(backend="hz", kind=EventKind.AUDIT, message="something to write"))
        run.app._flush_events()

    await run.expect(key, trigger, action="Write the event log", backend=None)


@recipe("tui/dialogs/add_backend.py:AddBackendDialog.submit", "hz")
async def _(run: Run, key: str) -> None:
    from hostdeck.backends import onboarding
    from hostdeck.backends.kinds import kind_named
    from hostdeck.tui.dialogs.add_backend import AddBackendDialog

    async def trigger():
        run.mp.setattr(onboarding, "check_store", lambda d, fields: None)  # as with a usable keyring
        run.fail(onboarding, "test_draft", RuntimeError("the test itself broke"))
        await run.app.push_screen(AddBackendDialog(kind_named("hetzner"), run.app.workspace.data_dir / "new.toml"))
        await run.pilot.pause()
        run.app.screen.query_one("#secret-token").value = "a-token"
        run.app.screen.submit()

    await run.expect(key, trigger, action="Test and save backend hz", backend=None)
    run.app.screen.dismiss(None)


@recipe("tui/dialogs/add_backend.py:AddBackendDialog.on_mount", "hz")
async def _(run: Run, key: str) -> None:
    from hostdeck.backends import onboarding
    from hostdeck.backends.kinds import kind_named
    from hostdeck.tui.dialogs.add_backend import AddBackendDialog

    def broken(d, fields):
        raise RuntimeError("the keyring check itself broke")

    async def trigger():
        run.mp.setattr(onboarding, "check_store", broken)
        await run.app.push_screen(AddBackendDialog(kind_named("hetzner"), run.app.workspace.data_dir / "new.toml"))

    await run.expect(key, trigger, action="Check that the keyring can store secrets", backend=None)
    run.app.screen.dismiss(None)


@recipe("tui/screens/logs.py:LogsScreen.load_history", "hz")
async def _(run: Run, key: str) -> None:
    async def trigger():
        broken_data_dir(run)
        await run.mode("logs")

    await run.expect(key, trigger, action="Read the last 15 minutes", backend=None)
    await run.mode("servers")


@recipe("tui/screens/servers/screen.py:ServersScreen.refresh_servers", "hz")
async def _(run: Run, key: str) -> None:
    async def trigger():
        run.sim("hz").faults.add("*", "status", status=500, count=100)
        run.app.servers_screen.refresh_servers()

    await run.expect(key, trigger, action="List servers", backend="hz")
    run.app.servers_screen.refresh_servers()  # the rows come back for the recipes below
    await settle(run.app, run.pilot)


@recipe("tui/screens/servers/screen.py:ServersScreen._load_rest", "hz")
async def _(run: Run, key: str) -> None:
    import sqlite3

    from hostdeck.tui.screens.servers import cache as server_cache

    async def trigger():
        def unreadable(*args, **kwargs):
            raise sqlite3.DatabaseError("file is not a database")

        run.mp.setattr(server_cache, "load_rest", unreadable)
        run.app.servers_screen._load_rest(["hz"])

    await run.expect(key, trigger, action="Load the stored inventory", backend=None)


@recipe("tui/screens/servers/actions.py:ServerActions._act", "hz")
async def _(run: Run, key: str) -> None:
    from hostdeck.tui.screens.server_actions import build_menu

    screen = run.app.servers_screen
    server = next(s for s in screen.servers.values() if s.raw_status == "running")
    item = next(a for a in build_menu(run.app.workspace.adapter("hz"), server, read_only=False) if a.id == "power_reboot")

    async def trigger():
        run.sim("hz").faults.add("POST /servers/*/actions/*", "status", status=500, count=10)
        screen._execute(item, server)

    await run.expect(key, trigger, action=f"Reboot (ACPI) on {server.name}", backend="hz")
    assert screen.grid.get_row(server.key).cells[2] == "✖ failed"  # and on its row


@recipe("tui/screens/servers/actions.py:ServerActions._create", "hz")
async def _(run: Run, key: str) -> None:
    from hostdeck.backends.models import ServerSpec

    adapter = run.app.workspace.adapter("hz")
    spec = ServerSpec(name="err-path-1", plan="cx22", image="ubuntu-24.04", location="fsn1")

    async def trigger():
        run.fail(adapter, "create_server", down("hz"))
        run.app.servers_screen._create((adapter, spec))

    await run.expect(key, trigger, action="Create server err-path-1", backend="hz")


@recipe("tui/dialogs/create_server.py:CreateServerDialog.load_catalog", "hz")
async def _(run: Run, key: str) -> None:
    from hostdeck.tui.dialogs.create_server import CreateServerDialog

    adapter = run.app.workspace.adapter("hz")

    async def trigger():
        run.fail(adapter, "catalog", down("hz"))
        await run.app.push_screen(CreateServerDialog(adapter))

    await run.expect(key, trigger, action="Load the catalog for a new server", backend="hz")
    dialog = run.app.screen
    assert "down" in str(dialog.query_one("#catalog-source").render())  # the dialog ends with the error
    dialog.dismiss(None)
    await settle(run.app, run.pilot)


@recipe("tui/screens/catalog.py:CatalogScreen.load", "hz")
async def _(run: Run, key: str) -> None:
    async def trigger():
        run.fail(run.app.workspace.adapter("hz"), "catalog", down("hz"))
        await run.mode("catalog")

    await run.expect(key, trigger, action="Load the catalog", backend="hz")


@recipe("tui/screens/connections.py:ConnectionsScreen.test", "hz")
async def _(run: Run, key: str) -> None:
    async def trigger():
        run.fail(run.app.workspace.adapter("hz"), "test_connection", RuntimeError("a bug in the connection test"))
        screen = await run.mode("connections")
        screen.test("hz")

    await run.expect(key, trigger, action="Test the connection to hz", backend="hz")


@recipe("tui/screens/connections.py:ConnectionsScreen._remove", "hz")
async def _(run: Run, key: str) -> None:
    from hostdeck.backends import onboarding

    def broken(path, name):
        raise down(name)

    async def trigger():
        run.mp.setattr(onboarding, "remove", broken)
        screen = await run.mode("connections")
        screen._remove("hz")

    await run.expect(key, trigger, action="Remove the backend", backend="hz")


@recipe("tui/screens/connections.py:ConnectionsScreen._store", "hz")
async def _(run: Run, key: str) -> None:
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    async def trigger():
        previous = keyring.get_keyring()
        keyring.set_keyring(NoKeyring())
        run.mp.setattr(run.app.workspace.secrets, "_overlay", {})
        try:
            screen = await run.mode("connections")
            screen._store("hz", "token", "a-new-token")
            await settle(run.app, run.pilot)
        finally:
            keyring.set_keyring(previous)

    await run.expect(key, trigger, action="Store the credential", backend=None)


# the Convoy world: its create dialog and resize/rename ------------------------------------------------------------------
@recipe("tui/dialogs/create_convoy_server.py:CreateConvoyServerDialog.load", "convoy")
async def _(run: Run, key: str) -> None:
    from hostdeck.tui.dialogs.create_convoy_server import CreateConvoyServerDialog

    async def trigger():
        run.fail(run.app.workspace.adapter("vps"), "catalog", down("vps"))  # a live failure would fall back
        await run.app.push_screen(CreateConvoyServerDialog(run.app.workspace.adapter("vps")))

    await run.expect(key, trigger, action="Load the nodes and templates", backend="vps")
    assert "failed" in str(run.app.screen.query_one("#catalog-source").render())
    run.app.screen.dismiss(None)
    await settle(run.app, run.pilot)


@recipe("tui/dialogs/create_convoy_server.py:CreateConvoyServerDialog._create", "convoy")
async def _(run: Run, key: str) -> None:
    from hostdeck.tui.dialogs.create_convoy_server import CreateConvoyServerDialog

    dialog = CreateConvoyServerDialog(run.app.workspace.adapter("vps"))
    await run.app.push_screen(dialog)
    await settle(run.app, run.pilot)

    async def trigger():
        dialog.query_one("#owner").value = "someone@example.com"
        run.sim("vps").faults.add("*", "status", status=500, count=100)
        dialog._create()

    await run.expect(key, trigger, action="Look up the owner", backend="vps")
    assert "failed" in str(dialog.query_one("#name-problem").render())
    dialog.dismiss(None)
    await settle(run.app, run.pilot)


@recipe("tui/screens/servers/actions.py:ServerActions._act", "convoy")  # through the resize dialog
async def _(run: Run, key: str) -> None:
    screen = run.app.servers_screen
    server = next(s for s in screen.servers.values() if s.backend == "vps" and s.raw.get("status") is None)

    async def trigger():
        screen.run_action("resize", server)
        await run.pilot.pause()
        run.sim("vps").faults.add("*", "status", status=500, count=100)
        run.app.screen.dismiss({"cpu": 3})

    await run.expect(key, trigger, action=f"Resize {server.name}", backend="vps")
    assert screen.grid.get_row(server.key).cells[2] == "✖ failed"


# the sync world: the client sync map ---------------------------------------------------------------------------------------
@recipe("tui/screens/sync/screen.py:SyncScreen.load", "sync")
async def _(run: Run, key: str) -> None:
    screen = run.app.screen
    engine = screen.engine

    async def trigger():
        run.fail(engine.billing, "get_clients", down("billing"))
        run.mp.setattr(engine.map, "all_links", lambda *a, **k: (_ for _ in ()).throw(OSError("disk I/O error")))
        screen.load()

    await run.expect(key, trigger, action="Load the sync map", backend=None)


@recipe("tui/screens/sync/screen.py:SyncScreen._start", "sync")
async def _(run: Run, key: str) -> None:
    screen = run.app.screen

    async def trigger():
        run.sim("billing").faults.add("*", "status", status=500, count=100)
        screen.action_run("check")

    await run.expect(key, trigger, action="Check both sides", backend="billing")


@recipe("tui/screens/sync/screen.py:SyncScreen._plan", "sync")
async def _(run: Run, key: str) -> None:
    screen = run.app.screen

    async def trigger():
        run.fail(screen.engine.billing, "get_clients", down("billing"))
        screen.action_run("push")  # its dry run fails before any question

    await run.expect(key, trigger, action="Work out what the sync would change", backend="billing")


@recipe("tui/screens/sync/screen.py:SyncScreen._unlink", "sync")
async def _(run: Run, key: str) -> None:
    screen = run.app.screen

    async def trigger():
        run.fail(screen.engine, "unlink", OSError("the sync map is locked"))
        screen._unlink("1")

    await run.expect(key, trigger, action="Unlink the client", backend=None)


@recipe("tui/screens/sync/screen.py:SyncScreen.show_detail", "sync")
async def _(run: Run, key: str) -> None:
    screen = run.app.screen
    link = SimpleNamespace(left_id="1", left_key="c1@example.com", right_id=None, status="pending", intent=None,
                           last_error=None, drift=None)

    async def trigger():
        run.fail(screen.engine.billing, "get_client", ValueError("an odd client record"))
        screen.show_detail(link)

    await run.expect(key, trigger, action="Load the WHMCS client", backend=None)


# the billing world: the Services, Drift and Panel tabs ----------------------------------------------------------------------
async def pane(run: Run, tab: str):
    from hostdeck.tui.screens.sync.billing_tabs import DriftPane
    from hostdeck.tui.screens.sync.billing_tabs import PanelPane
    from hostdeck.tui.screens.sync.billing_tabs import ServicesPane

    run.app.screen.action_tab(tab)
    await settle(run.app, run.pilot)
    return run.app.screen.query_one({"services": ServicesPane, "drift": DriftPane, "panel": PanelPane}[tab])


@recipe("tui/screens/sync/billing_tabs.py:ServicesPane.reload", "billing")
async def _(run: Run, key: str) -> None:
    services = await pane(run, "services")

    async def trigger():
        run.fail(services.links, "snapshot", down("billing"))
        services.reload()

    await run.expect(key, trigger, action="Load the service links", backend="billing")
    assert "down" in str(services.query_one(".pane-summary").render())  # the tab says it too


@recipe("tui/screens/sync/billing_tabs.py:ServicesPane.action_accept", "billing")
async def _(run: Run, key: str) -> None:
    services = await pane(run, "services")
    services.grid.cursor_row_key = next(k for k in services.rows if k.startswith("p:"))

    async def trigger():
        run.fail(services.links, "link", down("billing"))
        services.action_accept()

    await run.expect(key, trigger, action="Accept the proposed link", backend="billing")


@recipe("tui/screens/sync/billing_tabs.py:ServicesPane.action_accept_all", "billing")
@recipe("tui/screens/sync/billing_tabs.py:ServicesPane._accept_planned", "billing")
async def _(run: Run, key: str) -> None:
    services = await pane(run, "services")
    confirmed = key.endswith("._accept_planned")  # the run after the dialog, else its dry run

    async def trigger():
        run.fail(services.links, "accept", down("billing"))
        services._accept_planned([]) if confirmed else services.action_accept_all()

    action = "Accept every confident link" if confirmed else "Work out the confident links"
    await run.expect(key, trigger, action=action, backend="billing")


@recipe("tui/screens/sync/billing_tabs.py:ServicesPane.action_reject", "billing")
async def _(run: Run, key: str) -> None:
    services = await pane(run, "services")
    services.grid.cursor_row_key = next(k for k in services.rows if k.startswith("p:"))

    async def trigger():
        run.fail(services.links, "reject", OSError("the sync map is read-only"))
        services.action_reject()

    await run.expect(key, trigger, action="Reject the proposed link", backend=None)


@recipe("tui/screens/sync/billing_tabs.py:ServicesPane.action_unlink", "billing")
async def _(run: Run, key: str) -> None:
    services = await pane(run, "services")
    proposal = next(p for k, p in services.rows.items() if k.startswith("p:"))
    await services.links.link(proposal.service_id, proposal.backend, proposal.server_id)
    services.reload()
    await settle(run.app, run.pilot)
    services.grid.cursor_row_key = next(k for k in services.rows if k.startswith("l:"))

    async def trigger():
        run.fail(services.links, "unlink", OSError("the sync map is read-only"))
        services.action_unlink()

    await run.expect(key, trigger, action="Unlink the service", backend=None)


@recipe("tui/screens/sync/billing_tabs.py:DriftPane.reload", "billing")
async def _(run: Run, key: str) -> None:
    drift = await pane(run, "drift")

    async def trigger():
        run.fail(drift.links, "drift", down("billing"))
        drift.reload()

    await run.expect(key, trigger, action="Compare billing with the servers", backend="billing")


@recipe("tui/screens/sync/billing_tabs.py:PanelPane.reload", "billing")
async def _(run: Run, key: str) -> None:
    panel = await pane(run, "panel")

    async def trigger():
        run.mp.setattr(run.app.screen.panel_sync, "records", lambda: (_ for _ in ()).throw(OSError("disk I/O error")))
        panel.reload()

    await run.expect(key, trigger, action="Load the panel records", backend=None)


@recipe("tui/screens/sync/billing_tabs.py:PanelPane.action_run", "billing")
@recipe("tui/screens/sync/billing_tabs.py:PanelPane._run", "billing")
async def _(run: Run, key: str) -> None:
    panel = await pane(run, "panel")
    asking = key.endswith(".action_run")  # P: the dry run before the question; else y, the dry run itself

    async def trigger():
        run.fail(run.app.screen.panel_sync, "run", down("panel"))
        panel.action_run() if asking else panel.action_dry_run()

    action = "Work out the panel changes" if asking else "Sync the servers to the panel"
    await run.expect(key, trigger, action=action, backend="panel")


@recipe("tui/screens/customers.py:CustomersScreen._run", "billing")
async def _(run: Run, key: str) -> None:
    screen = await run.mode("customers")

    async def trigger():
        run.sim("billing").faults.add("*", "status", status=500, count=100)
        screen.action_refresh_index()

    await run.expect(key, trigger, action="Build the customer index", backend="billing")
    await run.mode("sync")


# the sites world: CloudPanel over SSH and Matomo --------------------------------------------------------------------------
async def a_site(run: Run):
    from hostdeck.backends.cloudpanel.spec import SiteSpec

    screen = run.app.screen
    if not screen.jobs:
        await screen.pipeline.start(SiteSpec(domain="err-path.example.com", kind="static", site_user="errpath"),
                                    analytics=False)
        screen.load()
        await settle(run.app, run.pilot)
    screen.grid.cursor_row_key = "err-path.example.com"
    return screen


@recipe("tui/screens/sites.py:SitesScreen.load", "sites")
async def _(run: Run, key: str) -> None:
    screen = run.app.screen

    async def trigger():
        run.fail(screen.pipeline, "list", OSError("the job store cannot be read"))
        screen.load()

    await run.expect(key, trigger, action="Load the sites", backend=None)


@recipe("tui/screens/sites.py:SitesScreen._create", "sites")
async def _(run: Run, key: str) -> None:
    screen = run.app.screen

    async def trigger():
        run.fail(screen.pipeline, "start", down("web1"))
        screen._create({"spec": {"domain": "new.example.com", "kind": "static", "site_user": "newsite"},
                        "alt_names": [], "analytics": False})

    await run.expect(key, trigger, action="Create site new.example.com", backend="web1")


@recipe("tui/screens/sites.py:SitesScreen.action_retry", "sites")
async def _(run: Run, key: str) -> None:
    screen = await a_site(run)

    async def trigger():
        run.fail(screen.pipeline, "retry", down("web1"))
        screen.action_retry()

    await run.expect(key, trigger, action="Retry site err-path.example.com", backend="web1")


@recipe("tui/screens/sites.py:SitesScreen.action_delete.answered", "sites")
async def _(run: Run, key: str) -> None:
    screen = await a_site(run)

    async def trigger():
        run.fail(screen.pipeline.cloudpanel, "delete_site", down("web1"))
        screen.action_delete()
        await run.pilot.pause()
        run.app.screen.dismiss(True)

    await run.expect(key, trigger, action="Delete site err-path.example.com", backend="web1")


@recipe("tui/screens/sites.py:SitesScreen.action_reset_password", "sites")
async def _(run: Run, key: str) -> None:
    screen = run.app.screen

    async def trigger():
        run.fail(screen.pipeline.cloudpanel, "list_users", down("web1"))
        screen.action_reset_password()

    await run.expect(key, trigger, action="List the CloudPanel users", backend="web1")


@recipe("tui/screens/sites.py:SitesScreen._confirm_reset.answered", "sites")
async def _(run: Run, key: str) -> None:
    screen = run.app.screen

    async def trigger():
        run.fail(screen.pipeline.cloudpanel, "reset_user_password", down("web1"))
        screen._confirm_reset("john")
        await run.pilot.pause()
        run.app.screen.dismiss(True)

    await run.expect(key, trigger, action="Reset the password of john", backend="web1")


# day-2: the bulk run, the metrics view, the details pane's live part (issue 15) --------------------------------------
@recipe("tui/screens/servers/bulk.py:BulkActions.run_bulk", "hz")
async def _(run: Run, key: str) -> None:
    from hostdeck.backends.actions import BY_ID
    from hostdeck.tui.screens.servers import bulk

    screen = run.app.servers_screen
    targets = sorted(screen.servers.values(), key=lambda s: s.name)[:2]

    async def trigger():
        run.mp.setattr(bulk, "skip_reason", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("a bug in the checks")))
        screen.run_bulk(BY_ID["power_on"], targets)

    await run.expect(key, trigger, action="Power on on 2 servers", backend=None)


@recipe("tui/screens/metrics.py:MetricsScreen.show_period", "hz")
async def _(run: Run, key: str) -> None:
    from hostdeck.tui.screens.metrics import MetricsScreen

    server = next(iter(run.app.servers_screen.servers.values()))

    async def trigger():
        await run.app.push_screen(MetricsScreen(server, raising(down("hz"))))

    await run.expect(key, trigger, action=f"Read the cpu metrics of {server.name}", backend="hz")
    assert "failed" in str(run.app.screen.query_one("#metrics-cpu .metric-state").render())  # said in place too
    run.app.screen.dismiss(None)
    await settle(run.app, run.pilot)


@recipe("tui/widgets/server_extras.py:ServerExtras.show", "hz")
async def _(run: Run, key: str) -> None:
    from hostdeck.backends.contract import Capability

    screen = run.app.servers_screen
    adapter = run.app.workspace.adapter("hz")
    server = sorted(screen.servers.values(), key=lambda s: s.name)[-1]

    async def trigger():
        run.mp.setattr(adapter, "capabilities", adapter.capabilities | {Capability.METRICS})
        run.fail(adapter, "metrics", down("hz"))
        screen.select_server(server.key)
        if not screen.details_shown:
            screen.action_toggle_details()
        screen.update_details()

    await run.expect(key, trigger, action=f"Read the CPU metrics of {server.name}", backend="hz")
    extras = screen.query_one("#details-extras")
    assert "failed" in " ".join(str(w.render()) for w in extras.query("Static"))  # said in the pane too
    screen.action_toggle_details()


# running them ------------------------------------------------------------------------------------------------------------
async def run_world(world: str, app, monkeypatch) -> None:
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(app, pilot)
        run = Run(app, pilot, monkeypatch)
        for key, recipes in RECIPES.items():
            for recipe_world, fn in recipes:
                if recipe_world == world:
                    await fn(run, key)
        assert app.is_running  # no failure ended the app


async def test_hetzner_world_workers_report(app_factory, monkeypatch):
    await run_world("hz", app_factory(servers=12), monkeypatch)


async def test_convoy_world_workers_report(convoy_app, monkeypatch):
    await run_world("convoy", convoy_app(), monkeypatch)


async def test_sync_world_workers_report(sync_app, monkeypatch):
    await run_world("sync", sync_app(clients=6), monkeypatch)


async def test_billing_world_workers_report(billing_app, monkeypatch):
    await run_world("billing", billing_app("sync"), monkeypatch)


async def test_sites_world_workers_report(sites_app, monkeypatch):
    await run_world("sites", sites_app(), monkeypatch)


async def test_the_demo_start_failing_is_reported(app_factory, monkeypatch):
    app = app_factory(servers=3)

    def prepare() -> None:
        raise OSError("cannot bind 127.0.0.1: address in use")

    app._prepare = prepare
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        failures = [e for e in app.workspace.events.recent() if e.kind.value == "action" and e.level == "error"]
        assert failures and failures[-1].detail["action"] == "Start the demo simulators"
        assert any(n.message == failures[-1].message for n in app._notifications)
        assert app._backends_ready.is_set()  # the screens are not left waiting


RECIPES["tui/app.py:HostdeckApp.on_ready"] = [("demo", test_the_demo_start_failing_is_reported)]
