"""The Servers screen's details pane as Text (hostdeck/tui/screens/servers/details.py), without a terminal."""

from datetime import UTC
from datetime import datetime

from hostdeck.backends.models import Event
from hostdeck.backends.models import EventKind
from hostdeck.backends.models import Server
from hostdeck.backends.models import ServerStatus
from hostdeck.tui.screens.servers.details import DETAIL_LIMIT
from hostdeck.tui.screens.servers.details import details_text


def a_server(**changes) -> Server:
    fields = dict(backend="hz", id="42", name="web-1", status=ServerStatus.RUNNING, raw_status="running",
                  ipv4="192.0.2.10", labels={"env": "prod"}, raw={"id": 42, "name": "web-1"})
    fields.update(changes)
    return Server(**fields)


def an_event(target: str, message: str, backend: str = "hz") -> Event:
    return Event(backend=backend, kind=EventKind.ACTION, message=message, target=target,
                 ts=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))


def test_fields_labels_sections_actions_and_raw_record() -> None:
    text = details_text(a_server(), [("Billing", [("service", "17")])],
                        [an_event("42", "rebooted"), an_event("43", "other server"), an_event("42", "x", backend="cvy")])
    plain = text.plain
    assert plain.startswith("web-1  hz · id 42")
    assert "192.0.2.10" in plain and "env=prod" in plain
    assert "Billing\nservice" in plain and "17" in plain
    assert "03:04:05 rebooted" in plain
    assert "other server" not in plain and " x\n" not in plain  # another server's, another backend's
    assert '"id": 42' in plain


def test_no_actions_says_so() -> None:
    assert "none in this session" in details_text(a_server(), [], []).plain


def test_backend_data_is_text_never_markup_or_control() -> None:
    hostile = a_server(name="[bold red]x[/]\x1b[2J", labels={"k": "[link=http://evil]y[/link]"})
    text = details_text(hostile, [("[i]t[/i]", [("\x07k", "v")])], [])
    assert "[bold red]x[/]" in text.plain
    assert "\x1b" not in text.plain and "\x07" not in text.plain
    assert "[link=http://evil]y[/link]" in text.plain
    assert not any("link" in str(span.style) for span in text.spans)


def test_long_values_are_clipped() -> None:
    text = details_text(a_server(name="n" * (DETAIL_LIMIT * 5)), [], [])
    assert len(text.plain) < DETAIL_LIMIT * 3


def test_yes_and_no_instead_of_python_booleans() -> None:
    lines = details_text(a_server(delete_protected=True, locked=False), [], []).plain.splitlines()
    fields = {line.split()[0]: line.split()[-1] for line in lines if line.startswith(("delete_protected", "locked"))}
    assert fields == {"delete_protected": "yes", "locked": "no"}
