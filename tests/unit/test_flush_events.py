"""Writing the event log never turns a done action into a failure: the store's problems go to the log file and are
said once; only when nothing could be written does a strict flush (the TUI's worker) raise."""

from __future__ import annotations

import json
import os

import pytest

from hostdeck.backends.config import Config
from hostdeck.backends.config import GeneralConfig
from hostdeck.backends.models import Event
from hostdeck.backends.models import EventKind
from hostdeck.backends.store.check import StoreError
from hostdeck.backends.workspace import Workspace


def _workspace(data_dir) -> Workspace:
    return Workspace(Config(path=None, general=GeneralConfig()), data_dir=data_dir)


def test_a_corrupt_store_sends_the_events_to_the_log_file(tmp_path):
    ws = _workspace(tmp_path)
    (tmp_path / "hostdeck.db").write_bytes(os.urandom(4096))
    ws.events.record(Event(backend="hz", kind=EventKind.ACTION, message="reboot web-01: success"))
    assert ws.flush_events() == 1  # strict, and still no exception: the log file has them
    lines = [json.loads(line) for line in (tmp_path / "logs" / "hostdeck.log").read_text().splitlines()]
    assert [line["message"] for line in lines] == ["reboot web-01: success"]
    (problem,) = ws.record_problems
    assert "could not record 1 event(s)" in problem and "hostdeck.log" in problem and "not a readable" in problem
    ws.events.record(Event(backend="hz", kind=EventKind.ACTION, message="again"))
    ws.flush_events()
    assert len(ws.record_problems) == 1  # said once per reason
    assert any(e.level == "warning" and "could not record" in e.message for e in ws.events.recent())


def test_nothing_writable_raises_only_when_strict(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    ws = _workspace(blocker)
    ws.events.record(Event(backend="hz", kind=EventKind.ACTION, message="x"))
    with pytest.raises(StoreError, match="neither to the store"):
        ws.flush_events()
    ws.events.record(Event(backend="hz", kind=EventKind.ACTION, message="y"))
    assert ws.flush_events(strict=False) >= 1  # y and the warnings recorded by the first try
    assert any("log file" in p for p in ws.record_problems)
