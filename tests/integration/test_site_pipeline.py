"""The site pipeline (CloudPanel site -> Let's Encrypt -> Matomo) against the SSH and Matomo simulators."""

from __future__ import annotations

import pytest

from hostdeck.backends.cloudpanel.spec import SiteSpec
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.sim.cloudpanel import CloudPanelSim
from hostdeck.backends.sim.matomo import MatomoSim
from hostdeck.backends.sites.jobs import SiteJob
from hostdeck.backends.sites.jobs import SiteJobs
from hostdeck.backends.sites.jobs import Step
from hostdeck.backends.sites.pipeline import SitePipeline
from hostdeck.backends.store import Store

from . import cp
from . import mt
from .cp import isolated_keyring  # noqa: F401  (autouse: adapters never touch this machine's keyring)


@pytest.fixture
def world(tmp_path):
    with CloudPanelSim(cert_seconds=0.05) as panel, MatomoSim(sites=3, token=mt.TOKEN) as matomo:
        host, port = panel.address
        adapter = cp.make_adapter(host, port, panel.client_key_file, host_key_fingerprint=panel.fingerprint)
        pipeline = SitePipeline(Store(path=tmp_path / "h.db"), adapter, mt.make_adapter(matomo))
        yield panel, matomo, pipeline, tmp_path


def spec(domain: str = "shop.example.com", **kw) -> SiteSpec:
    return SiteSpec(domain=domain, kind=kw.pop("kind", "php"), site_user=kw.pop("site_user", "hdshop"), **kw)


def site_adds(panel) -> list[str]:
    return [c for c in panel.commands if "site:add" in c]


async def test_every_step_runs_and_the_password_is_shown_once(world):
    panel, matomo, pipeline, tmp = world
    steps = []
    job, password = await pipeline.start(spec(), alt_names=["www.shop.example.com"],
                                         progress=lambda j, s: steps.append((s, j.steps[s].status)))
    assert job.status == "done" and [job.steps[s].status for s in job.steps] == ["done", "done", "done"]
    assert ("create_site", "running") in steps and ("analytics", "done") in steps
    assert password and len(password) >= 16
    assert job.result["matomo_site_id"] and "_paq" in job.result["tracking_code"]
    assert "shop.example.com" in panel.sites
    stored = b"".join(p.read_bytes() for p in tmp.glob("h.db*"))
    assert password.encode() not in stored  # shown once: never in the store
    assert not any(password in c for c in panel.commands)  # the simulator records masked command lines
    await pipeline.cloudpanel.aclose()


async def test_a_failed_certificate_is_retried_alone(world):
    panel, matomo, pipeline, _ = world
    panel.state.dns_unresolved.add("blog.example.org")
    job, _ = await pipeline.start(spec("blog.example.org", site_user="hdblog"))
    assert job.status == "failed" and job.steps["certificate"].status == "failed"
    assert job.steps["analytics"].status == "pending"  # not run after a failed required step
    assert "blog.example.org" in panel.sites  # the site stays
    panel.state.dns_unresolved.clear()
    job = await pipeline.retry("blog.example.org")
    assert job.status == "done" and job.steps["certificate"].attempts == 2
    assert len(site_adds(panel)) == 1  # the site was not made again
    await pipeline.cloudpanel.aclose()


async def test_an_analytics_failure_leaves_the_site_active_with_a_warning(world):
    panel, matomo, pipeline, _ = world
    matomo.faults.add(route="*", kind="status", status=503, count=100)
    job, _ = await pipeline.start(spec("news.example.net", site_user="hdnews"))
    assert job.status == "warning" and job.steps["analytics"].status == "warning"
    assert job.steps["create_site"].status == job.steps["certificate"].status == "done"
    matomo.faults.clear()
    job = await pipeline.retry("news.example.net", step="analytics")
    assert job.status == "done"
    job = await pipeline.retry("news.example.net", step="analytics")  # again: Matomo does not de-duplicate, we do
    assert len(matomo.sites_with_url("https://news.example.net")) == 1
    await pipeline.cloudpanel.aclose()


async def test_a_crash_mid_create_resumes_without_making_it_twice(world):
    panel, matomo, pipeline, tmp = world
    # the crashed run: the site was made on the server, the job still says "running"
    await pipeline.cloudpanel.add_site(spec("crash.example.com", site_user="hdcrash"))
    jobs = SiteJobs(Store(path=tmp / "h.db"))
    job = SiteJob(backend=pipeline.cloudpanel.name, domain="crash.example.com", kind="php",
                  spec={"domain": "crash.example.com", "kind": "php", "site_user": "hdcrash"}, analytics="mt")
    job.steps["create_site"] = Step(status="running", attempts=1)
    jobs.save(job)
    job = await pipeline.retry("crash.example.com")
    assert job.status == "done" and "interrupted run" in job.steps["create_site"].output
    assert len(site_adds(panel)) == 1
    await pipeline.cloudpanel.aclose()


async def test_a_site_made_elsewhere_is_a_result_not_a_success(world):
    panel, matomo, pipeline, _ = world
    await pipeline.cloudpanel.add_site(spec("taken.example.com", site_user="hdtaken"))
    job, password = await pipeline.start(spec("taken.example.com", site_user="hdother"))
    assert job.status == "failed" and password is None
    assert "made outside this job" in job.steps["create_site"].error
    await pipeline.cloudpanel.aclose()


async def test_hostile_domains_are_refused_before_anything_is_sent(world):
    panel, matomo, pipeline, _ = world
    before = len(panel.commands)
    for bad in ("a.com; rm -rf /", "$(reboot).example.com", "ex\nample.com", "-rf.example.com"):
        with pytest.raises(ValidationError):
            await pipeline.start(spec(bad))
    assert len(panel.commands) == before and await pipeline.list() == []
    await pipeline.cloudpanel.aclose()


async def test_pipeline_steps_reach_the_event_log(world):
    panel, matomo, pipeline, _ = world
    await pipeline.start(spec("log.example.com", site_user="hdlog"))
    messages = [e.message for e in pipeline.cloudpanel.events.recent() if e.target == "log.example.com"]
    assert [m for m in messages if m.startswith("site ")] == [
        "site log.example.com: create site done", "site log.example.com: certificate done", "site log.example.com: analytics done"]
    await pipeline.cloudpanel.aclose()


@pytest.fixture
def pg_world(pg_url):
    with CloudPanelSim(cert_seconds=0.05) as panel, MatomoSim(sites=3, token=mt.TOKEN) as matomo:
        host, port = panel.address
        adapter = cp.make_adapter(host, port, panel.client_key_file, host_key_fingerprint=panel.fingerprint)
        store = Store(pg_url)
        yield panel, SitePipeline(store, adapter, mt.make_adapter(matomo)), pg_url
        store.close()


async def test_on_postgresql_the_pipeline_runs_retries_and_holds_a_domain_for_one_console(pg_world):
    from hostdeck.backends.errors import ConflictError
    from hostdeck.backends.sync.lock import sync_lock

    panel, pipeline, url = pg_world
    panel.state.dns_unresolved.add("blog.example.org")
    job, password = await pipeline.start(spec("blog.example.org", site_user="hdblog"))
    assert job.status == "failed" and password
    panel.state.dns_unresolved.clear()
    other = Store(url)   # another console works on the same domain right now
    try:
        with sync_lock(other, "site job for blog.example.org"):
            with pytest.raises(ConflictError, match=r"another site job for blog.example.org is running \(.+@.+ since"):
                await pipeline.retry("blog.example.org")
    finally:
        other.close()
    job = await pipeline.retry("blog.example.org")
    assert job.status == "done" and job.steps["certificate"].attempts == 2 and len(site_adds(panel)) == 1
    (stored,) = SiteJobs(pipeline.store).all()
    assert stored.status == "done" and stored.id == job.id
    await pipeline.cloudpanel.aclose()
