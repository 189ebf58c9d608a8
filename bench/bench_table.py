"""Benchmark: hostdeck's Grid against Textual's stock DataTable.

Run:  .venv/bin/python bench/bench_table.py [--rows 10000 100000] [--timeout 60]

For each row count it measures, headless (App.run_test), each case in a fresh
subprocess so one widget's caches and garbage never slow the other:

  load    DataTable.add_rows / Grid.set_rows  -> screen repainted and the widget idle
  filter  one filter keystroke -> repainted. For Grid: set_filter(text). The stock
          DataTable has no filter, so it costs clear() + add_rows(matching rows).

Before each timed step the app idles for 0.1 s (data and keystrokes arrive at an
idle app; otherwise a step can wait a whole frame for the previous one's timer).
"Repainted" is measured with time.perf_counter from just before the call to a
callback scheduled with call_after_refresh, repeated until the DataTable has no
pending idle measuring (its column sizing runs in an Idle handler, after the first
paint). Figures are for comparing with each other, not with a real terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLUMN_LABELS = [("name", "Name"), ("status", "Status"), ("ipv4", "IPv4"),
                 ("plan", "Plan"), ("location", "Location"), ("customer", "Customer")]
FILTER_TEXT = "fsn1"  # one keystroke's worth of filter: about a third of the rows match
SIZE = (120, 40)
IDLE_GAP = 0.1  # the app sits idle this long before each timed step, as between keystrokes


def server_rows(count: int, seed: int = 7) -> list[tuple[str, ...]]:
    """Realistic, deterministic server-list rows (6 text columns)."""
    rng = random.Random(seed)
    roles = ["web", "db", "mail", "cache", "vps", "k8s-node", "backup", "lb"]
    statuses = ["running"] * 12 + ["off", "starting", "stopping", "installing", "error", "suspended"]
    plans = ["cx22", "cx32", "cpx11", "cpx21", "cpx31", "ccx13", "ccx23", "cax11", "VPS S", "VPS M", "VPS L"]
    locations = ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"]
    first = ["anna", "ben", "chen", "dara", "emil", "fatima", "georg", "hana", "ivan", "jule"]
    companies = ["acme", "bluefox", "nordwind", "kiosk24", "pixelhaus", "stadtwerk", "orbit", "zebra-it"]
    rows = []
    for i in range(count):
        role = rng.choice(roles)
        customer = f"{rng.choice(first)}@{rng.choice(companies)}.example"
        rows.append((
            f"{role}-{i}.{rng.choice(companies)}",
            rng.choice(statuses),
            f"{rng.randint(5, 195)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            rng.choice(plans),
            rng.choice(locations),
            customer,
        ))
    return rows


async def _painted(app, widget, *, datatable: bool) -> float:
    """Wait until the screen has repainted and the widget has no pending idle work."""
    loop = asyncio.get_running_loop()
    while True:
        future = loop.create_future()
        widget.call_after_refresh(lambda future=future: future.done() or future.set_result(None))
        await future
        pending = datatable and (widget._require_update_dimensions or widget._updated_cells)
        if not pending:
            return time.perf_counter()


async def run_datatable(count: int) -> dict:
    from textual.app import App
    from textual.app import ComposeResult
    from textual.widgets import DataTable

    rows = server_rows(count)

    class Bench(App):
        def compose(self) -> ComposeResult:
            yield DataTable()

    result: dict = {}
    app = Bench()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        for key, label in COLUMN_LABELS:
            table.add_column(label, key=key)
        await pilot.pause()

        await asyncio.sleep(IDLE_GAP)
        start = time.perf_counter()
        table.add_rows(rows)
        result["load"] = await _painted(app, table, datatable=True) - start
        assert table.row_count == count

        await asyncio.sleep(IDLE_GAP)
        start = time.perf_counter()
        needle = FILTER_TEXT.lower()
        matching = [r for r in rows if needle in "\x1f".join(r).lower()]
        table.clear()
        table.add_rows(matching)
        result["filter"] = await _painted(app, table, datatable=True) - start
        result["matches"] = table.row_count
    return result


async def run_grid(count: int) -> dict:
    from textual.app import App
    from textual.app import ComposeResult

    from hostdeck.tui.widgets import Column
    from hostdeck.tui.widgets import Grid
    from hostdeck.tui.widgets import Row

    data = server_rows(count)
    style = {"running": "$text-success", "error": "bold $text-error", "off": "$foreground-muted"}
    rows = [
        Row(i, cells, styles=(None, style.get(cells[1]), None, None, None, None))
        for i, cells in enumerate(data)
    ]

    class Bench(App):
        def compose(self) -> ComposeResult:
            yield Grid([Column(key, label) for key, label in COLUMN_LABELS])

    result: dict = {}
    app = Bench()
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.focus()
        await pilot.pause()

        await asyncio.sleep(IDLE_GAP)
        start = time.perf_counter()
        grid.set_rows(rows)
        result["load_call"] = time.perf_counter() - start
        result["load"] = await _painted(app, grid, datatable=False) - start
        assert grid.render_line(1).text.split()[0] == data[0][0]

        await asyncio.sleep(IDLE_GAP)
        start = time.perf_counter()
        grid.set_filter(FILTER_TEXT)
        result["filter_call"] = time.perf_counter() - start
        result["filter"] = await _painted(app, grid, datatable=False) - start
        result["matches"] = grid.match_count

        # Extras (not compared): a refresh with the same data, a sort, an inverse filter.
        await asyncio.sleep(IDLE_GAP)
        start = time.perf_counter()
        grid.set_rows(list(rows))
        result["refresh"] = await _painted(app, grid, datatable=False) - start
        await asyncio.sleep(IDLE_GAP)
        start = time.perf_counter()
        grid.set_filter("!" + FILTER_TEXT)
        result["filter_inverse"] = await _painted(app, grid, datatable=False) - start
        await asyncio.sleep(IDLE_GAP)
        start = time.perf_counter()
        grid.sort_by("ipv4")
        result["sort"] = await _painted(app, grid, datatable=False) - start
    return result


def run_case(widget: str, count: int, timeout: float) -> dict | None:
    """Run one case in a subprocess; None if it took longer than `timeout`."""
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--case", widget, "--rows", str(count)],
            capture_output=True, text=True, timeout=timeout, check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as error:
        sys.stderr.write(error.stderr)
        raise
    return json.loads(done.stdout.strip().splitlines()[-1])


def fmt(value: float | None) -> str:
    return "skipped" if value is None else f"{value:8.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds before a DataTable case is abandoned (default 60)")
    parser.add_argument("--case", choices=["datatable", "grid"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.case:
        runner = run_datatable if args.case == "datatable" else run_grid
        print(json.dumps(asyncio.run(runner(args.rows[0]))))
        return

    import textual

    print(f"textual {textual.__version__}, Python {sys.version.split()[0]}, headless {SIZE[0]}x{SIZE[1]}, "
          f"6 text columns, filter {FILTER_TEXT!r}")
    print()
    header = f"{'rows':>8} | {'case':<34} | {'DataTable s':>11} | {'Grid s':>8} | {'ratio':>7}"
    print(header)
    print("-" * len(header))
    notes = []
    extras = []
    for count in args.rows:
        grid = run_case("grid", count, timeout=args.timeout * 10)
        table = run_case("datatable", count, timeout=args.timeout)
        if table is None:
            notes.append(f"DataTable with {count:,} rows took longer than {args.timeout:.0f} s "
                         f"and was stopped; its cases are skipped.")
        for case, label in (("load", "load: add_rows/set_rows -> painted"),
                            ("filter", "filter keystroke -> painted")):
            t = None if table is None else table[case]
            g = grid[case]
            ratio = "-" if t is None else f"{t / g:6.1f}x"
            print(f"{count:>8,} | {label:<34} | {fmt(t):>11} | {fmt(g):>8} | {ratio:>7}")
        extras.append(f"{count:>8,} rows, Grid only: set_rows call {grid['load_call']:.3f} s, "
                      f"set_filter call {grid['filter_call']:.4f} s, refresh set_rows {grid['refresh']:.3f} s, "
                      f"'!{FILTER_TEXT}' {grid['filter_inverse']:.3f} s, sort by IPv4 {grid['sort']:.3f} s; "
                      f"filter matched {grid['matches']:,} rows")
    print()
    for line in extras:
        print(line)
    for line in notes:
        print(line)
    print("DataTable 'filter' = clear() + add_rows(matching rows): it has no filter of its own.")


if __name__ == "__main__":
    main()
