"""The conformance suite: what every HTTP adapter does against its simulator over real loopback sockets.

A listing is complete or an error, never short; errors are typed; a mutation is not resent blindly after an ambiguous
failure; no secret reaches an event, an error or the log even when the API echoes it; read-only refuses a write
before sending it. The adapters and what differs between them are in conformance.py; CloudPanel speaks SSH and has
its own matrix (test_cloudpanel_adapter.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from hostdeck.backends.errors import AuthError
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ProtocolError
from hostdeck.backends.errors import ReadOnlyError
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.logfile import append_events

from .conformance import SUBJECTS
from .conformance import Subject
from .conformance import by_name
from .conformance import cases
from .net import assert_connection_refused
from .net import free_port

EVERY = [pytest.param(s, id=s.name) for s in SUBJECTS]


@pytest.fixture(scope="module")
def shared_sims() -> Iterator[dict[str, Any]]:
    """The simulators of the subjects whose reads share one (they are slow to seed); faults cleared per test."""
    with ExitStack() as stack:
        yield {s.name: stack.enter_context(s.open_sim()) for s in SUBJECTS if s.shared_sim}


@pytest.fixture
def sim(subject: Subject, shared_sims: dict[str, Any]) -> Iterator[Any]:
    """For reads: the subject's shared simulator if it has one, else a fresh one."""
    if not subject.shared_sim:
        with subject.open_sim() as fresh:
            yield fresh
        return
    shared = shared_sims[subject.name]
    shared.faults.clear()
    yield shared
    shared.faults.clear()


@pytest.fixture
def fresh_sim(subject: Subject) -> Iterator[Any]:
    """A simulator of this test's own: for the tests that count requests or change something."""
    with (subject.open_fresh or subject.open_sim)() as fresh:
        yield fresh


@pytest.fixture
async def adapter(subject: Subject, sim: Any) -> AsyncIterator[Any]:
    made = subject.make(sim)
    yield made
    await made.aclose()


def recorded(adapter: Any) -> str:
    return json.dumps([e.as_dict() for e in adapter.events.recent()], default=str)


# listing complete or an error ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("subject, fault", cases(lambda s: s.transient))
async def test_transient_faults_end_in_the_complete_answer(subject, fault, sim, adapter):
    for probe in subject.reads:
        sim.faults.clear()
        sim.faults.add(route=probe.route, **fault)
        assert probe.complete(sim, await probe.call(adapter, sim))


@pytest.mark.parametrize("subject, case", cases(lambda s: s.persistent))
async def test_persistent_faults_are_typed_errors_never_a_short_answer(subject, case, sim, adapter):
    fault, error, words = case
    sim.faults.add(route=subject.failing.route, **fault)
    with pytest.raises(error) as err:
        await subject.failing.call(adapter, sim)
    assert words in err.value.message


@pytest.mark.parametrize("subject", by_name(("hetzner", "convoy")))
async def test_a_page_failing_after_page_one_fails_the_whole_list(subject, sim, adapter):
    def after_page_one(done: int, total: int) -> None:
        if done == 1:
            sim.faults.add(route=subject.failing.route, kind="malformed", count=1)

    with pytest.raises(ProtocolError, match="not valid JSON"):
        await adapter.list_servers(progress=after_page_one)
    pages = [r for r in sim.request_log if r["path"].endswith("/servers")]
    assert [r["fault"] for r in pages].count("malformed") == 1 and pages[0]["fault"] is None   # page 1 was fine


# errors classified --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("subject", EVERY)
async def test_timeout_is_an_unavailable_error(subject, sim):
    timeout, hang, count = subject.timeout
    made = subject.make(sim, timeout=timeout)
    sim.faults.add(route=subject.failing.route, kind="hang", delay=hang, count=count)
    with pytest.raises(UnavailableError, match="timeout"):
        await subject.failing.call(made, sim)
    await made.aclose()


@pytest.mark.parametrize("subject", EVERY)
async def test_connection_refused_is_plain(subject, sim):
    made = subject.make(sim, url=f"http://127.0.0.1:{free_port()}{subject.refused_path}")
    await assert_connection_refused(made, lambda: subject.failing.call(made, sim))


@pytest.mark.parametrize("subject", [pytest.param(s, id=s.name) for s in SUBJECTS if s.fix_words])
async def test_bad_credentials_are_an_auth_error_naming_the_fix_and_never_retried(subject, fresh_sim):
    made = subject.make(fresh_sim, **subject.bad_login)
    with pytest.raises(AuthError) as err:
        await subject.failing.call(made, fresh_sim)
    assert all(words in err.value.message for words in subject.fix_words)
    assert len(fresh_sim.request_log) == 1
    await made.aclose()


# mutations ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("subject", EVERY)
async def test_read_only_refuses_a_write_before_sending_it(subject, fresh_sim):
    made = subject.make(fresh_sim, read_only=True)
    with pytest.raises(ReadOnlyError):
        await subject.write.call(made, fresh_sim)
    assert subject.write.sent(fresh_sim) == 0
    await made.aclose()


@pytest.mark.parametrize("subject", EVERY)
async def test_a_write_whose_answer_was_lost_is_not_resent(subject, fresh_sim):
    made = subject.make(fresh_sim)
    fresh_sim.faults.add(route=subject.write.route, kind="reset_mid", count=5)
    try:
        await subject.write.call(made, fresh_sim)
    except BackendError:
        pass                      # reconciling may find it or say it is unclear; resending is what must not happen
    assert subject.write.sent(fresh_sim) == 1
    await made.aclose()


# secrets ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("subject", EVERY)
async def test_an_echoed_secret_is_in_no_event_error_or_log(subject, fresh_sim, caplog, tmp_path):
    """The log file is the events as JSON lines (logfile.append_events); nothing configures Python logging, so only
    warnings would reach stderr (logging's last resort): those must be clean too."""
    caplog.set_level(logging.WARNING)
    made = subject.make(fresh_sim)
    echo = f"bad key {subject.secret} somewhere"
    fresh_sim.faults.add(route=subject.failing.route, kind="status", status=500, message=echo, count=50)
    with pytest.raises(BackendError) as err:
        await subject.failing.call(made, fresh_sim)
    assert subject.secret not in err.value.message and subject.secret not in str(err.value)
    log_file = append_events(tmp_path, made.events.recent())
    assert subject.secret not in recorded(made) and subject.secret not in log_file.read_text()
    assert subject.secret not in caplog.text
    assert "***" in err.value.message or not subject.shows_echo
    await made.aclose()
