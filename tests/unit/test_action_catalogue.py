"""The action catalogue is the one place server actions are declared: the README table, the command line and the
action menu all follow it."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostdeck.backends.actions import CLI_COMMANDS
from hostdeck.backends.actions import SERVER_ACTIONS
from hostdeck.backends.actions import Confirm
from hostdeck.backends.actions import cli_action
from hostdeck.backends.actions import readme_table
from hostdeck.backends.config import BackendConfig
from hostdeck.backends.contract import Adapter
from hostdeck.backends.contract import Capability
from hostdeck.backends.models import ConnectionReport
from hostdeck.backends.models import Server
from hostdeck.backends.models import ServerStatus
from hostdeck.backends.secrets import Secrets
from hostdeck.cli.main import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"
ELSEWHERE = {"ssh"}  # `server ssh` runs a program instead of an adapter call: registered by hostdeck/cli/ssh_command.py


def test_the_readme_table_is_the_catalogue():
    text = README.read_text(encoding="utf-8")
    begin, end = "<!-- server-actions:begin -->\n", "<!-- server-actions:end -->"
    assert text[text.index(begin) + len(begin):text.index(end)] == readme_table(), \
        "README.md is out of date: paste `python -m hostdeck.backends.actions` between the server-actions markers"


def test_every_catalogued_command_parses_to_its_handler():
    parser = build_parser()
    positional = {"change-type": ["cx22"], "rdns": ["192.0.2.1"]}
    for action in (a for a in SERVER_ACTIONS if a.cli and a.cli not in ELSEWHERE):
        name, *verb = action.cli.split()
        argv = (["server", name, *verb, "b", "s", *positional.get(name, [])]
                + ([action.power.value] if action.power else []) + (["--image", "i"] if name == "rebuild" else []))
        args = parser.parse_args(argv)
        command = next(c for c in CLI_COMMANDS if c.name == name)
        assert args.func == command.func
        assert cli_action(args.server_command, getattr(args, "action", None), getattr(args, "verb", None)) is action
        # what needs --yes can be confirmed on the command line
        assert hasattr(args, "yes") or not action.needs_yes


def test_confirmation_levels():
    by_id = {a.id: a for a in SERVER_ACTIONS}
    assert by_id["delete"].confirm is Confirm.TYPE_NAME
    assert not by_id["power_on"].dangerous and by_id["power_off"].dangerous
    assert by_id["rebuild"].confirm is Confirm.TYPE_NAME and by_id["backups_enable"].dangerous
    assert by_id["image_create"].dangerous and not by_id["image_create"].needs_yes  # the CLI spells it without --yes
    assert {a.id for a in SERVER_ACTIONS if not a.mutating} == {"metrics", "ssh", "copy_ip", "copy_id"}


class _Resizer(Adapter):
    """A backend that declares resize and rename (and nothing to power), to see the menu follow the contract."""

    kind = "resizer"
    capabilities = frozenset({Capability.LIST, Capability.RESIZE, Capability.RENAME})

    async def probe_connection(self, report: ConnectionReport, clock: object) -> None:
        raise NotImplementedError

    def missing_reason(self, capability: Capability, server: Server | None = None) -> str | None:
        if capability is Capability.RESIZE and server is not None and server.raw.get("busy"):
            return "busy right now"
        return super().missing_reason(capability, server)


def _menu(adapter: Adapter, server: Server, read_only: bool = False) -> dict:
    from hostdeck.tui.screens.server_actions import build_menu

    return {item.id: item for item in build_menu(adapter, server, read_only=read_only)}


@pytest.mark.parametrize("busy", [False, True])
def test_the_menu_asks_the_contract_for_resize_and_rename(busy):
    adapter = _Resizer(BackendConfig(name="r", kind="resizer"), secrets=Secrets())
    server = Server(backend="r", id="1", name="web", status=ServerStatus.RUNNING,
                    raw_status="running", raw={"busy": busy})
    menu = _menu(adapter, server)
    assert menu["resize"].unavailable == ("busy right now" if busy else None)
    assert menu["rename"].unavailable is None and menu["rename"].form == "rename"
    assert menu["power_on"].unavailable == "resizer backends cannot power."
    assert "sso" not in menu  # hidden, not greyed, where the backend has none
    read_only = _menu(adapter, server, read_only=True)
    assert set(read_only) == {"metrics", "ssh", "copy_ip", "copy_id"}


def test_the_help_screen_lists_the_catalogue():
    from hostdeck.tui.dialogs.help import server_action_rows

    labels = [row[1].split(":")[0] for row in server_action_rows(read_only=False)]
    assert labels == [a.label for a in SERVER_ACTIONS]
    assert [row[1].split(":")[0] for row in server_action_rows(read_only=True)] == [
        a.label for a in SERVER_ACTIONS if a.id in ("metrics", "ssh", "copy_ip", "copy_id")]


def test_each_command_runs_catalogued_actions_and_each_catalogued_command_exists():
    assert {c.name for c in CLI_COMMANDS} == {a.cli.split()[0] for a in SERVER_ACTIONS if a.cli} - ELSEWHERE
    power = [a.power.value for a in SERVER_ACTIONS if a.cli == "power" and a.power]
    choices = next(arg for c in CLI_COMMANDS if c.name == "power" for arg in c.args if arg.flags == ("action",))
    assert sorted(choices.options["choices"]) == sorted(power)


@pytest.mark.parametrize("status, blocked", [(ServerStatus.RUNNING, True), (ServerStatus.OFF, False)])
def test_change_type_is_ruled_out_while_the_server_runs(status, blocked):
    from hostdeck.backends.actions import BY_ID
    from hostdeck.backends.actions import state_reason

    server = Server(backend="hz", id="1", name="web", status=status, raw_status=status.value)
    reason = state_reason(BY_ID["change_type"], server)
    assert (reason is not None and "Shut it down first" in reason) if blocked else reason is None
