"""The `:` command line, as in k9s: `:servers`, `:sync` ... switch screens; the catalogue's actions (`:reboot`,
`:power_reboot`, `:delete`) run on the selected server; `:help` and `:quit`. What a word means, its completions, and
running it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Literal

from hostdeck.backends.actions import SERVER_ACTIONS

if TYPE_CHECKING:
    from .app import HostdeckApp

APP_WORDS = {"help": "help", "quit": "quit", "q": "quit"}


@dataclass(frozen=True)
class Command:
    kind: Literal["mode", "action", "app"]
    target: str  # the mode, the action id, or the app action


def command_words(modes: Iterable[str]) -> dict[str, Command]:
    """Every word the line understands. A power action also answers to its short name (`reboot` for power_reboot)."""
    words = {mode: Command("mode", mode) for mode in modes}
    for action in SERVER_ACTIONS:
        words.setdefault(action.id, Command("action", action.id))
        if action.id.startswith("power_"):
            words.setdefault(action.id.removeprefix("power_"), Command("action", action.id))
    for word, target in APP_WORDS.items():
        words.setdefault(word, Command("app", target))
    return words


def parse(text: str, words: dict[str, Command]) -> Command | None:
    """`:reboot`, ` Servers `: the word with or without its colon, in any case; None when it is not one."""
    return words.get(text.strip().removeprefix(":").strip().lower())


def completions(text: str, words: Iterable[str]) -> list[str]:
    """The words that start with what is typed, shortest first."""
    prefix = text.strip().removeprefix(":").strip().lower()
    return sorted((w for w in words if w.startswith(prefix)), key=lambda w: (len(w), w))


def unknown_text(typed: str) -> str:
    return (f"Unknown command :{typed.strip().removeprefix(':')}. Try :servers, :catalog, :sync, :sites, :logs, "
            ":connections, :customers, an action on the selected server (:reboot, :delete, …), :help or :quit; Tab completes.")


async def run(app: HostdeckApp, typed: str) -> None:
    """Say what went wrong (an unknown word, no server selected) rather than do nothing."""
    command = parse(typed, command_words(app.MODES))
    if command is None:
        if typed.strip().removeprefix(":").strip():
            app.notify(unknown_text(typed), severity="warning", timeout=8)
        return
    if command.kind == "mode":
        await app.switch_mode(command.target)
    elif command.kind == "app":
        await app.run_action(command.target)
    else:
        screen = app.servers_screen
        server = screen.selected if screen is not None else None
        if screen is None or server is None:
            app.notify(f"No server is selected: :{command.target} runs on the server selected on the Servers screen.",
                       severity="warning", timeout=8)
            return
        await app.switch_mode("servers")
        screen.run_action(command.target, server)
