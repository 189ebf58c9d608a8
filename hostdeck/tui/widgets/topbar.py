"""The top bar: where you are, which backends are healthy, degraded or failing (the app reads that from the event
log), and the read-only badge. Hovering it shows what the latest failure of each backend said."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from ..safe_text import visible

STATE_STYLE = {"ok": "green", "degraded": "yellow", "failing": "bold red", "unknown": "dim"}
STATE_MARK = {"ok": "●", "degraded": "◐", "failing": "✖", "unknown": "○"}
STATE_WORDS = {"ok": "answering", "degraded": "slow or partly failing", "failing": "failing",
               "unknown": "not asked yet"}


def legend() -> Text:
    """What the marks beside the backend names mean (the tooltip and the help screen)."""
    return Text("  ").join(Text.assemble((STATE_MARK[state], STATE_STYLE[state]), f" {words}")
                           for state, words in STATE_WORDS.items())


class TopBar(Widget):
    DEFAULT_CSS = """
    TopBar { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, screen_title: str) -> None:
        super().__init__()
        self.screen_title = screen_title

    def on_mount(self) -> None:
        self.tooltip = legend()
        self.watch(self.app, "health_version", self._health_changed)

    def _health_changed(self, _version: int) -> None:
        said = [f"{backend} {state}: {detail}" for backend, (state, detail) in sorted(getattr(self.app, "health", {}).items())
                if state in ("degraded", "failing") and detail]
        self.tooltip = Text("\n").join([legend(), *map(Text, said)])
        self.refresh()

    def render(self) -> Text:
        """The badges are placed first and never cut; the screen list, then the backend names, give way to them."""
        app = self.app
        badges = Text()
        if getattr(app, "read_only", False):
            badges.append(" READ-ONLY ", style="bold black on yellow")
        if getattr(app, "demo", False):
            badges.append(" DEMO ", style="bold black on cyan")
        health = sorted(getattr(app, "health", {}).items())
        room = max(self.content_size.width - badges.cell_len, 0)
        for with_modes, with_names in ((True, True), (False, True), (False, False)):
            left = self._left_part(with_modes, with_names, health)
            if left.cell_len <= room:
                break
        left.truncate(room, overflow="ellipsis")
        return Text.assemble(left, badges)

    def _left_part(self, with_modes: bool, with_names: bool, health: list[tuple[str, tuple[str, str]]]) -> Text:
        text = Text()
        text.append(" hostdeck ", style="bold reverse")
        text.append(f" {self.screen_title} ", style="bold")
        if with_modes:
            for index, title in enumerate(getattr(self.app, "MODE_TITLES", {}).values(), start=1):
                style = "bold underline" if title == self.screen_title else "dim"
                text.append(f" {index}:{title}", style=style)
            text.append("   ")
        for backend, (state, _detail) in health:
            name = f" {visible(backend, limit=40)}" if with_names else ""
            text.append(f"{STATE_MARK.get(state, '?')}{name} ", style=STATE_STYLE.get(state, ""))
        return text
