"""Write SVG screenshots of every screen and dialog, in demo mode, to this folder.

    .venv/bin/python screenshots/generate.py                  # demo mode
    .venv/bin/python screenshots/generate.py --first-start    # the welcome screen and the add form, no config
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SIZE = (150, 42)


async def main() -> None:
    from hostdeck.cli.context import CommandContext
    from hostdeck.tui.app import HostdeckApp

    context = CommandContext(SimpleNamespace(demo=True, read_only=False, config=None))
    with context as workspace:
        app = HostdeckApp(workspace, demo=True, auto_refresh=False)
        async with app.run_test(size=SIZE) as pilot:

            async def settle() -> None:
                await pilot.pause()
                await app.workers.wait_for_complete()
                await pilot.pause(0.2)

            async def confirm_bulk() -> None:
                """Sync's bulk writes ask first (the list of what they change); the pictures show them done."""
                from hostdeck.tui.dialogs.bulk_confirm import BulkConfirmDialog

                if isinstance(app.screen, BulkConfirmDialog):
                    await pilot.click("#confirm")
                    await settle()

            def shot(name: str) -> None:
                app.save_screenshot(filename=f"{name}.svg", path=str(HERE))
                print(f"screenshots/{name}.svg")

            await settle()
            shot("servers")
            screen = app.screen
            running = sorted((s for s in screen.servers.values() if s.raw_status == "running"), key=lambda s: s.name)
            target = running[3]
            screen.select_server(target.key)
            await pilot.press("enter")
            await settle()
            shot("details")
            await pilot.press("d", "slash", *"db-")
            await settle()
            shot("filter")
            await pilot.press("escape")
            screen.select_server(target.key)
            await pilot.press("a")
            await settle()
            shot("action-menu")
            await pilot.press("escape")
            screen.run_action("delete", target)
            await settle()
            await pilot.click("#confirm-text")
            await pilot.press(*target.name[:4])
            shot("confirm-delete")
            await pilot.press("escape")
            screen.run_action("reset_password", target)
            await settle()
            await pilot.click("#confirm")
            await settle()
            shot("password")
            await pilot.press("escape")
            screen.run_action("metrics", target)
            await settle()
            await pilot.pause(0.3)
            shot("metrics")
            await pilot.press("escape")
            stopped = sorted((s for s in screen.servers.values() if s.backend == "hz" and s.raw_status == "off"),
                             key=lambda s: s.name)[0]
            screen.run_action("change_type", stopped)
            await settle()
            await pilot.pause(0.3)
            shot("change-type")
            await pilot.press("escape")
            await settle()
            screen.select_server(target.key)
            await pilot.press("space", "down", "space", "down", "space", "a")
            await settle()
            await pilot.press("down", "down", "enter")   # reboot the three marked servers: the confirmation lists them
            await settle()
            shot("bulk-confirm")
            await pilot.press("escape")
            await settle()
            await pilot.press("escape")   # the marks
            await pilot.press("n")
            await settle()
            await pilot.press(*"web-new-01")
            await settle()
            shot("create-server")
            await pilot.press("escape")
            await pilot.press("question_mark")
            await settle()
            shot("help")
            await pilot.press("escape")
            for key, name in (("2", "catalog"), ("5", "logs"), ("6", "connections")):
                await pilot.press(key)
                await settle()
                if name == "connections":
                    await pilot.press("T")  # test all
                    await settle()
                await pilot.pause(0.3)
                await settle()
                shot(name)
            await pilot.press("2")
            await settle()
            app.screen.query_one("#catalog-tabs").active = "tab-node"
            await settle()
            shot("catalog-nodes")
            await pilot.press("1")
            await settle()
            screen.action_filter()
            await pilot.press(*"vps")
            await settle()
            shot("convoy")
            convoy = sorted((s for s in screen.servers.values() if s.backend == "vps" and s.status.value == "running"),
                            key=lambda s: s.name)[0]
            await pilot.press("escape")
            screen.select_server(convoy.key)
            await pilot.press("a")
            await settle()
            shot("convoy-actions")
            await pilot.press("escape")
            await pilot.press("3")
            await settle()
            await pilot.press("p")
            await settle()
            await confirm_bulk()
            await pilot.pause(0.5)
            await settle()
            app.clear_notifications()
            shot("sync")
            await pilot.press("s")
            await settle()
            await settle()
            shot("services")
            await pilot.press("A")
            await settle()
            await confirm_bulk()
            await settle()
            await pilot.press("d")
            await settle()
            await settle()
            app.clear_notifications()
            shot("drift")
            await pilot.press("1")
            await settle()
            await pilot.press("r")
            await settle()
            billed = sorted((s for s in screen.servers.values() if s.billing_link and s.backend == "hz"
                             and s.raw_status == "running"), key=lambda s: s.name)
            if billed:
                screen.select_server(billed[0].key)
                await pilot.press("a")
                await settle()
                shot("billing-actions")
                await pilot.press("escape")
            await pilot.press("3")
            await settle()
            await pilot.press("4")
            await settle()
            from hostdeck.backends.cloudpanel.spec import SiteSpec

            sites = app.screen
            await sites.pipeline.start(SiteSpec(domain="shop.demo.example", kind="php", site_user="shopdemo"),
                                       alt_names=["www.shop.demo.example"])
            sites.load()
            await settle()
            shot("sites")
            await pilot.press("7")
            await settle()
            linked = next((s for s in screen.servers.values() if s.billing_link and s.ipv4), None)
            if linked is not None:
                await pilot.press(*linked.ipv4)
                await settle()
                await pilot.pause(0.5)
                await settle()
                shot("customers")
            await pilot.press("1")
            await settle()
            await pilot.press("ctrl+p")
            await pilot.press(*"web-00")
            await pilot.pause(0.5)
            shot("palette")


async def first_start() -> None:
    """The first start without a config: the welcome screen and the add form (a fixed config path; nothing is saved)."""
    import os

    from hostdeck.backends.config import Config
    from hostdeck.backends.secrets import Secrets
    from hostdeck.backends.workspace import Workspace
    from hostdeck.tui.app import HostdeckApp

    os.environ["HOSTDECK_CONFIG"] = "/home/ana/.config/hostdeck/config.toml"
    app = HostdeckApp(Workspace(Config(path=None), Secrets(isolated=True)), auto_refresh=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        app.save_screenshot(filename="welcome.svg", path=str(HERE))
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        for ident, value in (("#option-url", "https://pve-1.example.com:8006"),
                             ("#option-token_id", "hostdeck@pve!hostdeck"), ("#secret-token_secret", "not-shown-0123")):
            app.screen.query_one(ident).value = value
        await pilot.pause(0.2)
        app.save_screenshot(filename="add-backend.svg", path=str(HERE))
    print("screenshots/welcome.svg\nscreenshots/add-backend.svg")


if __name__ == "__main__":
    asyncio.run(main() if "--first-start" not in sys.argv else first_start())
