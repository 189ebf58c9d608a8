"""The first start without a config: what hostdeck does, where its config lives, and a way to add each kind of
backend (or to try the demo)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets import OptionList
from textual.widgets import Static

from hostdeck.backends.kinds import Kind
from hostdeck.backends.kinds import kind_named

from ..dialogs.add_backend import AddBackendDialog
from ..dialogs.add_backend import kind_options
from ..hosted import OnHostdeckApp
from ..keys import keys
from ..safe_text import as_text
from ..widgets.topbar import TopBar

if TYPE_CHECKING:
    from hostdeck.backends.config import BackendConfig

ABOUT = ("One terminal console over your hosting systems: servers on Hetzner Cloud, ConvoyPanel and Proxmox, "
         "billing in WHMCS, sites on CloudPanel, analytics in Matomo, your VPS panel: state, actions, sync, logs.")


def config_file(app: object) -> Path:
    """The config file this app reads, or the one it would create (HOSTDECK_CONFIG or the platform's default)."""
    from hostdeck.backends.paths import config_path

    path: Path | None = app.workspace.config.path  # type: ignore[attr-defined]  # a HostdeckApp
    return path or config_path(None)[0]


def load_saved(app: Any, name: str) -> str:
    """A backend just saved to the config is loaded into the running app (its servers listed now; an edited one
    replaces the one running); the words that say it."""
    from hostdeck.backends.onboarding import configured

    path = config_file(app)
    replaced = app.workspace.load_backend(configured(path, name))
    if replaced is not None:   # its HTTP clients closed in the background, as a rejected credential's are
        replaced._retire(replaced)
    app.health[name] = ("unknown", "")
    app.connection_reports.pop(name, None)
    if app.servers_screen is not None:  # shown before: list again, with the new backend
        app.servers_screen.refresh_servers()
    return f"Saved {name} to {path}; its servers are loading."


def ask_to_add(screen: Screen[Any], kind: Kind, *, then: Callable[[str], str] | None = None,
               editing: BackendConfig | None = None) -> None:
    """Open the add (or edit) form for `kind`; every ending is said: saved, or cancelled (errors are said inside
    the form, which stays open). `then(name)` runs after a save and returns the words that say it."""
    path = config_file(screen.app)
    doing = f"Edit {editing.name}" if editing else f"Add {kind.title} backend"

    def answered(name: str | None) -> None:
        if name is None:
            screen.notify(f"{doing}: cancelled, nothing was saved.", timeout=4)
            return
        screen.notify((then or (lambda saved: load_saved(screen.app, saved)))(name), timeout=10)

    screen.app.push_screen(AddBackendDialog(kind, path, editing=editing), answered)


class WelcomeScreen(OnHostdeckApp, Screen[None]):
    AUTO_FOCUS = "#welcome-kinds"
    DEFAULT_CSS = """
    #welcome { padding: 0 2; height: 1fr; }
    #welcome Static { margin-bottom: 1; }
    #welcome #welcome-add, #welcome #welcome-demo, #welcome #welcome-saved { margin-bottom: 0; }
    #welcome-kinds { height: auto; }
    """
    BINDINGS = keys("welcome", """
        a  add  add_selected  Add backend
    """)

    def compose(self) -> ComposeResult:
        yield TopBar("Welcome")
        with VerticalScroll(id="welcome"):  # fits 80x24; a shorter terminal scrolls
            yield Static(Text.assemble(("Welcome to hostdeck. ", "bold"), ABOUT), id="welcome-about")
            yield Static(Text.assemble("No backends are configured yet. Your config file: ",
                                       as_text(str(config_file(self.app)), "bold"),
                                       " (written for you, mode 0600; secrets go to the OS keyring)."),
                         id="welcome-config")
            yield Static(Text("Add a backend (Enter); each is tested before it is saved:", style="bold"),
                         id="welcome-add")
            yield OptionList(*kind_options(), id="welcome-kinds")
            yield Static(Text.assemble("Just looking? Quit (q) and start ", ("hostdeck --demo", "bold"),
                                       ": simulated backends, nothing real is touched. The command line does the same: ",
                                       ("hostdeck backend add NAME --kind KIND", "bold"), "."), id="welcome-demo")
            yield Static("", id="welcome-saved")
        yield Footer()

    @on(OptionList.OptionHighlighted)
    def _keep_the_kinds_in_view(self) -> None:
        """On a short terminal the page scrolls: the list (and so its highlighted kind) stays on the screen."""
        self.query_one("#welcome", VerticalScroll).scroll_to_widget(self.query_one(OptionList), animate=False)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            ask_to_add(self, kind_named(event.option.id), then=self._saved)

    def action_add_selected(self) -> None:
        kinds = self.query_one(OptionList)
        if kinds.highlighted is not None:
            option_id = kinds.get_option_at_index(kinds.highlighted).id
            if option_id:
                ask_to_add(self, kind_named(option_id), then=self._saved)

    def _saved(self, name: str) -> str:
        """The first backend loads now: its servers are listed without a restart."""
        said = load_saved(self.app, name)
        self._use_the_chosen_store(config_file(self.app))
        self.app.switch_mode("servers")
        return said

    def _use_the_chosen_store(self, path: Path) -> None:
        """The secrets file chosen in the form holds the new backend's secrets: this session reads it too."""
        from hostdeck.backends.config import load_config
        from hostdeck.backends.secrets import secrets_for

        chosen = secrets_for(load_config(str(path)))
        if chosen.file is not None:
            self.app.workspace.secrets.file = chosen.file
