"""50,000 servers across three providers: first rows from the store, a filter keystroke, a sort, resident memory.

Run:  .venv/bin/python bench/bench_scale.py [--hetzner 20000] [--convoy 15000] [--proxmox 15000] [--runs 5]

Set-up (not timed): the Hetzner, Convoy and Proxmox simulators are started with that many servers and listed once
through hostdeck's own adapters; the lists are kept in a fresh store exactly as a session keeps them. The
simulators are then stopped: every measurement below runs with the APIs down (connection refused), so what is
measured is hostdeck working from its store, and no refresh replaces the rows half-way.

  first rows    `hostdeck` in a 120x40 pseudo-terminal until the first server row is drawn, against a bare
                Textual app showing one line (same method as bench_startup.py), alternately, median
  keystroke     in a headless app holding every row: one character typed into the filter box, until the grid
                has repainted (Input changed -> filter -> `call_after_refresh`), for each key of a query and
                its deletion, median and worst
  sort          the same, for the Sort key cycling through the columns
  memory        resident set size (VmRSS) of that process with all rows loaded, and its peak (VmHWM)

Targets (issue 12): first rows within 1.5x of the bare app; a filter keystroke under 50 ms; RSS under 400 MB.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_startup import BARE  # noqa: E402
from bench_startup import hostdeck_argv  # noqa: E402
from bench_startup import watch  # noqa: E402
from steady import options  # noqa: E402

HZ_TOKEN, CV_TOKEN, PVE_SECRET = "scale-hz-token", "1|scale-convoy-token-0123456789abcdefghij", "scale-pve-secret"

# The headless measurements, in a fresh process of their own (argv: a JSON list of filter queries).
PROBE = r"""
import asyncio, json, statistics, sys, time
from types import SimpleNamespace
from hostdeck.cli.context import CommandContext

def rss():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return {k: int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM")}

async def repainted(screen):
    done = asyncio.Event()
    screen.call_after_refresh(done.set)
    await done.wait()

async def main():
    queries = json.loads(sys.argv[1])
    with CommandContext(SimpleNamespace(demo=False, read_only=False, config=None)) as ws:
        from hostdeck.tui.app import HostdeckApp
        from textual.widgets import Input
        app = HostdeckApp(ws, auto_refresh=False)
        out = {}
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()  # the refresh, failing: the APIs are down
            await pilot.pause()
            screen = app.screen
            grid = screen.grid
            out["rows"] = grid.total_count
            out["memory_loaded"] = rss()
            await pilot.press("slash")
            box = screen.query_one("#filter", Input)
            keys, values = [], []
            for query in queries:
                for value in [query[:i] for i in range(1, len(query) + 1)] + [query[:i] for i in range(len(query) - 1, -1, -1)]:
                    start = time.perf_counter()
                    box.value = value
                    while grid.filter_text != value:
                        await asyncio.sleep(0)
                    await repainted(screen)
                    keys.append(time.perf_counter() - start)
                    values.append(value)
            out["keys"] = keys
            out["slowest"] = sorted(zip(keys, values), reverse=True)[:3]
            await pilot.press("escape")
            sorts = []
            for _ in range(8):
                start = time.perf_counter()
                screen.action_sort_next()
                await repainted(screen)
                sorts.append(time.perf_counter() - start)
            out["sorts"] = sorts
            out["memory_after"] = rss()
    print(json.dumps(out))

asyncio.run(main())
"""


def fill_store(data_dir: Path, counts: dict[str, int]) -> tuple[Path, str, int]:
    """List the simulators once through the adapters and keep the lists; returns (config, first name, rows)."""
    from hostdeck.backends.config import BackendConfig
    from hostdeck.backends.config import Config
    from hostdeck.backends.config import GeneralConfig
    from hostdeck.backends.secrets import Secrets
    from hostdeck.backends.sim.cluster import Cluster
    from hostdeck.backends.sim.convoy import ConvoySim
    from hostdeck.backends.sim.hetzner import HetznerSim
    from hostdeck.backends.sim.proxmox import ProxmoxSim
    from hostdeck.backends.workspace import Workspace
    from hostdeck.tui.screens.servers.cache import remember_servers

    sims = {
        "hz": HetznerSim(servers=counts["hz"], seed=1, token=HZ_TOKEN, rate_limit=10**7, refill_per_second=10**7),
        "vps": ConvoySim(servers=counts["vps"], users=500, seed=2, token=CV_TOKEN, cluster=Cluster()),
        "pve": ProxmoxSim(cluster=Cluster(), vms_per_node=max(1, counts["pve"] // 3), seed=3, token_secret=PVE_SECRET),
    }
    for sim in sims.values():
        sim.start()
    config = Config(path=None, general=GeneralConfig())
    config.backends += [BackendConfig(name="hz", kind="hetzner", url=sims["hz"].base_url),
                        BackendConfig(name="vps", kind="convoy", url=sims["vps"].base_url),
                        BackendConfig(name="pve", kind="proxmox", url=sims["pve"].base_url,
                                      options={"token_id": "hostdeck@pve!hostdeck"})]
    secrets = Secrets(overlay={("hz", "token"): HZ_TOKEN, ("vps", "token"): CV_TOKEN, ("pve", "token_secret"): PVE_SECRET})
    ws = Workspace(config, secrets, data_dir=data_dir)

    async def listing():
        try:
            return await asyncio.gather(*(a.list_servers() for a in ws.listing_adapters()))
        finally:
            await ws.aclose()

    try:
        lists = asyncio.run(listing())
    finally:
        for sim in sims.values():
            sim.stop()
    names, total = [], 0
    for adapter, servers in zip(ws.listing_adapters(), lists):
        remember_servers(ws, adapter.name, servers)  # as the TUI keeps a list: with its head (first rows by name)
        names += [s.name for s in servers]
        total += len(servers)
        print(f"  {adapter.name} ({adapter.kind}): {len(servers):,} servers kept")
    ws.close_store()
    path = data_dir / "config.toml"
    path.write_text("".join(f'[[backends]]\nname = "{b.name}"\nkind = "{b.kind}"\nurl = "{b.url}"\n'
                            + ('token_id = "hostdeck@pve!hostdeck"\n' if b.kind == "proxmox" else "") + "\n"
                            for b in config.backends))
    return path, min(names), total


def main() -> None:
    args = options(__doc__, hetzner=20000, convoy=15000, proxmox=15000, runs=5)  # and the steady state (steady.py)

    work = Path(tempfile.mkdtemp(prefix="hostdeck-bench-scale-"))
    try:
        print("set-up: listing the simulators once through the adapters (not timed)")
        started = time.perf_counter()
        config, first_name, total = fill_store(work, {"hz": args.hetzner, "vps": args.convoy, "pve": args.proxmox})
        print(f"  {total:,} servers in the store ({(work / 'hostdeck.db').stat().st_size / 1e6:.0f} MB) after "
              f"{time.perf_counter() - started:.0f} s; the simulators are stopped now (APIs down)\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTDECK_")}
        env.update(TERM="xterm-256color", HOSTDECK_CONFIG=str(config), HOSTDECK_DATA_DIR=str(work),
                   HOSTDECK_SECRET_HZ_TOKEN=HZ_TOKEN, HOSTDECK_SECRET_VPS_TOKEN=CV_TOKEN,
                   HOSTDECK_SECRET_PVE_TOKEN_SECRET=PVE_SECRET, PYTHONPATH=str(ROOT))
        bare_env = {**os.environ, "TERM": "xterm-256color"}

        bare = lambda: watch([sys.executable, "-c", BARE], bare_env, "bare textual app: ready")["seen"]
        first = lambda: watch(hostdeck_argv(), env, first_name, timeout=120)["seen"]
        bare(), first()  # warm-up
        bares, firsts = [], []
        for _ in range(args.runs):
            bares.append(bare())
            firsts.append(first())

        queries = ["web-1", "fsn1", "!running"]
        proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(queries)], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise SystemExit(f"the headless probe failed:\n{proc.stderr[-3000:]}")
        probe = json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)

    import textual

    b, f = statistics.median(bares), statistics.median(firsts)
    keys, sorts = probe["keys"], probe["sorts"]
    ms = lambda s: f"{s * 1000:.0f} ms"
    print(f"{total:,} servers across three providers (Hetzner {args.hetzner:,}, Convoy {args.convoy:,}, Proxmox "
          f"{args.proxmox:,}); Python {sys.version.split()[0]}, textual {textual.__version__}, {os.cpu_count()} cpus, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"  first rows from the store (pty, median of {args.runs}): hostdeck {ms(f)} vs bare app {ms(b)} = "
          f"{f / b:.2f}x  (target <= 1.5x: {'met' if f / b <= 1.5 else 'NOT met'})")
    print(f"  rows in the grid: {probe['rows']:,}")
    print(f"  filter keystroke to repaint ({len(keys)} keys of {', '.join(map(repr, queries))} typed and deleted): "
          f"median {ms(statistics.median(keys))}, worst {ms(max(keys))}  (target < 50 ms: "
          f"{'met' if max(keys) < 0.05 else 'median ' + ('met' if statistics.median(keys) < 0.05 else 'NOT met') + ', worst not'})")
    print("    slowest keys: " + ", ".join(f"{v!r} {ms(t)}" for t, v in probe["slowest"]))
    print(f"  sort key to repaint (8 columns): median {ms(statistics.median(sorts))}, worst {ms(max(sorts))}")
    mem = probe["memory_after"]
    print(f"  resident memory with every row loaded: {probe['memory_loaded']['VmRSS']:.0f} MB, after the keys and sorts "
          f"{mem['VmRSS']:.0f} MB, peak {mem['VmHWM']:.0f} MB  (target < 400 MB: "
          f"{'met' if mem['VmHWM'] < 400 else 'NOT met'})")


if __name__ == "__main__":
    main()
