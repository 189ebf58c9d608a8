"""Time to the first server row a person sees: `hostdeck` in a real pseudo-terminal against a bare Textual app.

Run:  .venv/bin/python bench/bench_startup.py [--servers 137] [--runs 5] [--slow-ms 3000]

Every program runs in its own pseudo-terminal (120x40, TERM=xterm-256color); its output is fed to a terminal
emulator (pyte), and the clock stops when the screen shows what a person waits for: the bare app's one line, or
the name of a server from the simulator in hostdeck's table. Measured alternately, `--runs` times each after one
untimed warm-up, median reported:

  bare          a bare Textual app showing one line (`Static`), the anchor
  cold          `hostdeck` with an empty store (fresh data dir) against the Hetzner simulator at 10 ms a request
  warm slow     `hostdeck` with the store filled by an earlier run, the simulator at `--slow-ms` a request
  warm down     the same store, the API down (connection refused)

The simulator runs in its own process (its own GIL). For "warm slow" the script also reports when the cached marks
disappear (the refreshed rows), to show the refresh still lands. Targets (issue 12): warm within 1.5x of bare, cold
within 2.0x.
"""

from __future__ import annotations

import fcntl
import os
import platform
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

import pyte

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from steady import options  # noqa: E402 (bench/ is the script's folder)

COLS, ROWS = 120, 40
TOKEN = "bench-startup-token"
DOWN_WAIT = 8.0  # seconds: the API-down screen shown in the report, once the refresh has given up

BARE = r"""
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("bare textual app: ready")

Bare().run()
"""

# The simulator in its own process; stdin lines change it: "latency MS", "stop".
SIM = r"""
import sys
from hostdeck.backends.sim.hetzner import HetznerSim
sim = HetznerSim(servers=int(sys.argv[1]), seed=7, token=sys.argv[2], rate_limit=10**6, refill_per_second=10**6)
print(sim.start(), flush=True)
print(sorted(s["name"] for s in sim.servers.values())[0], flush=True)
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "latency":
        sim.latency_ms = float(arg)
    elif cmd == "stop":
        sim.stop()
    print("ok", flush=True)
"""


class Sim:
    def __init__(self, servers: int) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", SIM, str(servers), TOKEN], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        self.first_name = self.proc.stdout.readline().strip()

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        self.proc.stdout.readline()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def watch(argv: list[str], env: dict, wanted: str, *, then: str | None = None, linger: float = 0.5,
          timeout: float = 60.0) -> dict:
    """Spawn `argv` in a pseudo-terminal; seconds from spawn until `wanted` is drawn (and until `then` is gone), and
    the screen `linger` seconds after that.

    `wanted` is looked for in the bytes as they arrive (what a terminal shows at once); the emulator (pyte, which
    costs this process far more than a real terminal would) is fed only after that, for the `then` phase and for
    the final screen, so its cost never lands in the measured time."""
    screen = pyte.Screen(COLS, ROWS)
    stream = pyte.ByteStream(screen)
    needle = wanted.encode()
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the program
        os.chdir(ROOT)
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    seen_at = gone_at = None
    received = bytearray()
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            if seen_at is None:
                tail = len(received) - len(needle)
                received += data
                if needle in received[max(0, tail):]:
                    seen_at = time.perf_counter() - start
                    stream.feed(bytes(received))
                    if then is None:
                        break
                continue
            stream.feed(data)
            if then not in "\n".join(screen.display):
                gone_at = time.perf_counter() - start
                break
        if seen_at is None:
            stream.feed(bytes(received))
        elif then is None:  # let the next frames land, for the screen shown in the report
            end = time.perf_counter() + linger
            while time.perf_counter() < end:
                if select.select([fd], [], [], 0.05)[0]:
                    try:
                        stream.feed(os.read(fd, 65536))
                    except OSError:
                        break
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    if seen_at is None:
        raise SystemExit(f"{' '.join(argv[-2:])}: {wanted!r} never appeared; the screen was:\n" + "\n".join(screen.display))
    return {"seen": seen_at, "gone": gone_at, "screen": list(screen.display)}


def hostdeck_argv() -> list[str]:
    script = Path(sys.executable).with_name("hostdeck")
    return [str(script)] if script.exists() else [sys.executable, "-m", "hostdeck.cli.main"]


def hostdeck_env(data_dir: Path, config: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTDECK_")}
    env.update(TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS), HOSTDECK_CONFIG=str(config),
               HOSTDECK_DATA_DIR=str(data_dir), HOSTDECK_SECRET_HZ_TOKEN=TOKEN, PYTHONPATH=str(ROOT))
    return env


def main() -> None:
    args = options(__doc__, servers=137, runs=5, slow_ms=3000.0, cold_ms=10.0)  # and the steady state (steady.py)

    work = Path(tempfile.mkdtemp(prefix="hostdeck-bench-startup-"))
    sim = Sim(args.servers)
    config = work / "config.toml"
    config.write_text(f'[[backends]]\nname = "hz"\nkind = "hetzner"\nurl = "{sim.url}"\n')
    bare_env = {**os.environ, "TERM": "xterm-256color"}
    warm_dir = work / "warm"
    results: dict[str, list[float]] = {"bare": [], "cold": [], "warm slow": [], "warm down": []}
    refreshed: list[float] = []
    try:
        # the store an earlier session left: one real listing
        proc = subprocess.run([*hostdeck_argv(), "servers", "--json"], env=hostdeck_env(warm_dir, config),
                              capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise SystemExit(f"filling the store failed:\n{proc.stderr}")
        name = sim.first_name
        bare = lambda: watch([sys.executable, "-c", BARE], bare_env, "bare textual app: ready")["seen"]

        def cold() -> float:
            sim.send(f"latency {args.cold_ms}")
            return watch(hostdeck_argv(), hostdeck_env(Path(tempfile.mkdtemp(dir=work)), config), name)["seen"]

        def warm_slow() -> float:
            sim.send(f"latency {args.slow_ms}")
            seen = watch(hostdeck_argv(), hostdeck_env(warm_dir, config), name, then="(cached)",
                         timeout=args.slow_ms / 1000 * 4 + 30)
            if seen["gone"] is not None:
                refreshed.append(seen["gone"])
            return seen["seen"]


        def warm_down() -> float:
            return watch(hostdeck_argv(), hostdeck_env(warm_dir, config), name)["seen"]

        for measure in (bare, cold, warm_slow):  # warm-up: page cache, .pyc files
            measure()
        for _ in range(args.runs):
            results["bare"].append(bare())
            results["cold"].append(cold())
            results["warm slow"].append(warm_slow())
        sim.send("stop")
        warm_down()
        for _ in range(args.runs):
            results["bare"].append(bare())
            results["warm down"].append(warm_down())
        last = watch(hostdeck_argv(), hostdeck_env(warm_dir, config), name, linger=DOWN_WAIT)
    finally:
        sim.close()
        shutil.rmtree(work, ignore_errors=True)

    import textual

    b = statistics.median(results["bare"])
    print(f"time to the first server row in a {COLS}x{ROWS} pseudo-terminal (pyte), median of {args.runs} runs "
          f"(bare: {len(results['bare'])}); {args.servers} servers on the Hetzner simulator")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, Python "
          f"{sys.version.split()[0]}, textual {textual.__version__}, load {os.getloadavg()[0]:.2f}")
    print(f"{'':34}{'median':>9}{'min':>8}{'max':>8}{'ratio':>8}  target")
    targets = {"bare": "", "cold": "<= 2.0x", "warm slow": "<= 1.5x", "warm down": "<= 1.5x"}
    labels = {"bare": "bare Textual app, one line", "cold": f"cold: empty store, {args.cold_ms:g} ms API",
              "warm slow": f"warm: cached, {args.slow_ms / 1000:g} s API", "warm down": "warm: cached, API down"}
    for key, values in results.items():
        m = statistics.median(values)
        print(f"  {labels[key]:32}{m * 1000:7.0f}ms{min(values) * 1000:6.0f}ms{max(values) * 1000:6.0f}ms"
              f"{m / b:7.2f}x  {targets[key]}")
    if refreshed:
        print(f"  warm slow: refreshed rows (cached marks gone) after {statistics.median(refreshed) * 1000:.0f} ms median")
    status = next((line.strip() for line in last["screen"] if " servers" in line and "·" in line), None)
    print(f"  API down, the status line {DOWN_WAIT:g} s after start: {status!r}")


if __name__ == "__main__":
    main()
