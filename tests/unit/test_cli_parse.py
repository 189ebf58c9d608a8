"""The TUI's start skips building the sub-commands' parser; any sub-command or --help still gets the full one."""

import pytest

from hostdeck.cli.main import _tui_start


@pytest.mark.parametrize("argv", [[], ["--demo"], ["--read-only", "--demo"], ["--config", "x.toml"], ["--config=x.toml"]])
def test_top_level_options_alone_start_the_tui(argv):
    assert _tui_start(argv)


@pytest.mark.parametrize("argv", [["--help"], ["servers"], ["--demo", "servers", "--json"], ["--config"],
                                  ["--config", "x.toml", "test"], ["--unknown"]])
def test_anything_else_goes_through_the_full_parser(argv):
    assert not _tui_start(argv)
