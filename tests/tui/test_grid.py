"""Tests for hostdeck.tui.widgets.grid.Grid (the virtual table on the line API)."""

from __future__ import annotations

from collections.abc import Hashable

import pytest
from textual import events
from textual.app import App
from textual.app import ComposeResult
from textual.message import Message

from hostdeck.tui.widgets import Column
from hostdeck.tui.widgets import Grid
from hostdeck.tui.widgets import Row

COLUMNS = [
    Column("name", "Name"),
    Column("status", "Status"),
    Column("ipv4", "IPv4"),
    Column("plan", "Plan"),
    Column("location", "Location"),
    Column("cpu", "CPU %", justify="right"),
]

STATUS_STYLE = {
    "running": "$text-success",
    "off": "$text-muted",
    "starting": "$text-warning",
    "error": "bold $text-error",
}
STATUSES = ["running", "off", "starting", "error"]
PLANS = ["cx22", "cpx31", "ccx13"]
LOCATIONS = ["fsn1", "nbg1", "hel1"]


def make_row(i: int, name: str | None = None, status: str | None = None) -> Row:
    status = status or STATUSES[i % 4]
    return Row(
        key=i,
        cells=(
            name or f"web-{i}",
            status,
            f"10.0.{i // 256}.{i % 256}",
            PLANS[i % 3],
            LOCATIONS[i % 3],
            f"{(i * 7) % 100}.{i % 10}",
        ),
        styles=(None, STATUS_STYLE[status], None, None, None, None),
        row_style="dim" if i % 11 == 5 else None,
    )


def make_rows(n: int) -> list[Row]:
    return [make_row(i) for i in range(n)]


class GridApp(App):
    def __init__(self, rows: list[Row] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.initial_rows = rows if rows is not None else make_rows(20)

    def compose(self) -> ComposeResult:
        yield Grid(COLUMNS, id="grid")

    def on_mount(self) -> None:
        grid = self.query_one(Grid)
        grid.set_rows(self.initial_rows)
        grid.focus()


def screen_lines(grid: Grid) -> list[str]:
    height = grid.scrollable_content_region.height
    return [grid.render_line(y).text for y in range(height)]


def unique(messages: list[Message], kind: type[Message]) -> list:
    """Messages of one kind, each once (the hook sees a message at every node it bubbles to)."""
    seen: set[int] = set()
    found = []
    for message in messages:
        if isinstance(message, kind) and id(message) not in seen:
            seen.add(id(message))
            found.append(message)
    return found


def highlighted(messages: list[Message]) -> list[Hashable]:
    return [m.key for m in unique(messages, Grid.RowHighlighted)]


def selected(messages: list[Message]) -> list[Hashable]:
    return [m.key for m in unique(messages, Grid.RowSelected)]


# --------------------------------------------------------------------------- rendering


async def test_renders_header_and_rows() -> None:
    app = GridApp(make_rows(5))
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        await pilot.pause()
        lines = screen_lines(grid)
        assert lines[0].split() == ["Name", "Status", "IPv4", "Plan", "Location", "CPU", "%"]
        assert lines[1].split() == ["web-0", "running", "10.0.0.0", "cx22", "fsn1", "0.0"]
        assert lines[5].split()[0] == "web-4"
        assert lines[6].strip() == ""
        assert grid.total_count == grid.match_count == 5
        # Right-justified column: values end at the same x.
        assert lines[1].rstrip().endswith(" 0.0")
        assert lines[2].rstrip().endswith(" 7.1")


async def test_long_cells_are_truncated_with_ellipsis() -> None:
    rows = [make_row(0, name="x" * 100), make_row(1)]
    app = GridApp(rows)
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        await pilot.pause()
        first = screen_lines(grid)[1]
        assert "x" * 39 + "…" in first  # max_width defaults to 40
        assert "x" * 40 not in first


async def test_header_stays_while_scrolling() -> None:
    app = GridApp(make_rows(200))
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        await pilot.press("end")
        await pilot.pause()
        lines = screen_lines(grid)
        assert lines[0].split()[0] == "Name"
        assert lines[-1].split()[0] == "web-199"
        assert grid.cursor_row_key == 199


# --------------------------------------------------------------------------- cursor and messages


async def test_cursor_keys_and_messages() -> None:
    messages: list[Message] = []
    app = GridApp(make_rows(100))
    async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
        grid = app.query_one(Grid)
        await pilot.pause()
        assert grid.cursor_row_key == 0
        assert highlighted(messages) == [0]

        await pilot.press("down", "down", "up")
        assert grid.cursor_row_key == 1
        await pilot.press("pagedown")
        page = grid.scrollable_content_region.height - 1
        assert grid.cursor_row_key == 1 + page
        await pilot.press("end")
        assert grid.cursor_row_key == 99
        await pilot.press("down")  # stays at the bottom, no new message
        await pilot.press("pageup")
        assert grid.cursor_row_key == 99 - page
        await pilot.press("home")
        assert grid.cursor_row_key == 0
        await pilot.press("up")  # stays at the top
        await pilot.press("enter")
        await pilot.pause()

        assert highlighted(messages) == [0, 1, 2, 1, 1 + page, 99, 99 - page, 0]
        assert selected(messages) == [0]


async def test_cursor_row_highlighted_on_screen() -> None:
    app = GridApp(make_rows(10))
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        await pilot.press("down", "down")
        await pilot.pause()
        cursor_bg = grid.render_line(3)._segments[0].style.bgcolor
        other_bg = grid.render_line(4)._segments[0].style.bgcolor
        assert cursor_bg != other_bg
        assert grid.render_line(3).text.split()[0] == "web-2"


async def test_click_selects_and_double_click_chooses() -> None:
    messages: list[Message] = []
    app = GridApp(make_rows(20))
    async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
        grid = app.query_one(Grid)
        await pilot.click(Grid, offset=(3, 4))  # line 4 = the 4th row
        await pilot.pause()
        assert grid.cursor_row_key == 3
        assert selected(messages) == []
        await pilot.double_click(Grid, offset=(3, 6))
        await pilot.pause()
        assert grid.cursor_row_key == 5
        assert selected(messages) == [5]


async def test_mouse_wheel_scrolls() -> None:
    app = GridApp(make_rows(200))
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        await pilot.pause()
        for _ in range(3):
            grid.post_message(events.MouseScrollDown(grid, 5, 5, 0, 1, 0, False, False, False))
        await pilot.pause()
        assert grid.scroll_y > 0
        assert screen_lines(grid)[0].split()[0] == "Name"
        assert screen_lines(grid)[1].split()[0] != "web-0"


async def test_bindings_can_be_remapped_by_id() -> None:
    app = GridApp(make_rows(50))
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        app.set_keymap({"grid.bottom": "G", "grid.top": "g", "grid.down": "j"})
        await pilot.press("j", "j")
        assert grid.cursor_row_key == 2
        await pilot.press("G")
        assert grid.cursor_row_key == 49
        await pilot.press("g")
        assert grid.cursor_row_key == 0


async def test_horizontal_scroll_when_columns_are_wide() -> None:
    rows = [make_row(i, name=f"a-very-long-server-name-{i:03d}-xxxxxxxxxxxx") for i in range(5)]
    app = GridApp(rows)
    async with app.run_test(size=(50, 20)) as pilot:
        grid = app.query_one(Grid)
        await pilot.pause()
        assert grid.virtual_size.width > grid.scrollable_content_region.width
        assert "Location" not in screen_lines(grid)[0]
        await pilot.press("right")
        assert grid.scroll_x > 0
        assert screen_lines(grid)[0].lstrip().startswith("Status")  # scrolled by one column
        await pilot.press("right", "right", "right", "right")
        assert "Location" in screen_lines(grid)[0]
        assert screen_lines(grid)[1].split()[-1] == "0.0"  # the last column is in view
        await pilot.press("left", "left", "left", "left", "left", "left")
        assert grid.scroll_x == 0
        assert screen_lines(grid)[0].split()[0] == "Name"


# --------------------------------------------------------------------------- sort


async def test_sort_natural_and_reverse() -> None:
    names = ["web-10", "web-2", "web-1", "db-3", "web-100"]
    rows = [make_row(i, name=n) for i, n in enumerate(names)]
    app = GridApp(rows)
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        grid.sort_by("name")
        await pilot.pause()
        order = [grid.get_row(k).cells[0] for k in grid.visible_keys]
        assert order == ["db-3", "web-1", "web-2", "web-10", "web-100"]
        assert "Name ▲" in screen_lines(grid)[0]
        grid.sort_by("name", reverse=True)
        await pilot.pause()
        order = [grid.get_row(k).cells[0] for k in grid.visible_keys]
        assert order == ["web-100", "web-10", "web-2", "web-1", "db-3"]
        assert "Name ▼" in screen_lines(grid)[0]
        assert grid.sort_state == ("name", True)
        grid.sort_by(None)
        assert grid.visible_keys == [0, 1, 2, 3, 4]
        with pytest.raises(KeyError):
            grid.sort_by("nope")


async def test_sort_by_ip_keeps_cursor_row() -> None:
    app = GridApp(make_rows(300))
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        await pilot.press("down", "down", "down")
        assert grid.cursor_row_key == 3
        grid.sort_by("ipv4", reverse=True)
        await pilot.pause()
        assert grid.visible_keys[:3] == [299, 298, 297]
        assert grid.cursor_row_key == 3  # the cursor followed its row


async def test_header_click_sorts_then_reverses() -> None:
    messages: list[Message] = []
    names = ["web-10", "web-2", "web-1"]
    rows = [make_row(i, name=n) for i, n in enumerate(names)]
    app = GridApp(rows)
    async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
        grid = app.query_one(Grid)
        await pilot.click(Grid, offset=(2, 0))
        await pilot.pause()
        assert grid.sort_state == ("name", False)
        assert [grid.get_row(k).cells[0] for k in grid.visible_keys] == ["web-1", "web-2", "web-10"]
        assert "Name ▲" in screen_lines(grid)[0]
        await pilot.click(Grid, offset=(2, 0))
        await pilot.pause()
        assert grid.sort_state == ("name", True)
        assert "Name ▼" in screen_lines(grid)[0]
        sorted_messages = [(m.column_key, m.reverse) for m in unique(messages, Grid.Sorted)]
        assert sorted_messages == [("name", False), ("name", True)]


# --------------------------------------------------------------------------- filter


async def test_filter_substring_inverse_and_counts() -> None:
    app = GridApp(make_rows(40))
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        grid.set_filter("RUNNING")  # case-insensitive
        await pilot.pause()
        assert grid.match_count == 10
        assert grid.total_count == 40
        assert all(grid.get_row(k).cells[1] == "running" for k in grid.visible_keys)
        assert screen_lines(grid)[1].split()[0] == "web-0"

        grid.set_filter("!running")
        await pilot.pause()
        assert grid.match_count == 30
        assert all(grid.get_row(k).cells[1] != "running" for k in grid.visible_keys)

        grid.set_filter("web-3")  # web-3, web-30..web-39
        assert grid.match_count == 11
        grid.set_filter("web-3 ")  # a match never spans two cells
        assert grid.match_count == 0
        grid.set_filter("")
        assert grid.match_count == 40
        grid.set_filter("!")
        assert grid.match_count == 40


async def test_filter_narrowing_matches_full_filter() -> None:
    app = GridApp(make_rows(500))
    async with app.run_test(size=(100, 30)):
        grid = app.query_one(Grid)
        grid.sort_by("cpu")
        for text in ["1", "10", "10.", "10.0.1"]:
            grid.set_filter(text)
        narrowed = grid.visible_keys
        grid.set_filter("")
        grid.set_filter("10.0.1")
        assert grid.visible_keys == narrowed
        assert len(narrowed) == 244  # 10.0.1.0 - 10.0.1.243


async def test_filter_keeps_cursor_on_matching_row_else_top() -> None:
    app = GridApp(make_rows(40))
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        for _ in range(4):
            await pilot.press("down")
        assert grid.cursor_row_key == 4  # web-4 is running
        grid.set_filter("running")
        assert grid.cursor_row_key == 4
        grid.set_filter("off")
        assert grid.cursor_row_key == 1  # first match
        grid.set_filter("")
        assert grid.cursor_row_key == 1


# --------------------------------------------------------------------------- updates


async def test_set_rows_keeps_cursor_on_same_key() -> None:
    messages: list[Message] = []
    app = GridApp(make_rows(30))
    async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
        grid = app.query_one(Grid)
        grid.sort_by("name")
        for _ in range(5):
            await pilot.press("down")
        key = grid.cursor_row_key
        # Refresh: rows arrive in another order, some removed, some added.
        fresh = [make_row(i) for i in reversed(range(30)) if i % 7 != 0] + [make_row(i) for i in range(30, 35)]
        assert key in {r.key for r in fresh}
        before = len(highlighted(messages))
        grid.set_rows(fresh)
        await pilot.pause()
        assert grid.cursor_row_key == key
        assert grid.sort_state == ("name", False)
        assert len(highlighted(messages)) == before  # same row: no new highlight
        assert grid.total_count == 30 - 5 + 5

        # The cursor's row disappears: the cursor stays at the nearest index.
        index = grid.cursor_index
        grid.set_rows([r for r in fresh if r.key != key])
        await pilot.pause()
        assert grid.cursor_index == index
        assert grid.cursor_row_key != key
        assert highlighted(messages)[-1] == grid.cursor_row_key


async def test_set_rows_keeps_filter() -> None:
    app = GridApp(make_rows(20))
    async with app.run_test(size=(100, 30)):
        grid = app.query_one(Grid)
        grid.set_filter("error")
        assert grid.match_count == 5
        grid.set_rows(make_rows(40))
        assert grid.filter_text == "error"
        assert grid.match_count == 10


async def test_update_row_changes_one_row() -> None:
    app = GridApp(make_rows(20))
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        await pilot.pause()
        before = screen_lines(grid)
        assert grid.update_row(make_row(3, status="starting"))
        await pilot.pause()
        after = screen_lines(grid)
        assert after[4].split()[1] == "starting"
        assert [i for i, (a, b) in enumerate(zip(before, after)) if a != b] == [4]
        assert grid.update_row(make_row(999)) is False
        with pytest.raises(ValueError):
            grid.update_row(Row(3, ("too", "few")))


async def test_update_row_refilters_and_resorts() -> None:
    app = GridApp(make_rows(20))
    async with app.run_test(size=(100, 30)):
        grid = app.query_one(Grid)
        grid.set_filter("running")
        assert 4 in grid.visible_keys
        grid.update_row(make_row(4, status="off"))
        assert 4 not in grid.visible_keys
        assert grid.match_count == 4
        grid.set_filter("")
        grid.sort_by("name")
        grid.update_row(make_row(7, name="aaa"))
        assert grid.visible_keys[0] == 7


async def test_update_row_grows_column() -> None:
    app = GridApp(make_rows(5))
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        grid.update_row(make_row(2, name="a-much-longer-name-here"))
        await pilot.pause()
        lines = screen_lines(grid)
        assert "a-much-longer-name-here" in lines[3]
        # Every line moved its later columns to the right, not only the updated one.
        status_x = lines[3].index("starting")
        assert lines[0].index("Status") == lines[1].index("running") == status_x


async def test_set_rows_rejects_bad_rows() -> None:
    app = GridApp(make_rows(5))
    async with app.run_test(size=(100, 30)):
        grid = app.query_one(Grid)
        with pytest.raises(ValueError, match="3 cells"):
            grid.set_rows([make_row(0), Row(1, ("a", "b", "c"))])
        with pytest.raises(ValueError, match="unique"):
            grid.set_rows([make_row(0), make_row(0)])
        assert grid.total_count == 5  # a rejected set_rows changes nothing


# --------------------------------------------------------------------------- empty state


async def test_empty_message() -> None:
    messages: list[Message] = []
    app = GridApp([])
    async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
        grid = app.query_one(Grid)
        await pilot.pause()
        assert grid.cursor_row_key is None
        lines = screen_lines(grid)
        assert lines[0].split()[0] == "Name"
        assert any(line.strip() == "No rows" for line in lines)
        message_line = next(line for line in lines if line.strip())
        assert message_line == lines[0]

        grid.set_rows(make_rows(10))
        grid.set_filter("xyz")
        await pilot.pause()
        assert grid.cursor_row_key is None
        assert any(line.strip() == "No rows match 'xyz'" for line in screen_lines(grid))
        grid.empty_message = "No servers match 'xyz'"
        await pilot.pause()
        text = next(line for line in screen_lines(grid)[1:] if line.strip())
        assert text.strip() == "No servers match 'xyz'"
        # Centred.
        left = len(text) - len(text.lstrip())
        right = len(text) - len(text.rstrip())
        assert abs(left - right) <= 1
        await pilot.press("down", "enter")
        assert selected(messages) == []
        assert highlighted(messages)[-2:] == [0, None]


async def test_cursor_style_follows_focus() -> None:
    app = GridApp(make_rows(10))
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        await pilot.pause()
        focused = grid.render_line(1)._segments[0].style.bgcolor
        app.set_focus(None)
        await pilot.pause()
        blurred = grid.render_line(1)._segments[0].style.bgcolor
        assert focused != blurred
        assert blurred != grid.render_line(2)._segments[0].style.bgcolor  # still visible


# --------------------------------------------------------------------------- themes


async def test_theme_change_restyles() -> None:
    app = GridApp(make_rows(10))
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        app.theme = "textual-dark"
        await pilot.pause()
        dark = [grid.render_line(y)._segments[0].style for y in range(3)]
        dark_status = [grid.render_line(y)._segments[1].style for y in (2, 3)]  # running, off
        app.theme = "textual-light"
        await pilot.pause()
        light = [grid.render_line(y)._segments[0].style for y in range(3)]
        light_status = [grid.render_line(y)._segments[1].style for y in (2, 3)]
        for d, l in zip(dark + dark_status, light + light_status):
            assert d.bgcolor != l.bgcolor
            assert d.color != l.color


async def test_cell_styles_use_theme_variables_and_blend_alpha() -> None:
    app = GridApp(make_rows(5))
    async with app.run_test(size=(100, 30)) as pilot:
        app.theme = "textual-dark"
        grid = app.query_one(Grid)
        await pilot.press("end")  # move the cursor away from the rows we look at
        await pilot.pause()
        plain = grid.render_line(2)._segments[0].style  # web-1's name: no cell style
        muted = grid.render_line(2)._segments[1].style  # "off": $text-muted (auto 60%)
        error = grid.render_line(4)._segments[1].style  # "error": bold $text-error
        assert muted.bgcolor == plain.bgcolor
        assert muted.color not in (plain.color, muted.bgcolor)
        # 60% of the way from the background to the contrasting text colour: grey, not white.
        red, green, blue = muted.color.triplet
        assert red == green == blue and 100 < red < 230
        assert error.bold and error.color.triplet == tuple(
            int(app.theme_variables["text-error"][i : i + 2], 16) for i in (1, 3, 5)
        )


# --------------------------------------------------------------------------- big data


async def test_100k_rows_load_and_filter() -> None:
    rows = make_rows(100_000)
    app = GridApp(rows)
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        await pilot.pause()
        assert grid.total_count == 100_000
        assert screen_lines(grid)[1].split()[0] == "web-0"

        grid.set_filter("web-9999")  # web-9999 and web-99990..web-99999
        await pilot.pause()
        assert grid.match_count == 11
        assert screen_lines(grid)[1].split()[0] == "web-9999"

        grid.set_filter("!running")
        assert grid.match_count == 75_000

        grid.set_filter("")
        grid.sort_by("name", reverse=True)
        await pilot.press("end")
        await pilot.pause()
        assert grid.cursor_row_key == 0
        assert screen_lines(grid)[-1].split()[0] == "web-0"
        assert screen_lines(grid)[1].split()[0] != "web-0"


# --------------------------------------------------------------------------- snapshots


class SnapshotApp(GridApp):
    def __init__(self, theme: str) -> None:
        super().__init__(make_rows(24))
        self._snapshot_theme = theme

    def on_mount(self) -> None:
        super().on_mount()
        self.theme = self._snapshot_theme
        grid = self.query_one(Grid)
        grid.sort_by("ipv4", reverse=True)


def test_snapshot_dark_sorted_with_cursor(snap_compare) -> None:
    assert snap_compare(SnapshotApp("textual-dark"), press=["down", "down", "down"], terminal_size=(100, 30))


def test_snapshot_light_filtered(snap_compare) -> None:
    async def run_before(pilot) -> None:
        grid = pilot.app.query_one(Grid)
        grid.set_filter("!off")
        await pilot.press("down")

    assert snap_compare(SnapshotApp("textual-light"), run_before=run_before, terminal_size=(100, 30))
