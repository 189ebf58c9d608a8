"""Command palette providers: every screen, every server by name, every action on the selected server."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ScreensProvider(Provider):
    def _items(self):
        for mode, title in self.app.MODE_TITLES.items():
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


def _servers_screen(app):
    """The Servers screen once it has been shown (it registers itself on mount), else None."""
    return getattr(app, "servers_screen", None)


class ServersProvider(Provider):
    async def search(self, query: str) -> Hits:
        screen = _servers_screen(self.app)
        if screen is None:
            return
        matcher = self.matcher(query)
        for key, server in list(screen.servers.items()):
            text = f"{server.name} ({server.backend})"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self._jump, key),
                          help=f"{server.status.value} · {server.ipv4 or server.ipv6 or ''} · {server.plan or ''}")

    def _jump(self, key) -> None:
        self.app.switch_mode("servers")
        screen = _servers_screen(self.app)
        if screen is not None:
            screen.select_server(key)


class ServerActionsProvider(Provider):
    async def search(self, query: str) -> Hits:
        from .screens.server_actions import build_menu

        screen = _servers_screen(self.app)
        server = screen.selected if screen else None
        if server is None:
            return
        adapter = self.app.workspace.adapter(server.backend)
        matcher = self.matcher(query)
        for item in build_menu(adapter, server, read_only=self.app.read_only):
            if item.unavailable:
                continue
            text = f"{item.label}: {server.name}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(screen.run_action, item.id, server), help=item.call)
