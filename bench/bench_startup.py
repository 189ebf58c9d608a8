"""Start to first paint: `hostdeck --demo` against a bare Textual app with the same widgets.

Both run headless in fresh interpreters, spawned alternately; each child reports the wall time from its spawn
(`time.time()` passed on the command line) to `on_ready` (the first screen painted), and which heavy modules were
imported by then. hostdeck's figure includes starting the demo simulators, building the workspace and its
adapters, exactly what `hostdeck --demo` does before its first paint. The budget (DESIGN.md) is at most 1.3x.

    .venv/bin/python bench/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE = r"""
import sys, time, json
spawn = float(sys.argv[1])
from textual.app import App
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.widgets import Footer, Input, Static

KEYS = [("slash", "Filter"), ("escape", "Clear/back"), ("a", "Actions"), ("d", "Details"), ("r", "Refresh"),
        ("n", "New server"), ("c", "Copy IP"), ("s", "Sort"), ("question_mark", "Keys"), ("q", "Quit")]

class Table(ScrollView, can_focus=True):
    pass

class Main(Screen):
    BINDINGS = [Binding(key, "bell", label) for key, label in KEYS]

    def compose(self):
        yield Static("hostdeck  Servers  1:Servers 2:Catalog 3:Sync 4:Sites 5:Logs 6:Connections")
        yield Input(placeholder="filter")
        with Horizontal():
            yield Table()
            with VerticalScroll():
                yield Static("details")
        yield Static("status")
        yield Footer()

class Bare(App):
    MODES = {"main": Main}

    def on_mount(self):
        self.switch_mode("main")

    def on_ready(self):
        self.ready = time.time() - spawn
        self.call_after_refresh(self.exit, 0)

app = Bare()
app.run(headless=True)
print(json.dumps({"ready_s": app.ready, "heavy": sorted(m for m in ("sqlalchemy", "paramiko", "sqlmodel") if m in sys.modules)}))
"""

HOSTDECK = r"""
import sys, time, json
spawn = float(sys.argv[1])
from types import SimpleNamespace
from tui.cli.context import CommandContext
context = CommandContext(SimpleNamespace(demo=True, read_only=False, config=None), defer_demo=True)
with context as ws:  # exactly what tui/launch.py does for `hostdeck --demo`
    from tui.app import HostdeckApp

    class Measured(HostdeckApp):
        def on_ready(self):
            super().on_ready()
            self.ready = time.time() - spawn
            self.heavy = sorted(m for m in ("sqlalchemy", "paramiko", "sqlmodel") if m in sys.modules)
            self.call_after_refresh(self.exit, 0)

    app = Measured(ws, demo=True, prepare=context.demo.start)
    app.run(headless=True)
print(json.dumps({"ready_s": app.ready, "heavy": app.heavy}))
"""


def run(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, repr(time.time())], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    run(BARE), run(HOSTDECK)  # warm the OS file cache for both
    bare, hostdeck, heavy = [], [], set()
    for _ in range(args.runs):
        bare.append(run(BARE)["ready_s"])
        result = run(HOSTDECK)
        hostdeck.append(result["ready_s"])
        heavy.update(result["heavy"])
    b, h = statistics.median(bare), statistics.median(hostdeck)
    import textual

    print(f"start to first paint, headless, median of {args.runs} runs each (textual {textual.__version__}, "
          f"Python {sys.version.split()[0]})")
    print(f"  bare Textual app, same widgets : {b * 1000:7.0f} ms   (min {min(bare) * 1000:.0f}, max {max(bare) * 1000:.0f})")
    print(f"  hostdeck --demo                : {h * 1000:7.0f} ms   (min {min(hostdeck) * 1000:.0f}, max {max(hostdeck) * 1000:.0f})")
    print(f"  ratio hostdeck / bare          : {h / b:7.2f}x   (budget 1.30x)")
    print(f"  heavy modules loaded before the first paint: {', '.join(sorted(heavy)) or 'none (sqlalchemy, sqlmodel, paramiko stay off the path)'}")


if __name__ == "__main__":
    main()
