"""Running a site job step by step. Each step is marked running in the store before its remote call; a job found
with a running step (a crash) resumes by checking what exists, so nothing is created twice.

A failed job whose site was never created is no dead end: `start` with new options replaces it, `retry` takes a new
site user, and `delete` discards it (without a remote call when the failure shows nothing was made)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict
from typing import Any

from ..errors import BackendError
from ..errors import NotFoundError
from ..errors import ReadOnlyError
from ..errors import ValidationError
from ..models import utcnow
from ..redact import redact_text
from .jobs import STEPS
from .jobs import SiteJob
from .jobs import SiteJobs
from .jobs import Step

StepProgress = Callable[[SiteJob, str], None]


class SitePipeline:
    def __init__(self, store: Any, cloudpanel: Any, matomo: Any | None = None) -> None:
        self.jobs = SiteJobs(store)
        self.store = store
        self.cloudpanel = cloudpanel
        self.matomo = matomo
        self.unrecorded: str | None = None  # set when a step was done but the store could not record it

    async def _save(self, job: SiteJob) -> SiteJob:
        return await asyncio.to_thread(self.jobs.save, job)

    def _writable(self, operation: str) -> None:
        """Read-only mode refuses before anything is sent or any job row is written."""
        if getattr(self.cloudpanel, "read_only", False):
            raise ReadOnlyError(f"read-only mode is on: {operation} refused; nothing was sent or written.",
                                backend=self.cloudpanel.name, operation=operation)

    def _one_at_a_time(self, domain: str) -> AbstractContextManager[None]:
        """On a shared PostgreSQL store, one console at a time works on a domain's job (an advisory lock); a second is
        told who does (a ConflictError)."""
        from ..sync.lock import sync_lock

        return sync_lock(self.store, f"site job for {domain}", sqlite=False)

    async def never_created(self, job: SiteJob) -> bool:
        """Whether this job made no site: its create step never ran, or failed in a way that shows nothing was made
        (the input or the panel refused it, or the site there was made outside the job). An unclear failure is
        settled by looking (`test -f` of the vhost file)."""
        step = job.steps["create_site"]
        if job.status == "deleted" or step.status not in ("pending", "failed"):
            return False
        if step.status == "pending":  # marked running before its remote call: pending means never sent
            return True
        if job.result.get("site_created") in (False, "elsewhere"):
            return True
        return not await self.cloudpanel.site_exists(job.domain)

    async def start(self, spec: Any, *, alt_names: list[str] | tuple[str, ...] = (), analytics: bool = True,
                    progress: StepProgress | None = None) -> tuple[SiteJob, str | None]:
        """Record the job, then run it. Returns the job and the site user's password (shown once, never stored)."""
        from ..cloudpanel import validate

        self._writable("site add")
        domain = validate.domain(spec.domain)
        with self._one_at_a_time(domain):
            existing = await asyncio.to_thread(self.jobs.get, domain)
            replaced = existing if existing is not None and existing.status != "deleted" else None
            if replaced is not None and not await self.never_created(replaced):
                raise ValidationError(f"{domain} already has a site job ({replaced.status}) whose site exists or is being "
                                      f"made; use `hostdeck site retry {domain}` to finish it, or `hostdeck site delete "
                                      f"{domain}` first.", operation="site add")
            fields = {k: v for k, v in asdict(spec).items() if k != "site_user_password"}
            fields["domain"] = domain
            job = SiteJob(backend=self.cloudpanel.name, domain=domain, kind=spec.kind, spec=fields,
                          alt_names=list(alt_names), analytics=self.matomo.name if (analytics and self.matomo) else None)
            if not job.analytics:
                job.steps["analytics"] = Step(status="skipped", output="no analytics for this site")
            await self._save(job)
            if replaced is not None:
                self.cloudpanel.audit(f"site {domain}: the failed job (its site was never created) is replaced by a new "
                                      "one", target=domain, level="warning", detail={"old_spec": replaced.spec})
            password = await self.run(job, spec=spec, progress=progress)
        return job, password

    async def run(self, job: SiteJob, *, spec: Any = None, only: str | None = None,
                  progress: StepProgress | None = None) -> str | None:
        """Run the steps that are not done (or just `only`), in order; stop at a failed required step."""
        password = None
        for name in STEPS:
            step = job.steps[name]
            if only and name != only:
                continue
            if step.status in ("done", "skipped") and not only:
                continue
            if name != "create_site" and job.steps["create_site"].status != "done":
                break
            resumed = step.status == "running"  # a crash left it here: check before doing it again
            if name == "create_site":
                job.result.pop("site_created", None)
            step.status, step.error, step.started, step.finished = "running", None, utcnow().isoformat(), None
            step.attempts += 1
            await self._save(job)
            if progress:
                progress(job, name)
            try:
                output, secret = await getattr(self, f"_{name}")(job, spec, resumed)
                password = password or secret
                step.status, step.output = "done", redact_text(output)
            except BackendError as exc:
                step.error = exc.message
                step.status = "warning" if name == "analytics" else "failed"
                if name == "create_site" and job.result.get("site_created") != "elsewhere":
                    # refused (by hostdeck's checks before sending, or by clpctl): nothing was made; else unknown
                    job.result["site_created"] = False if isinstance(exc, ValidationError) else None
            else:
                if name == "create_site":
                    job.result["site_created"] = True
            step.finished = utcnow().isoformat()
            try:
                await self._save(job)
            except Exception as exc:
                from ..store.check import is_store_error

                if not is_store_error(exc):
                    raise
                # the step happened: report it (and the password) and stop here; a retry resumes from the store
                self.unrecorded = (f"{name.replace('_', ' ')} {step.status}, but the site job could not be recorded "
                                   f"({type(exc).__name__}: {redact_text(str(exc).splitlines()[0] if str(exc) else '')})")
                job.status = job.derive_status()
                self.cloudpanel.audit(f"site {job.domain}: {self.unrecorded}", target=job.domain, level="warning")
                if progress:
                    progress(job, name)
                break
            self.cloudpanel.audit(f"site {job.domain}: {name.replace('_', ' ')} {step.status}"
                                  + (f" — {step.error}" if step.error else ""), target=job.domain,
                                  level={"failed": "error", "warning": "warning"}.get(step.status, "info"))
            if progress:
                progress(job, name)
            if step.status == "failed":
                break
        return password

    async def retry(self, domain: str, step: str | None = None, progress: StepProgress | None = None, *,
                    site_user: str | None = None) -> SiteJob:
        """Run the failed or unfinished steps again; `site_user` replaces the site's Linux user while the site has
        not been created yet."""
        self._writable("site retry")
        with self._one_at_a_time(domain.strip().lower()):
            return await self._retry(domain, step, progress, site_user=site_user)

    async def _retry(self, domain: str, step: str | None, progress: StepProgress | None, *,
                     site_user: str | None) -> SiteJob:
        job = await self.get(domain)
        if step is not None and step not in STEPS:
            raise ValidationError(f"no step {step!r}; the steps are {', '.join(STEPS)}.", operation="site retry")
        if site_user is not None and site_user != job.spec.get("site_user"):
            from ..cloudpanel import validate

            if job.steps["create_site"].status in ("done", "running"):
                raise ValidationError(f"the site {job.domain} exists (or is being made) with user "
                                      f"{job.spec.get('site_user')}; a new user needs a new site: `hostdeck site delete "
                                      f"{job.domain}`, then add it again.", operation="site retry")
            job.spec["site_user"] = validate.site_user(site_user)
        if step == "analytics" and not job.analytics and self.matomo is not None:
            job.analytics = self.matomo.name
        await self.run(job, only=step, progress=progress)
        return job

    async def get(self, domain: str) -> SiteJob:
        job = await asyncio.to_thread(self.jobs.get, domain.strip().lower())
        if job is None:
            raise NotFoundError(f"no site job for {domain}; `hostdeck site list` shows them.", operation="site")
        return job

    async def list(self) -> list[SiteJob]:
        return await asyncio.to_thread(self.jobs.all)

    async def delete(self, domain: str) -> SiteJob:
        """Delete the site from CloudPanel; a job whose site was never created is discarded (status "discarded",
        its row removed) and nothing is sent to the server."""
        self._writable("site delete")
        with self._one_at_a_time(domain.strip().lower()):
            return await self._delete(domain)

    async def _delete(self, domain: str) -> SiteJob:
        job = await self.get(domain)
        if await self.never_created(job):
            await asyncio.to_thread(self.jobs.remove, job.domain)
            note = " (the site on the server was made outside this job and is left alone)" \
                if job.result.get("site_created") == "elsewhere" else ""
            self.cloudpanel.audit(f"site {job.domain}: failed job discarded, the site was never created{note}",
                                  target=job.domain)
            job.status = "discarded"
            return job
        await self.cloudpanel.delete_site(job.domain)
        job.status = "deleted"
        await self._save(job)
        return job

    # the steps ------------------------------------------------------------------------------
    async def _create_site(self, job: SiteJob, spec: Any, resumed: bool) -> tuple[str, str | None]:
        from ..cloudpanel.errors import AlreadyExistsError
        from ..cloudpanel.spec import SiteSpec

        if resumed and await self.cloudpanel.site_exists(job.domain):
            return "the site exists (made by the interrupted run); its user password was not shown: reset it.", None
        spec = spec or SiteSpec(**job.spec)
        try:
            result = await self.cloudpanel.add_site(spec)
        except AlreadyExistsError as exc:
            # counts as a result, not as success: hostdeck did not make it
            job.result["site_created"] = "elsewhere"
            raise ValidationError(f"{exc.message} (made outside this job): delete it first or pick another domain.",
                                  operation="create site") from None
        note = "" if result.confirmed else f" ({result.message})"
        return f"site {job.domain} created for user {spec.site_user}{note}", result.site_user_password

    async def _certificate(self, job: SiteJob, spec: Any, resumed: bool) -> tuple[str, str | None]:
        result = await self.cloudpanel.install_certificate(job.domain, job.alt_names)
        return result.message or f"Let's Encrypt certificate installed for {job.domain}", None

    async def _analytics(self, job: SiteJob, spec: Any, resumed: bool) -> tuple[str, str | None]:
        if self.matomo is None:
            raise BackendError("no Matomo backend is configured.", operation="analytics")
        site_id, created = await self.matomo.ensure_site(job.domain, f"https://{job.domain}")  # finds before adding
        job.result["matomo_site_id"] = site_id
        job.result["tracking_code"] = await self.matomo.tracking_code(site_id)
        return f"Matomo site {site_id} {'created' if created else 'found'} for https://{job.domain}", None
