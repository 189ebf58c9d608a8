"""New Convoy server: node, template of that node and owner from the panel, sizes in MB/GB; checked as you type."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import cast

from textual import on
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import VerticalScroll
from textual.widgets import Button
from textual.widgets import Input
from textual.widgets import Label
from textual.widgets import Select
from textual.widgets import Static

from hostdeck.backends.models import CatalogKind

from ..safe_text import as_text
from .server_form import ServerForm

if TYPE_CHECKING:
    from hostdeck.backends.convoy.adapter import ConvoyAdapter

LIMIT = 200  # characters of a node or template name in a choice



class CreateConvoyServerDialog(ServerForm):
    SUBMIT = "#create"
    REQUIRED = ("#name", "#node", "#template", "#owner", "#cpu", "#memory", "#disk")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog-box", classes="wide"):
            yield Label(as_text(f"New server on {self.adapter.name} (Convoy)"), id="dialog-title")
            yield Static("Loading nodes and templates…", id="catalog-source")
            yield Label("Name (1-40 characters) and host name")
            with Horizontal(classes="row"):
                yield Input(placeholder="c-1001 vps", id="name")
                yield Input(placeholder="vps1.example.com", id="hostname")
            yield Label("Node (free memory and disk)")
            yield Select([], id="node", prompt="node")
            yield Label("Template of that node")
            yield Select([], id="template", prompt="template")
            yield Label("Owner: the panel user's email")
            yield Input(placeholder="customer@example.com", id="owner")
            yield Label("CPU cores · memory MB · disk GB · bandwidth GB (empty: unlimited)")
            with Horizontal(classes="row"):
                yield Input("2", id="cpu", type="integer")
                yield Input("2048", id="memory", type="integer")
                yield Input("20", id="disk", type="integer")
                yield Input("", id="bandwidth", type="integer", placeholder="unlimited")
            yield Static("", id="name-problem")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create", id="create", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self.load()

    @work(exit_on_error=False, description="Load the nodes and templates for a new server")
    async def load(self) -> None:
        await self.app.backends_ready()
        self.catalog = catalog = await self.adapter.catalog()
        nodes = []
        for n in catalog.of_kind(CatalogKind.NODE):
            free_mem, free_disk = n.attrs.get("memory_free_mb"), n.attrs.get("disk_free_gb")
            nodes.append((as_text(f"{n.name}: {(free_mem or 0) / 1024:.0f} GB memory, {free_disk or 0} GB disk free",
                                  limit=LIMIT), n.id))
        self.query_one("#node", Select).set_options(nodes)
        self.query_one("#catalog-source", Static).update(as_text(f"catalog: {catalog.source.value}", "dim"))

    @on(Select.Changed, "#node")
    def _node(self) -> None:
        node = self.query_one("#node", Select).value
        templates = [(as_text(f"{t.name} ({t.attrs.get('group')})", limit=LIMIT), t.id) for t in (self.catalog.of_kind(CatalogKind.TEMPLATE)
                     if self.catalog else []) if str(t.attrs.get("node_id")) == str(node) and not t.deprecated]
        self.query_one("#template", Select).set_options(templates)
        self._validate()

    @on(Input.Changed)
    @on(Select.Changed, "#template")
    def _validate(self) -> None:
        from hostdeck.backends.convoy.spec import ConvoyServerSpec

        problems = [f"{field}: {why}" for field, why in self._spec(ConvoyServerSpec, user_id=1).problems()
                    if field not in ("user_id",)] if self._complete() else []
        owner = self.query_one("#owner", Input).value.strip()
        if owner and "@" not in owner:
            problems.append("owner: an email address")
        self.query_one("#name-problem", Static).update(as_text("\n".join(problems), "red", multiline=True))
        self.query_one("#create", Button).disabled = not self._complete() or bool(problems) or not owner

    def _complete(self) -> bool:
        return all(self.query_one(f"#{i}", Select).value not in (Select.NULL, None) for i in ("node", "template")) and \
            all(self.query_one(f"#{i}", Input).value.strip() for i in ("name", "cpu", "memory", "disk"))

    def _spec(self, cls, *, user_id: int):
        def number(widget: str) -> int | None:
            text = self.query_one(f"#{widget}", Input).value.strip()
            return int(text) if text.lstrip("-").isdigit() else None

        name = self.query_one("#name", Input).value
        return cls(name=name, hostname=self.query_one("#hostname", Input).value.strip() or name.strip().replace(" ", "-"),
                   user_id=user_id, node_id=int(str(self.query_one("#node", Select).value)),
                   template_uuid=str(self.query_one("#template", Select).value), cpu=number("cpu") or 0,
                   memory_mb=number("memory") or 0, disk_gb=number("disk") or 0, bandwidth_gb=number("bandwidth"))

    @on(Button.Pressed, "#create")
    @work(exit_on_error=False, description="Look up the owner of the new server")
    async def _create(self) -> None:
        from hostdeck.backends.convoy.spec import ConvoyServerSpec

        email = self.query_one("#owner", Input).value.strip()
        user = await cast("ConvoyAdapter", self.adapter).find_user(email)  # this form is offered for Convoy only
        if user is None:
            self.query_one("#name-problem", Static).update(as_text(f"no panel user has the email {email}", "red"))
            return
        self.dismiss((self.adapter, self._spec(ConvoyServerSpec, user_id=user.id)))

    def show_failure(self, worker, failure) -> None:
        from rich.text import Text

        # the dialog ends with the error, not "Loading…"; Cancel closes it
        where = "#catalog-source" if worker.name == "load" else "#name-problem"
        self.query_one(where, Static).update(Text(failure.text, style="red"))
