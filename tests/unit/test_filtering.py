"""What a filter box's text means (hostdeck/tui/filtering.py), the same on every screen, without a terminal."""

import subprocess
import sys

from hostdeck.tui.filtering import RowFilter
from hostdeck.tui.filtering import hay_of
from hostdeck.tui.filtering import row_matches
from hostdeck.tui.filtering import search_text

ROWS = [("hz", "web-1", "running"), ("hz", "db-1", "off"), ("cvy", "Web-Proxy", "running")]
HAYS = [hay_of(row) for row in ROWS]


def shown(text: str) -> list[int]:
    return RowFilter.parse(text).select(range(len(ROWS)), HAYS)


def test_text_matches_any_cell_case_insensitively() -> None:
    assert shown("web") == [0, 2]
    assert shown("OFF") == [1]
    assert shown("cvy") == [2]


def test_a_leading_bang_excludes() -> None:
    assert shown("!web") == [1]
    assert shown("!running") == [1]


def test_empty_and_a_lone_bang_show_everything() -> None:
    assert shown("") == [0, 1, 2]
    assert shown("!") == [0, 1, 2]
    assert RowFilter.parse("!").shows_all and not RowFilter.parse("!x").shows_all


def test_a_needle_never_matches_across_two_cells() -> None:
    assert not row_matches("hzweb", ROWS[0])
    assert not row_matches("hz web", ROWS[0])
    assert row_matches("web-1", ROWS[0])


def test_cells_that_are_not_strings_are_searched_as_shown() -> None:
    assert row_matches("42", ("hz", 42, None))
    assert row_matches("none", ("hz", 42, None))


def test_typing_on_in_a_positive_filter_narrows() -> None:
    web, we = RowFilter.parse("web"), RowFilter.parse("we")
    assert web.narrows(we)
    assert not we.narrows(web)  # deleting a character widens
    assert not RowFilter.parse("!web").narrows(RowFilter.parse("!we"))  # excluding more shows more
    assert not web.narrows(RowFilter.parse(""))  # from everything shown there is nothing to narrow


def test_select_keeps_the_given_order() -> None:
    assert RowFilter.parse("1").select([2, 1, 0], HAYS) == [1, 0]
    assert RowFilter.parse("").select([2, 0], HAYS) == [2, 0]


def test_the_words_searched_for() -> None:
    assert search_text("!web") == "web"
    assert search_text("web") == "web"
    assert search_text("") == ""


def test_the_pure_modules_import_no_textual() -> None:
    code = ("import sys, hostdeck.tui.filtering, hostdeck.tui.row_order, hostdeck.tui.screens.servers.details\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'sqlalchemy', 'httpx')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
