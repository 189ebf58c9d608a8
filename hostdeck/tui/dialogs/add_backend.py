"""Add (or edit) one backend: only the fields its kind needs, secrets masked. The connection is tested live with what
was typed before anything is saved (hostdeck.backends.onboarding, the same core as `hostdeck backend add`); the form
ends with a word: saved (the caller says it), cancelled, or the error shown here while the form stays open.

Without a usable keyring the form says so at once and offers the ways out; the secrets file is used only after its
button was pressed. An SSH backend's host key is shown (type and SHA256 fingerprint) and trusted in a confirm step
before the test runs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import Vertical
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button
from textual.widgets import Input
from textual.widgets import Label
from textual.widgets import OptionList
from textual.widgets import Static
from textual.widgets.option_list import Option

from hostdeck.backends.errors import ConfigError
from hostdeck.backends.errors import SecretError
from hostdeck.backends.kinds import KINDS
from hostdeck.backends.kinds import Kind
from hostdeck.backends.kinds import kind_named

from ..keys import keys
from ..reporting import ReportsFailures
from ..reporting import about
from ..safe_text import as_text
from .base import ButtonKeys

if TYPE_CHECKING:
    from hostdeck.backends.config import BackendConfig
    from hostdeck.backends.onboarding import Draft

MESSAGE_LIMIT = 1_500
AFTER_A_TRY = " Nothing was saved."  # how the no-keyring answer of a save begins its ways out
BEFORE_A_TRY = " The secrets typed here could not be stored."


def kind_options() -> list[Option]:
    """One line per kind: its title, its `kind` as the config writes it, what it is."""
    return [Option(Text.assemble((f"{k.title:<14}", "bold"), f" {k.kind:<11} ", (k.summary, "dim")), id=k.kind)
            for k in KINDS]


class KindDialog(ModalScreen[Kind | None]):
    """Which kind of backend to add (Connections' `a`); the welcome screen lists the same options inline."""

    BINDINGS = keys("add_kind", """
        escape  cancel  cancel  Cancel
    """)

    def __init__(self) -> None:
        super().__init__(classes="dialog")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box", classes="wide"):
            yield Label("Add a backend: which kind?", id="dialog-title")
            yield OptionList(*kind_options(), id="kind-list")

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(kind_named(event.option.id or ""))

    def action_cancel(self) -> None:
        self.dismiss(None)


class AddBackendDialog(ReportsFailures, ButtonKeys[str | None]):
    """Returns the name saved, or None when cancelled."""

    DEFAULT_CSS = """
    #add-fields { height: auto; }
    #file-store.hidden { display: none; }
    #add-fields .field-label { width: 38; padding-top: 1; }
    #add-foot { dock: bottom; height: auto; }
    #add-answer { height: auto; max-height: 7; }
    #add-status { height: auto; }
    """
    busy = False  # a test is under way: Enter again does not start a second one
    saving = False
    cancelled = False
    secret_store: str | None = None  # "file" once the person pressed "Use a secrets file"
    BINDINGS = keys("add_backend", """
        escape  cancel  cancel  Cancel
    """)

    def __init__(self, kind: Kind, config_file: Path, *, editing: BackendConfig | None = None) -> None:
        super().__init__(classes="dialog")
        self.kind = kind
        self.config_file = config_file
        self.editing = editing

    def compose(self) -> ComposeResult:
        verb = f"Edit {self.editing.name}" if self.editing else "Add"
        with Vertical(id="dialog-box", classes="wide"):
            yield Label(as_text(f"{verb}: {self.kind.title} ({self.kind.summary})"), id="dialog-title")
            with VerticalScroll(id="add-fields"):
                yield from self._row("name", "Name in hostdeck", self.editing.name if self.editing else
                                     self.kind.suggested_name, disabled=self.editing is not None)
                for option in self.kind.options:
                    yield from self._row(f"option-{option.key}", option.label + ("" if option.required else " (optional)"),
                                         self._initial(option.key, option.default), placeholder=option.placeholder)
                keep = " (empty: keep the stored one)" if self.editing else ""
                for secret in self.kind.secrets:
                    yield from self._row(f"secret-{secret.key}", secret.label + ("" if secret.required else " (optional)"),
                                         "", placeholder=f"hidden{keep}", password=True)
                yield Static(Text.assemble("Saved to ", as_text(str(self.config_file)), " (0600); secrets go to the "
                                           "OS keyring (or a secrets file, if you choose it), never to the config. "
                                           "The connection is tested first."), id="dialog-body")
            # docked under the fields: the answer (no keyring, a failed test) and the buttons stay on the screen
            with Vertical(id="add-foot"):
                with VerticalScroll(id="add-answer"):
                    yield Static("", id="add-status")
                with Horizontal(id="dialog-buttons"):
                    yield Button("Cancel", id="cancel")
                    yield Button("Use a secrets file", id="file-store", classes="hidden")
                    yield Button("Test and save", id="save", variant="primary")

    def _row(self, ident: str, label: str, value: str, *, placeholder: str = "", password: bool = False,
             disabled: bool = False) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(as_text(label), classes="field-label")
            yield Input(value, placeholder=placeholder, password=password, id=ident, disabled=disabled)

    def _initial(self, key: str, default: str) -> str:
        if self.editing is None:
            return default
        value = self.editing.url if key == "url" else self.editing.option(key)
        return default if value is None else str(value)

    def on_mount(self) -> None:
        next(i for i in self.query(Input) if not i.disabled).focus()
        if any(s.required for s in self.kind.secrets):  # an optional one is checked when it is typed
            name, options = self._value("name") or self.kind.suggested_name, self._draft_options()
            self.run_worker(lambda: self._check_store(name, options), thread=True, group="add-backend-store",
                            exit_on_error=False, description="Check that the keyring can store secrets")

    def _check_store(self, name: str, options: dict[str, Any]) -> None:
        """Say at once when the secrets could not be stored, with the ways out (keyring can block: a thread)."""
        from hostdeck.backends import onboarding

        try:
            d = onboarding.draft(self.config_file, name, self.kind.kind, options, replacing=self.editing is not None)
            in_env = onboarding.from_environment(d)  # read from there, never stored: no keyring needed
            onboarding.check_store(d, [s.key for s in self.kind.secrets if s.required and s.key not in in_env])
        except SecretError as exc:
            self.app.call_from_thread(self._no_keyring, str(exc))
        except (ConfigError, OSError):
            return  # an option still to be filled in: the test and save says it

    def _draft_options(self) -> dict[str, Any]:
        try:
            return self._options()
        except ConfigError:
            return {}

    def _no_keyring(self, text: str) -> None:
        """Said as the form opens: nothing was tried yet, so the words are about what would happen."""
        self._say(text.replace(AFTER_A_TRY, BEFORE_A_TRY), error=True, scroll=False)
        self.query_one("#file-store", Button).remove_class("hidden")

    @on(Button.Pressed, "#file-store")
    def use_secrets_file(self) -> None:
        from hostdeck.backends.secret_file import file_beside

        self.secret_store = "file"
        button = self.query_one("#file-store", Button)
        button.label, button.disabled = "Secrets file chosen", True
        self._say(f"Secrets will go to {file_beside(self.config_file)} (mode 0600, only you can read it), and "
                  '[general] secret_store = "file" is written with the backend. Nothing is saved before the test '
                  "passes: press Test and save.")
        self.query_one("#save", Button).focus()

    def _say(self, text: str, *, error: bool = False, scroll: bool = True) -> None:
        """`scroll`: bring the answer into view (not while the person is about to type in the first field)."""
        status = self.query_one("#add-status", Static)
        status.update(as_text(text, "bold red" if error else "bold", limit=MESSAGE_LIMIT, multiline=True))
        if scroll:
            self.call_after_refresh(status.scroll_visible, animate=False)

    def _value(self, ident: str) -> str:
        return self.query_one(f"#{ident}", Input).value.strip()

    def _options(self) -> dict[str, Any]:
        from hostdeck.backends.onboarding import option_value
        from hostdeck.backends.onboarding import options_of

        options: dict[str, Any] = options_of(self.editing) if self.editing else {}
        for option in self.kind.options:
            text = self._value(f"option-{option.key}")
            options.pop(option.key, None)
            if not text:
                if option.required:
                    raise ConfigError(f"{option.label} is needed.", fix=f"fill it in, e.g. {option.placeholder}.")
                continue
            if not (option.implied and text == option.default):
                options[option.key] = option_value(text)
        return options

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def submit(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.query_one("#save", Button).disabled = True
        about(self.run_worker(self._submit(), group="add-backend", exclusive=True, exit_on_error=False,
                              description=f"Test and save backend {self._value('name')}"), backend=None)

    async def _submit(self) -> None:
        from hostdeck.backends import onboarding

        try:
            name = self._value("name")
            d = onboarding.draft(self.config_file, name, self.kind.kind, self._options(),
                                 replacing=self.editing is not None, secret_store=self.secret_store)
            given = {f: self.query_one(f"#secret-{f}", Input).value for f in d.secret_fields if self.query(f"#secret-{f}")}
            from_env = {f: v for f, v in onboarding.from_environment(d).items() if not given.get(f)}
            to_store = {f: v for f, v in given.items() if v}
            await asyncio.to_thread(onboarding.check_store, d, to_store)
            tested = given | from_env
            if self.editing:  # an empty field keeps the stored secret: test with it, store nothing new for it
                tested |= await asyncio.to_thread(self._stored, d, [f for f, v in tested.items() if not v])
            required = {s.key for s in self.kind.secrets if s.required}
            missing = [f for f in d.secret_fields if f in required and not tested.get(f)]
            if missing:
                raise SecretError(f"{', '.join(missing)} is needed to connect.")
            trusted = await self._trusted_host_key(d, tested)
            if trusted is None:
                return
            d = trusted
            self._say(f"Testing the connection to {name}…")
            report = await onboarding.test_draft(d, tested)
            if not report.ok:
                self._say(f"The connection test failed, so nothing was saved: {report.error or 'no reason given'}",
                          error=True)
                return
            if self.cancelled:  # escape while the test ran: the person was told nothing is saved
                return
            self.saving = True
            await asyncio.to_thread(onboarding.save, d, to_store)
        except SecretError as exc:
            self._say(str(exc), error=True)
            if "No usable keyring" in str(exc) and self.secret_store is None:
                self.query_one("#file-store", Button).remove_class("hidden")
            return
        except (ConfigError, OSError) as exc:
            self._say(f"Not saved: {exc}", error=True)
            return
        finally:
            self.busy = self.saving = False
            if self.is_mounted:
                self.query_one("#save", Button).disabled = False
        self.dismiss(name)

    async def _trusted_host_key(self, d: Draft, values: dict[str, str]) -> Draft | None:
        """An SSH backend's host key, shown and trusted in a confirm step before the test (pinned in its table);
        None after saying why nothing goes further. Other kinds pass through."""
        from hostdeck.backends import onboarding

        self._say(f"Fetching the SSH host key of {d.name}…")
        key = await onboarding.presented_host_key(d, values)
        if key is None or key.state in ("trusted", "pinned"):
            return d
        if key.state == "changed":
            self._say(f"{key.host}:{key.port} presents {key.key_type} {key.fingerprint}, but "
                      f"{', '.join(key.expected)} is the key given for it: refused, nothing was saved. Only if the "
                      "server's administrator confirms the new key, put it in the host key fingerprint field.",
                      error=True)
            return None
        from .confirm import ConfirmDialog

        trust = await self.app.push_screen_wait(ConfirmDialog(
            f"Trust the SSH host key of {key.host}?", backend=d.name, target=f"{key.host}:{key.port}",
            call=f"{key.key_type} {key.fingerprint}", confirm_label="Trust", danger=False,
            warning="hostdeck has not seen this server before. Compare the fingerprint with the server's own "
                    "(`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on it). Trusting keeps it with the backend "
                    "(host_key_fingerprint); a different key later is refused."))
        if not trust:
            self._say("Host key not trusted: nothing was sent to the server and nothing was saved.", error=True)
            return None
        return onboarding.trusting(d, key)

    @staticmethod
    def _stored(d: Draft, fields: list[str]) -> dict[str, str]:
        return {f: v for f in fields if (v := d.store.get(d.name, f)[0])}

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.saving:  # the keyring and the file are being written: stopping now could leave half of it
            self._say("Saving: a moment, it cannot be stopped halfway.")
            return
        self.cancelled = True
        self.dismiss(None)
