"""New site: the domain checked as you type (IDNA included), the type and its options, analytics on or off."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import VerticalScroll
from textual.widgets import Button
from textual.widgets import Checkbox
from textual.widgets import Input
from textual.widgets import Label
from textual.widgets import Select
from textual.widgets import Static

from ..safe_text import as_text
from .base import Dialog

KINDS = [("PHP", "php"), ("Static HTML", "static"), ("Node.js", "nodejs"), ("Python", "python"),
         ("Reverse proxy", "reverse-proxy")]


class CreateSiteDialog(Dialog[dict | None]):
    SUBMIT = "#create"
    REQUIRED = ("#domain",)

    def __init__(self, backend: str, *, analytics_available: bool) -> None:
        super().__init__()
        self.backend = backend
        self.analytics_available = analytics_available

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog-box", classes="wide"):
            yield Label(as_text(f"New site on {self.backend}"), id="dialog-title")
            yield Label("Domain")
            yield Input(placeholder="shop.example.com", id="domain")
            yield Static("", id="domain-problem")
            yield Label("Type")
            yield Select(KINDS, value="php", allow_blank=False, id="kind")
            yield Label("Site user (Linux user of the site)")
            yield Input(placeholder="from the domain", id="site-user")
            yield Label("Version (PHP 8.3 · Node.js 22 · Python 3.12) / reverse proxy target URL")
            yield Input(placeholder="8.3", id="option")
            yield Label("Alternative names for the certificate (comma separated)")
            yield Input(placeholder="www.shop.example.com", id="alt-names")
            yield Checkbox("Register in Matomo", value=self.analytics_available, disabled=not self.analytics_available,
                           id="analytics")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create", id="create", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#domain", Input).focus()

    @on(Input.Changed)
    @on(Select.Changed)
    def _validate(self) -> None:
        from hostdeck.backends.cloudpanel import validate
        from hostdeck.backends.errors import ValidationError

        problems: list[Text] = []  # Text, not markup: messages quote what was typed
        domain = self.query_one("#domain", Input).value.strip()
        if domain:
            try:
                shown = validate.domain(domain)
                if shown != domain.lower():
                    problems.append(as_text(f"sent as {shown}", "dim"))
            except ValidationError as exc:
                problems.append(as_text(exc.message, "red"))
        alt = self.query_one("#alt-names", Input).value
        if domain and alt.strip():
            try:
                validate.alternative_names([a.strip() for a in alt.split(",") if a.strip()], domain)
            except ValidationError as exc:
                problems.append(as_text(exc.message, "red"))
        user = self.query_one("#site-user", Input).value.strip()
        if user:
            try:
                validate.site_user(user)
            except ValidationError as exc:
                problems.append(as_text(exc.message, "red"))
        self.query_one("#domain-problem", Static).update(Text("\n").join(problems))
        self.query_one("#create", Button).disabled = not domain or any(p.style == "red" for p in problems)

    @on(Button.Pressed, "#create")
    def _create(self) -> None:
        kind = self.query_one("#kind", Select).value
        option = self.query_one("#option", Input).value.strip()
        domain = self.query_one("#domain", Input).value.strip()
        user = self.query_one("#site-user", Input).value.strip() or \
            "".join(c for c in domain.split(".")[0] if c.isalnum())[:16] or "site"
        fields = {"domain": domain, "kind": kind, "site_user": user}
        if option:
            key = {"php": "php_version", "nodejs": "nodejs_version", "python": "python_version",
                   "reverse-proxy": "reverse_proxy_url"}.get(str(kind))
            if key:
                fields[key] = option
        alt = [a.strip() for a in self.query_one("#alt-names", Input).value.split(",") if a.strip()]
        self.dismiss({"spec": fields, "alt_names": alt, "analytics": self.query_one("#analytics", Checkbox).value})
