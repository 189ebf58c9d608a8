"""Command palette providers: every screen, every server by name, every action on the selected server."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING
from typing import Any
from typing import cast

from textual.command import DiscoveryHit
from textual.command import Hit
from textual.command import Hits
from textual.command import Matcher
from textual.command import Provider
from textual.content import Content

from .safe_text import markup_literal
from .safe_text import visible

if TYPE_CHECKING:
    from .app import HostdeckApp

LIMIT = 200  # characters of a server name or action in the palette


def _highlight(matcher: Matcher, candidate: str) -> Content:
    """`matcher.highlight` without markup: it parses the candidate as markup, which server names are not."""
    content = Content(candidate)
    for offset in matcher.fuzzy_search.match(matcher.query, candidate)[1]:
        if not candidate[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class _HostdeckProvider(Provider):
    @property
    def hostdeck(self) -> HostdeckApp:
        return cast("HostdeckApp", self.app)


class ScreensProvider(_HostdeckProvider):
    def _items(self) -> Iterator[tuple[str, Callable[[], Any], str]]:
        for mode, title in self.hostdeck.MODE_TITLES.items():
            yield f"Go to {title}", partial(self.app.switch_mode, mode), f"switch to the {title} screen"

    async def discover(self) -> Hits:
        for name, callback, help_text in self._items():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._items():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


def _servers_screen(app: HostdeckApp) -> Any:
    """The Servers screen once it has been shown (it registers itself on mount), else None."""
    return getattr(app, "servers_screen", None)


class ServersProvider(_HostdeckProvider):
    async def search(self, query: str) -> Hits:
        screen = _servers_screen(self.hostdeck)
        if screen is None:
            return
        matcher = self.matcher(query)
        for key, server in list(screen.servers.items()):
            text = visible(f"{server.name} ({server.backend})", limit=LIMIT)
            score = matcher.match(text)
            if score > 0:
                # the palette reads `help` as markup: markup_literal shows it as it is
                yield Hit(score, _highlight(matcher, text), partial(self._jump, key), text=text,
                          help=markup_literal(f"{server.status.value} · {server.ipv4 or server.ipv6 or ''} · "
                                              f"{server.plan or ''}", limit=LIMIT))

    def _jump(self, key: tuple[str, str]) -> None:
        self.app.switch_mode("servers")
        screen = _servers_screen(self.hostdeck)
        if screen is not None:
            screen.select_server(key)


class ServerActionsProvider(_HostdeckProvider):
    async def search(self, query: str) -> Hits:
        from .screens.server_actions import build_menu

        screen = _servers_screen(self.hostdeck)
        server = screen.selected if screen else None
        if server is None:
            return
        adapter = self.hostdeck.workspace.adapter(server.backend)
        matcher = self.matcher(query)
        for item in build_menu(adapter, server, read_only=self.hostdeck.read_only):
            if item.unavailable:
                continue
            text = visible(f"{item.label}: {server.name}", limit=LIMIT)
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, _highlight(matcher, text), partial(screen.run_action, item.id, server), text=text,
                          help=markup_literal(item.call, limit=LIMIT))
