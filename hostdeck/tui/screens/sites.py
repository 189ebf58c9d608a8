"""Sites: CloudPanel sites through the pipeline (site -> certificate -> analytics), live steps, retry, snippets."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import VerticalScroll
from textual.widgets import Markdown
from textual.widgets import Static

from ..grid_cache import keep_rows
from ..keys import keys
from ..safe_text import as_text
from ..safe_text import visible
from ..widgets.footer import KeysFooter
from ..widgets.grid import Column
from ..widgets.grid import Grid
from ..widgets.grid import Row
from ..widgets.topbar import TopBar
from .grid_screen import GridLayout
from .grid_screen import GridScreen
from .help_texts import SITES_TEXT

if TYPE_CHECKING:
    from hostdeck.backends.sites.pipeline import SitePipeline

LIMIT = 500  # characters of one backend string in the status line
DETAIL_LIMIT = 4_000
COLUMNS = [Column("domain", "Domain", max_width=36), Column("backend", "Server", max_width=10),
           Column("kind", "Type", width=13), Column("status", "Status", width=8),
           Column("create_site", "Site", width=8), Column("certificate", "Certificate", width=11),
           Column("analytics", "Analytics", width=9)]
STYLE = {"done": "$text-success", "running": "bold $text-warning", "failed": "bold $text-error",
         "warning": "$text-warning", "pending": "$text-muted", "skipped": "$text-muted", "deleted": "$text-muted"}


def job_row(job: Any) -> Row:
    steps = [job.steps[s].status for s in ("create_site", "certificate", "analytics")]
    cells = (job.domain, job.backend, job.kind, job.status, *steps)
    return Row(key=job.domain, cells=cells, styles=(None, None, None, STYLE.get(job.status), *(STYLE.get(s) for s in steps)),
               row_style="dim" if job.status == "deleted" else None)


class SitesScreen(GridScreen):
    LAYOUT = GridLayout("sites-grid", "sites-body", filter_placeholder="filter sites (!text excludes)",
                        details="site-detail", details_placeholder="Select a site.")
    BINDINGS = keys("sites", """
        n       new             new             New site
        r       retry           retry           Retry
        t       copy_snippet    copy_snippet    Copy tracking code
        p       reset_password  reset_password  Reset user password
        x       delete          delete          Delete site
        slash   filter          filter          Filter
        escape  clear           clear           [Clear]
    """)

    def __init__(self) -> None:
        super().__init__()
        self.pipeline: SitePipeline | None = None
        self.jobs: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        yield TopBar("Sites")
        with Horizontal(id="sites-body"):
            yield Grid(COLUMNS, id="sites-grid")
            with VerticalScroll(id="details"):
                yield Static(self.LAYOUT.details_placeholder, id=self.LAYOUT.details)
        yield Markdown(SITES_TEXT, id="sites-help", classes="placeholder")
        yield Static("", id="status-line")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#sites-help").display = False
        cached = self.paint_cached("sites", loading="Loading sites…")
        if cached:
            counted = f"{self.grid.total_count:,} {self._sites_noun()}"
            self.query_one("#status-line", Static).update(Text(f"{counted}, {cached} · loading…"))
        self.load()

    def _sites_noun(self) -> str:
        return "site" if self.grid.total_count == 1 else "sites"

    @property
    def sites(self) -> SitePipeline:
        """The site pipeline, once `load` has set it up (the actions ask `_writable` first)."""
        assert self.pipeline is not None, "no CloudPanel backend"
        return self.pipeline

    @work(group="sites-load", exclusive=True, exit_on_error=False, description="Load the sites")
    async def load(self) -> None:
        await self.app.backends_ready()
        if self.pipeline is None:
            from hostdeck.backends.errors import ConfigError
            from hostdeck.backends.sites.setup import site_pipeline

            try:
                self.pipeline = site_pipeline(self.app.workspace)
            except ConfigError as exc:
                self.query_one("#sites-body").display = False
                self.query_one("#sites-help").display = True
                self.set_status(str(exc))
                return
        jobs = await self.sites.list()
        self.jobs = {j.domain: j for j in jobs}
        rows = [job_row(j) for j in jobs]
        self.grid.set_rows(rows)
        keep_rows(self, self.app.workspace, "sites", rows)
        self.grid.empty_message = "No sites yet: press n to create one."
        self.update_status()
        self.update_details()

    def show_failure(self, worker, failure) -> None:
        from rich.text import Text

        if worker.group == "sites-load" and not self.jobs:
            self.grid.empty_message = failure.text  # not "Loading…" for ever
        self.query_one("#status-line", Static).update(Text(failure.text))

    def _progress(self, job: Any, step: str) -> None:
        new = job.domain not in self.jobs
        self.jobs[job.domain] = job
        if not self.grid.update_row(job_row(job)):
            self.grid.set_rows(job_row(j) for j in self.jobs.values())
        if new or job.status not in ("pending", "running"):  # a new site or a finished step: kept for the next start
            keep_rows(self, self.app.workspace, "sites", [job_row(j) for j in self.jobs.values()])
        self.update_status()
        self.update_details()

    def update_status(self) -> None:
        pipeline = self.pipeline
        if pipeline is None:  # loading, or not set up (the status line says why)
            return
        analytics = pipeline.matomo.name if pipeline.matomo else "none configured"
        self.set_status(f"{self.counted(self._sites_noun())} on {pipeline.cloudpanel.name} · analytics: {analytics}")

    # actions ---------------------------------------------------------------------------------
    def _writable(self) -> bool:
        if self.app.read_only:
            self.notify("Read-only mode is on: sites cannot be changed.", severity="warning")
            return False
        if self.pipeline is None:
            self.notify("No CloudPanel backend is configured.", severity="warning")
            return False
        return True

    def action_new(self) -> None:
        from ..dialogs.create_site import CreateSiteDialog

        if self._writable():
            self.app.push_screen(CreateSiteDialog(self.sites.cloudpanel.name,
                                                  analytics_available=self.sites.matomo is not None), self._create)

    def _create(self, request: dict | None) -> None:
        if request:
            self.run_worker(self._create_worker(request), group="sites-run", exit_on_error=False,
                            description=f"Create site {request['spec'].get('domain')}")

    async def _create_worker(self, request: dict) -> None:
        from hostdeck.backends.cloudpanel.spec import SiteSpec

        from ..dialogs.secret import SecretDialog

        spec = SiteSpec(**request["spec"])
        job, password = await self.sites.start(spec, alt_names=request["alt_names"], analytics=request["analytics"],
                                                  progress=self._progress)
        self._progress(job, "done")
        if password:
            self.app.push_screen(SecretDialog(f"Site user password for {job.domain}", backend=job.backend,
                                              target=f"site user {spec.site_user}", secret=password))
        self.notify(f"{job.domain}: {job.status}", severity="error" if job.status == "failed" else "information")

    def _selected(self) -> Any:
        key = self.grid.cursor_row_key
        return self.jobs.get(key) if isinstance(key, str) else None

    def action_retry(self) -> None:
        job = self._selected()
        if job and self._writable():
            self.run_worker(self._retry(job.domain), group="sites-run", exit_on_error=False,
                            description=f"Retry site {job.domain}")

    async def _retry(self, domain: str) -> None:
        job = await self.sites.retry(domain, progress=self._progress)
        self.notify(f"{domain}: {job.status}", severity="error" if job.status == "failed" else "information")

    def action_copy_snippet(self) -> None:
        job = self._selected()
        code = job.result.get("tracking_code") if job else None
        if not code:
            self.notify("This site has no tracking code yet (its analytics step is not done).", severity="warning")
            return
        self.app.copy_to_clipboard(code)
        self.notify(f"Tracking code of {job.domain} sent to the clipboard.", timeout=3)

    def action_delete(self) -> None:
        from ..dialogs.confirm import ConfirmDialog

        job = self._selected()
        if job is None or not self._writable():
            return
        if job.status != "deleted" and job.steps["create_site"].status in ("failed", "pending"):
            # its site was never created (the pipeline checks again): discard the job, nothing to delete remotely
            dialog = ConfirmDialog(f"Discard the failed job of {job.domain}?", backend=job.backend, target=job.domain,
                                   call="site job only: nothing is deleted on the server (when the failure is unclear, "
                                        "`test -f` of its vhost file first)", confirm_label="Discard")
            description = f"Discard the failed job of {job.domain}"
        else:
            dialog = ConfirmDialog(f"Delete {job.domain}?", backend=job.backend, target=job.domain,
                                   call=f"clpctl site:delete --domainName={job.domain} --force", confirm_label="Delete",
                                   require_text=job.domain,
                                   warning="Its files and vhost are removed. This cannot be undone.")
            description = f"Delete site {job.domain}"

        def answered(ok: bool | None) -> None:
            if ok:
                self.run_worker(self._delete(job.domain), group="sites-run", exit_on_error=False,
                                description=description)

        self.app.push_screen(dialog, answered)

    async def _delete(self, domain: str) -> None:
        job = await self.sites.delete(domain)
        if job.status == "discarded":
            self.jobs.pop(domain, None)
            self.grid.set_rows(job_row(j) for j in self.jobs.values())
            self.update_status()
            self.update_details()
            self.notify(f"{domain}: the failed job was discarded (its site was never created); add it again with other "
                        "options.")
            return
        self._progress(job, "deleted")
        self.notify(f"{domain} deleted.")

    def action_reset_password(self) -> None:
        if self._writable():
            self.run_worker(self._pick_user(), group="sites-users", exit_on_error=False,
                            description="List the CloudPanel users")

    async def _pick_user(self) -> None:
        from ..dialogs.action_menu import ActionMenu
        from ..dialogs.action_menu import MenuAction

        users = await self.sites.cloudpanel.list_users()
        items = [MenuAction(u.user_name, f"{u.user_name} ({u.role})" if getattr(u, "role", None) else u.user_name,
                            f"clpctl user:reset:password --userName={u.user_name} --password=***", dangerous=True)
                 for u in users]
        self.app.push_screen(ActionMenu(f"Reset the password of a CloudPanel user on {self.sites.cloudpanel.name}",
                                        items), self._confirm_reset)

    def _confirm_reset(self, user: str | None) -> None:
        from ..dialogs.confirm import ConfirmDialog

        if user:
            dialog = ConfirmDialog(f"Reset the password of {user}?", backend=self.sites.cloudpanel.name, target=user,
                                   call=f"clpctl user:reset:password --userName={user} --password=***",
                                   confirm_label="Reset password")

            def answered(ok: bool | None) -> None:
                if ok:
                    self.run_worker(self._reset(user), group="sites-run", exit_on_error=False,
                                    description=f"Reset the password of {user}")

            self.app.push_screen(dialog, answered)

    async def _reset(self, user: str) -> None:
        from ..dialogs.secret import SecretDialog

        result = await self.sites.cloudpanel.reset_user_password(user)
        self.app.push_screen(SecretDialog(f"New CloudPanel password for {user}", backend=result.backend, target=user,
                                          secret=result.secret))

    # detail ----------------------------------------------------------------------------------------
    def update_details(self) -> None:
        body, job = self.details_body, self._selected()
        if body is None:
            return
        if job is None:
            if not self.jobs:
                body.update(self.LAYOUT.details_placeholder)
            return
        # Text, never markup: domains, command output and errors come from CloudPanel and Matomo
        lines = [Text.assemble(as_text(job.domain, "bold", limit=LIMIT), as_text(f" on {job.backend} · {job.kind} · "),
                               as_text(job.status, "bold"))]
        for name, step in job.steps.items():
            lines += [Text(), Text.assemble((name.replace('_', ' '), "bold"),
                                            as_text(f": {step.status}" + (f" (attempt {step.attempts})" if step.attempts > 1 else "")))]
            if step.output:
                lines.append(as_text(step.output, limit=DETAIL_LIMIT, multiline=True))
            if step.error:
                lines.append(as_text(step.error, "red", limit=DETAIL_LIMIT, multiline=True))
        spec = {k: v for k, v in job.spec.items() if v not in (None, "")}
        lines += [Text(), Text("Options", "bold"), as_text(json.dumps(spec, indent=1), limit=DETAIL_LIMIT, multiline=True), Text()]
        if job.alt_names:
            lines.append(as_text(f"alternative names: {', '.join(job.alt_names)}", limit=DETAIL_LIMIT))
        code = job.result.get("tracking_code")
        if code:
            lines += [Text(), Text.assemble(("Tracking code", "bold"),
                                            f" (Matomo site {visible(job.result.get('matomo_site_id'))}, t copies it)"),
                      as_text(code, limit=DETAIL_LIMIT, multiline=True)]
        body.update(Text("\n").join(lines))
