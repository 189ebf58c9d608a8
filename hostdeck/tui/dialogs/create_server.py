"""Create a server: only valid choices from the catalog, the name validated as you type."""

from __future__ import annotations

from textual import on
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import VerticalScroll
from textual.widgets import Button
from textual.widgets import Checkbox
from textual.widgets import Input
from textual.widgets import Label
from textual.widgets import Select
from textual.widgets import SelectionList
from textual.widgets import Static

from hostdeck.backends.models import CatalogKind
from hostdeck.backends.models import ServerSpec
from hostdeck.backends.validate import hostname_problem

from ..format import age_text
from ..safe_text import as_text
from .server_form import ServerForm

LIMIT = 200  # characters of a catalog name or description in a choice


class CreateServerDialog(ServerForm):
    SUBMIT = "#create"
    REQUIRED = ("#name", "#location", "#type", "#image")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog-box", classes="wide"):
            yield Label(as_text(f"New server on {self.adapter.name}"), id="dialog-title")
            yield Static("Loading the catalog…", id="catalog-source")
            yield Label("Name")
            yield Input(placeholder="web-01", id="name")
            yield Static("", id="name-problem")
            yield Label("Location")
            yield Select([], id="location", prompt="location")
            yield Label("Type (price per month in this location)")
            yield Select([], id="type", prompt="server type")
            yield Label("Image (matching the type's architecture)")
            yield Select([], id="image", prompt="image")
            yield Label("SSH keys (none: a root password is shown once)")
            yield SelectionList(id="ssh-keys")
            yield Label("Labels (key=value, comma separated)")
            yield Input(placeholder="customer=c-1001,env=prod", id="labels")
            yield Checkbox("Backups (+20% of the price)", id="backups")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create", id="create", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self.load_catalog()

    @work(exit_on_error=False, description="Load the catalog for a new server")
    async def load_catalog(self) -> None:
        await self.app.backends_ready()
        self.catalog = await self.adapter.catalog()
        age = self.catalog.age_seconds()
        self.query_one("#catalog-source", Static).update(
            as_text(f"catalog: {self.catalog.source.value}, {age_text(age)}", "dim"))
        # choices are Text, not markup: catalog names and descriptions come from the API
        locations = [(as_text(f"{i.name} — {i.attrs.get('city') or i.description}", limit=LIMIT), i.name)
                     for i in self.catalog.of_kind(CatalogKind.LOCATION)]
        loc = self.query_one("#location", Select)
        loc.set_options(locations)
        default = self.adapter.config.option("default_location")
        if default and any(v == default for _, v in locations):
            loc.value = default
        keys = []
        try:
            keys = await self.adapter.ssh_key_names()  # type: ignore[attr-defined]
        except Exception:
            pass
        self.query_one("#ssh-keys", SelectionList).add_options([(as_text(k, limit=LIMIT), k) for k in keys])
        self._fill_types()

    def show_failure(self, worker, failure) -> None:
        from rich.text import Text

        # the dialog ends with the error, not "Loading…"; Cancel closes it
        self.query_one("#catalog-source", Static).update(Text(failure.text, style="red"))

    def _fill_types(self) -> None:
        if not self.catalog:
            return
        location = self.query_one("#location", Select).value
        options = []
        for t in self.catalog.of_kind(CatalogKind.SERVER_TYPE):
            if t.deprecated or (location not in (Select.NULL, None) and location not in t.attrs.get("locations", [])):
                continue
            price = t.price_for(str(location)) if location not in (Select.NULL, None) else None
            cost = f"€{price.monthly_gross:.2f}/mo" if price else ""
            mem = (t.attrs.get("memory_mb") or 0) / 1024
            options.append((as_text(f"{t.name:8} {t.attrs.get('cores')} vCPU {mem:g} GB {t.attrs.get('disk_gb')} GB "
                                    f"{t.architecture} {cost}", limit=LIMIT), t.name))
        select = self.query_one("#type", Select)
        previous = select.value
        select.set_options(options)
        if any(v == previous for _, v in options):
            select.value = previous
        self._fill_images()

    def _fill_images(self) -> None:
        if not self.catalog:
            return
        type_name = self.query_one("#type", Select).value
        arch = next((t.architecture for t in self.catalog.of_kind(CatalogKind.SERVER_TYPE) if t.name == type_name), None)
        options = [(as_text(f"{i.name} ({i.architecture})", limit=LIMIT), i.name) for i in self.catalog.of_kind(CatalogKind.IMAGE)
                   if i.attrs.get("type") in ("system", "app") and (arch is None or i.architecture == arch)
                   and not i.deprecated]
        select = self.query_one("#image", Select)
        previous = select.value
        select.set_options(options)
        if any(v == previous for _, v in options):
            select.value = previous
        self._validate()

    @on(Select.Changed, "#location")
    def _location_changed(self) -> None:
        self._fill_types()

    @on(Select.Changed, "#type")
    def _type_changed(self) -> None:
        self._fill_images()

    @on(Select.Changed, "#image")
    @on(Input.Changed)
    def _validate(self) -> None:
        name = self.query_one("#name", Input).value
        problem = hostname_problem(name) if name else None
        self.query_one("#name-problem", Static).update(as_text(problem, "red") if problem else "")
        labels_ok = self._labels() is not None
        ready = bool(name) and problem is None and labels_ok and all(
            self.query_one(f"#{i}", Select).value not in (Select.NULL, None) for i in ("location", "type", "image"))
        self.query_one("#create", Button).disabled = not ready

    def _labels(self) -> dict[str, str] | None:
        text = self.query_one("#labels", Input).value.strip()
        labels = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = part.partition("=")
            if not sep or not key:
                return None
            labels[key.strip()] = value.strip()
        return labels

    @on(Button.Pressed, "#create")
    def _create(self) -> None:
        spec = ServerSpec(name=self.query_one("#name", Input).value, plan=str(self.query_one("#type", Select).value),
                          image=str(self.query_one("#image", Select).value),
                          location=str(self.query_one("#location", Select).value),
                          ssh_keys=list(self.query_one("#ssh-keys", SelectionList).selected),
                          labels=self._labels() or {}, backups=self.query_one("#backups", Checkbox).value)
        self.dismiss((self.adapter, spec))
