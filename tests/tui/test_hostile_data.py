"""Hostile data is data: names, labels, client names, domains and error messages full of markup and terminal
control sequences go through every screen and dialog, from the simulators over real sockets. The app keeps
running (no MarkupError), the text shows as it is, and no control character reaches the terminal raw."""

from __future__ import annotations

import re

import pytest

from hostdeck.tui.safe_text import visible

LONG = "L" * 10_000
HOSTILE = [
    "old [x=1",
    "[/]",
    "[link=https://x]click[/link]",
    "[bold]loud",
    "wipe\x1b[2J\x1b[H",
    "clip\x1b]52;c;aGFja2Vk\x07",
    "bell\x07",
    "carriage\rreturn",
    "bidi\u202eevil\u2066x\u2069",
    "nul\x00byte",
    "c1\x9bcsi",
    LONG,
]
# what the terminal must never receive raw: C0 (newline aside, it never reaches a line), DEL, C1, bidi controls
RAW = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SIZE = (160, 48)


def screen_lines(app) -> list[str]:
    """The text of every line the terminal would get for the current screen (and the toasts over it)."""
    update = app.screen._compositor.render_update(full=True)
    return ["".join(segment.text for strip in line for segment in strip if not segment.control) for line in update.strips]


def check(app, *, expect: tuple[str, ...] = ()) -> str:
    assert app.is_running and app._exception is None, app._exception
    lines = screen_lines(app)
    text = "\n".join(lines)
    raw = [found for line in lines for found in RAW.findall(line)]
    assert not raw, f"raw control characters on {type(app.screen).__name__}: {raw!r}"
    for wanted in expect:
        assert wanted in text, f"{wanted!r} not shown on {type(app.screen).__name__}"
    for note in app._notifications:
        assert not RAW.search(note.message) and not RAW.search(note.title), note
    return text


async def settle(app, pilot, rounds: int = 2) -> None:
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def poison_hetzner(hz) -> list[int]:
    ids = sorted(hz.servers)[: len(HOSTILE)]
    for sid, name in zip(ids, HOSTILE):
        server = hz.servers[sid]
        server["name"] = name
        server["labels"] = {"customer": name, name[:40]: "v"}
        hz._touch(server)
    for item in hz.images[:3] + hz.locations[:2]:
        item["description"] = HOSTILE[len(item["description"]) % len(HOSTILE)]
    hz.server_types[0]["description"] = "old [x=1 \x1b[2J"
    return ids


def poison_convoy(cv) -> None:
    ready_first = sorted(cv.servers.values(), key=lambda s: s["status"] is not None)  # None: installed, no action running
    for server, name in zip(ready_first, HOSTILE):
        server["name"] = name
        server["hostname"] = f"h{len(name)}\x1b[2J.example"
    for node in cv.nodes.values():
        node["name"] = "node [x=1 \x1b]52;c;Zm9v\x07"
    for template in cv.templates.values():
        template["name"] = "tpl [/] \u202eevil"


async def test_servers_details_filter_palette_and_dialogs_survive_hostile_names(convoy_app):
    from hostdeck.tui.dialogs.action_menu import ActionMenu
    from hostdeck.tui.dialogs.confirm import ConfirmDialog
    from hostdeck.tui.dialogs.resize import RenameDialog
    from hostdeck.tui.dialogs.resize import ResizeDialog

    app = convoy_app()
    poison_hetzner(app.test_sims["hz"])
    poison_convoy(app.test_sims["vps"])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        screen = app.screen
        hostile = [s for s in screen.servers.values() if s.name in HOSTILE]
        assert len(hostile) == 2 * len(HOSTILE)
        await pilot.press("enter")  # the details pane
        for server in hostile:
            screen.grid.cursor_row_key = server.key
            await pilot.pause()
            shown = visible(server.name)[:30]
            check(app, expect=(shown,))
        screen.grid.cursor_row_key = next(s.key for s in hostile if s.name == "old [x=1")
        await pilot.pause()
        check(app, expect=("old [x=1", "customer=old [x=1"))

        # the filter, typed with brackets
        await pilot.press("slash", *"[x=1")
        await pilot.pause()
        check(app, expect=("old [x=1", "filter '[x=1'"))
        await pilot.press("escape")

        # the action menu, rename, resize and the type-to-confirm delete of a Convoy server with an escape sequence
        target = next(s for s in hostile if s.backend == "vps" and s.name.startswith("wipe"))
        screen.select_server(target.key)
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ActionMenu)
        check(app, expect=("wipe\\x1b[2J\\x1b[H on vps",))
        app.screen.dismiss(None)
        await pilot.pause()
        for action in ("rename", "resize", "delete"):
            screen.run_action(action, target)
            await pilot.pause()
            assert isinstance(app.screen, {"rename": RenameDialog, "resize": ResizeDialog, "delete": ConfirmDialog}[action])
            check(app, expect=("wipe\\x1b[2J\\x1b[H",))
            if action == "delete":  # the name is typed as it is shown
                await pilot.press("tab", "shift+tab")
                app.screen.query_one("#confirm-text").value = visible(target.name)
                await pilot.pause()
                assert not app.screen.query_one("#confirm").disabled
            app.screen.dismiss(None)
            await pilot.pause()

        # the command palette: server names as hits, the selected server's actions
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"wipe")
        await settle(app, pilot)
        check(app, expect=("wipe\\x1b[2J",))
        await pilot.press("escape")
        await pilot.pause()

        # an API error with markup and escapes reaches a toast as text
        app.test_sims["hz"].faults.add("GET /servers", "status", status=500, code="server_error",
                                       message="boom [/] \x1b]52;c;cGF5bG9hZA==\x07 old [x=1 " + LONG, count=3)
        await pilot.press("r")
        await settle(app, pilot)
        text = check(app)
        assert any("boom [/] \\x1b]52" in n.message for n in app._notifications), [n.message for n in app._notifications]
        assert "boom [/]" in text


async def test_catalog_connections_and_logs_survive_hostile_records_and_errors(convoy_app):
    from textual.widgets import TabbedContent

    app = convoy_app(initial_mode="catalog")
    poison_hetzner(app.test_sims["hz"])
    poison_convoy(app.test_sims["vps"])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        tabs = app.screen.query_one(TabbedContent)
        for pane in tabs.query("TabPane"):
            if pane.display and tabs.get_tab(pane.id).display:
                tabs.active = pane.id
                await pilot.pause()
                check(app)
        tabs.active = "tab-node"
        await pilot.pause()
        check(app, expect=("node [x=1 \\x1b]52;c;Zm9v\\x07",))

        hz = app.test_sims["hz"]
        hz.faults.add("*", "status", status=503, code="unavailable", message="down [bold]now\x1b[31m " + LONG, count=20)
        await pilot.press("6")
        await pilot.pause()
        await pilot.press("T")
        await settle(app, pilot)
        check(app, expect=("down [bold]now\\x1b[31m",))
        hz.faults.clear()

        await pilot.press("5")
        await settle(app, pilot)
        grid = app.screen.grid
        for key in grid.visible_keys[-10:]:
            grid.cursor_row_key = key
            await pilot.press("d")
            await pilot.pause()
            check(app)
            await pilot.press("d")


async def test_create_forms_show_hostile_catalog_names_as_text(convoy_app):
    from hostdeck.tui.dialogs.create_convoy_server import CreateConvoyServerDialog
    from hostdeck.tui.dialogs.create_server import CreateServerDialog

    app = convoy_app()
    poison_hetzner(app.test_sims["hz"])
    poison_convoy(app.test_sims["vps"])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        for dialog in (CreateServerDialog(app.workspace.adapter("hz")), CreateConvoyServerDialog(app.workspace.adapter("vps"))):
            app.push_screen(dialog)
            await settle(app, pilot)
            check(app)
            for select in dialog.query("Select"):
                if select._options[1:]:
                    select.value = select._options[1][1]
                    await pilot.pause()
                    select.expanded = True
                    await pilot.pause()
                    check(app)
                    select.expanded = False
            await pilot.press(*"old [x=1")
            await pilot.pause()
            check(app)
            dialog.dismiss(None)
            await pilot.pause()
        check(app)


async def test_sync_tabs_survive_hostile_clients_and_servers(billing_app):
    app = billing_app()
    whmcs, hz, cv = app.test_sims["billing"], app.test_sims["hz"], app.test_sims["vps"]
    for client, name in zip(whmcs.clients.values(), HOSTILE):
        client["firstname"], client["lastname"], client["companyname"] = name, "[/]", "\x1b]52;c;eA==\x07 Ltd"
    poison_hetzner(hz)
    poison_convoy(cv)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        check(app)
        for key in ("s", "d", "v", "t"):
            await pilot.press(key)
            await settle(app, pilot)
            check(app)
            grid = app.screen.query_one("#sync-tabs").active_pane.query_one("Grid")
            for row in grid.visible_keys[:12]:
                grid.cursor_row_key = row
                await pilot.pause()
            await settle(app, pilot)
            check(app)
        await pilot.press("s")
        await settle(app, pilot)
        assert "old [x=1" in check(app)

        # push the clients to the panel, then read each link's detail (the WHMCS client, fetched live)
        await pilot.press("t")
        await pilot.pause()
        screen = app.screen
        await pilot.press("p")
        await settle(app, pilot)
        await pilot.click("#confirm")  # the push asks first
        await settle(app, pilot, rounds=3)
        assert screen.links
        seen = []
        for key in list(screen.links)[: len(HOSTILE)]:
            screen.grid.cursor_row_key = key
            await settle(app, pilot)
            seen.append(check(app))
        assert any("old [x=1 [/]" in text for text in seen)  # first and last name as they are


async def test_sites_survive_hostile_errors_and_user_names(sites_app):
    from hostdeck.backends.cloudpanel.spec import SiteSpec
    from hostdeck.tui.dialogs.action_menu import ActionMenu

    app = sites_app()
    panel, matomo = app.test_sims["web1"], app.test_sims["stats"]
    matomo.faults.add("*", "status", status=500, message="matomo [x=1 \x1b[2J\x07 " + LONG, count=50)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await screen.pipeline.start(SiteSpec(domain="shop.example.com", kind="php", site_user="hdshop"))
        screen.load()
        await settle(app, pilot)
        screen.grid.cursor_row_key = "shop.example.com"
        await settle(app, pilot)
        check(app, expect=("matomo [x=1 \\x1b[2J\\x07",))
        matomo.faults.clear()

        panel.state.users["evil[/]\x1b[2J"] = dict(panel.state.users["john.doe"])
        await pilot.press("p")  # reset a CloudPanel user's password: the menu lists them by name
        await settle(app, pilot)
        assert isinstance(app.screen, ActionMenu)
        check(app, expect=("! evil[/] (Admin)",))  # the SSH output's parser drops the escape sequence itself
        app.screen.dismiss(None)
        await pilot.pause()
        check(app)


async def test_one_time_dialogs_show_hostile_targets_as_text(app_factory):
    from hostdeck.tui.dialogs.action_menu import ActionMenu
    from hostdeck.tui.dialogs.action_menu import MenuAction
    from hostdeck.tui.dialogs.confirm import ConfirmDialog
    from hostdeck.tui.dialogs.credential import CredentialDialog
    from hostdeck.tui.dialogs.secret import SecretDialog

    app = app_factory(servers=5)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        for value in (" ".join(HOSTILE[:-1]), LONG + HOSTILE[4]):  # every short one together, then the long one
            for dialog in (
                SecretDialog(f"New root password for {value}", backend="hz", target=value, secret=f"pw{value}",
                             url=f"https://x/{value}", note=value),
                ConfirmDialog(f"Delete {value}?", backend="hz", target=value, call=f"DELETE /servers/{value}",
                              require_text=value, warning=value),
                ActionMenu(f"{value} on hz", [MenuAction("a", value, value, True), MenuAction("b", value, value,
                                                                                            unavailable=value)]),
                CredentialDialog(value, "token", value),
            ):
                app.push_screen(dialog)
                await pilot.pause()
                check(app, expect=(visible(value)[:20],))
                dialog.dismiss(None)
                await pilot.pause()
        app.notify(HOSTILE[4] + HOSTILE[0], title=HOSTILE[5])
        await pilot.pause()
        check(app, expect=("wipe\\x1b[2J",))


@pytest.mark.parametrize("value", HOSTILE)
def test_visible_leaves_nothing_for_a_terminal_to_act_on(value):
    shown = visible(value)
    assert not RAW.search(shown)
    assert visible(shown) == shown  # idempotent: escaping what is shown changes nothing


async def test_toasts_are_plain_except_textuals_own(app_factory):
    app = app_factory(servers=3)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        app.screen.notify("[b]old [x=1[/b] \x1b[2J", title="[/]")  # what a screen sends with a server name in it
        app.action_help_quit()  # Textual's own hint keeps its markup
        await pilot.pause()
        text = check(app, expect=("[b]old [x=1[/b] \\x1b[2J", "[/]", "to quit the app"))
        assert "[b]" not in text.replace("[b]old", "")
