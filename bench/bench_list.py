"""Listing every Hetzner Cloud server: hostdeck against the official hcloud CLI and hcloud-python.

Run:  .venv/bin/python bench/bench_list.py [--servers 5000] [--latency 50] [--runs 3]

All tools list the same N seeded servers from the Hetzner simulator (backends/sim/hetzner.py), which
answers every request after `--latency` ms, like a distant API. The simulator runs in its own process
(its own GIL, so its threads never compete with a client measured in this process); its CPU time per
measurement is printed as a share of the wall time to show it is not the bottleneck. Its rate limit
is set to 1,000,000 requests refilling 1,000,000/s, so no tool is ever slowed down by 429s.

Measured, each `--runs` times in turn (a, b, c, d, a, b, ...), median reported; one untimed warm-up
of each first (page cache, .pyc files, hostdeck's database, the simulator's JSON cache):

  (a) `hostdeck servers --json`     whole command wall time, Python start-up included: what a user waits for
  (b) `hcloud server list -o json`  the Debian hcloud-cli package, via HCLOUD_ENDPOINT / HCLOUD_TOKEN
  (c) hcloud-python                 `Client(...).servers.get_all()` in a fresh interpreter: whole-process
                                    wall time, and the in-process time of the get_all() call alone
  (d) hostdeck in-process           `HetznerAdapter.list_servers()`: the pure listing cost

hostdeck fetches page 1 and then the remaining pages concurrently (at most 32 in flight); both official
clients follow `next_page` one page after another (50 servers per page). Every run checks that exactly
N rows came back; a short or failed listing is shown in the table, never hidden. Old hcloud CLI
versions read `server.datacenter`, removed from the API in 2026: the CLI is first tried against the
current API and only if that fails against the simulator's `legacy_datacenter=True` mode; the mode
used is printed. The ratios compare whole commands (a/b/c) and in-process calls (c vs d); the goal is
hostdeck at least 8x faster than both official clients.

Beside hostdeck's time the script prints the physical floor: the round trips no client can avoid (page 1 alone,
since only its answer tells how many pages there are, then the other pages `concurrency` at a time:
(1 + ceil((pages - 1) / concurrency)) x latency) plus starting the same program (`hostdeck --help`, measured).
The goal there is hostdeck's whole command within 1.5x of that floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "list_servers"
sys.path.insert(0, str(ROOT))
from steady import compile_hostdeck  # noqa: E402 (bench/ is the script's folder)

TOKEN = "bench-token-0123456789"
RATE = 1_000_000
GOAL = 8.0
FLOOR_GOAL = 1.5

SIM = r"""
import sys, time
from hostdeck.backends.sim.hetzner import HetznerSim
servers, latency, legacy, token, rate = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "1", sys.argv[4], int(sys.argv[5])
sim = HetznerSim(servers=servers, seed=1, latency_ms=latency, token=token, rate_limit=rate, refill_per_second=rate,
                 legacy_datacenter=legacy)
print(sim.start(), flush=True)
for _ in sys.stdin:                      # each line asks for the process's CPU seconds so far (all threads)
    print(time.process_time(), flush=True)
sim.stop()
"""

HCLOUD_PY = r"""
import json, sys, time
import hcloud
t = time.perf_counter()
servers = hcloud.Client(token=sys.argv[2], api_endpoint=sys.argv[1]).servers.get_all()
print(json.dumps({"rows": len(servers), "call_s": time.perf_counter() - t}))
"""


class Sim:
    """The simulator in a child process; `cpu()` is its CPU time so far."""

    def __init__(self, servers: int, latency: float, legacy: bool = False) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", SIM, str(servers), str(latency), "1" if legacy else "0",
                                      TOKEN, str(RATE)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise SystemExit("the simulator did not start")

    def cpu(self) -> float:
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


# Each tool returns {"rows": rows listed or None, "error": ..., "call_s": ...}; the caller times it.
def failed(proc: subprocess.CompletedProcess) -> dict:
    return {"rows": None, "error": f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"}


def run_hostdeck(sim: Sim, env: dict[str, str]) -> dict:
    proc = subprocess.run([str(Path(sys.executable).parent / "hostdeck"), "servers", "--json"], env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return failed(proc)
    return {"rows": len(json.loads(proc.stdout))}


def run_hcloud_cli(sim: Sim, env: dict[str, str]) -> dict:
    env = {**env, "HCLOUD_ENDPOINT": sim.url, "HCLOUD_TOKEN": TOKEN, "HCLOUD_CONFIG": str(OUT / "hcloud-cli.toml")}
    proc = subprocess.run(["hcloud", "server", "list", "-o", "json"], env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return failed(proc)
    return {"rows": len(json.loads(proc.stdout))}


def run_hcloud_python(sim: Sim, env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", HCLOUD_PY, sim.url, TOKEN], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return failed(proc)
    return json.loads(proc.stdout)


def run_adapter(sim: Sim, env: dict[str, str]) -> dict:
    from hostdeck.backends.config import BackendConfig
    from hostdeck.backends.hetzner import HetznerAdapter
    from hostdeck.backends.secrets import Secrets

    async def listing() -> int:
        adapter = HetznerAdapter(BackendConfig(name="hz", kind="hetzner", url=sim.url),
                                 secrets=Secrets(overlay={("hz", "token"): TOKEN}))
        try:
            return len(await adapter.list_servers())
        finally:
            await adapter.aclose()

    return {"rows": asyncio.run(listing())}


def run_process_start(sim: Sim, env: dict[str, str]) -> dict:
    """Starting the same program and doing nothing: the process-start part of the floor."""
    proc = subprocess.run([str(Path(sys.executable).parent / "hostdeck"), "--help"], env=env, capture_output=True,
                          text=True, timeout=60)
    return failed(proc) if proc.returncode != 0 else {"rows": None}


def measure(tool, sim: Sim, env: dict[str, str]) -> dict:
    cpu = sim.cpu()
    start = time.perf_counter()
    result = tool(sim, env)
    wall = time.perf_counter() - start
    return {"error": "", **result, "wall": wall, "sim_cpu": (sim.cpu() - cpu) / wall}


def facts() -> list[str]:
    cli = shutil.which("hcloud")
    cli_version = "not installed (apt-get install -y hcloud-cli)"
    if cli:
        said = subprocess.run([cli, "version"], capture_output=True, text=True).stdout.strip()
        deb = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "hcloud-cli"], capture_output=True, text=True).stdout
        cli_version = f"Debian hcloud-cli {deb or '?'} ({cli}; `hcloud version` says: {said!r})"
    return [f"machine        {platform.platform()}, nproc {os.cpu_count()} (usable {len(os.sched_getaffinity(0))})",
            f"python         {platform.python_version()} ({sys.executable})",
            f"hcloud CLI     {cli_version}",
            f"hcloud-python  {version('hcloud')}",
            f"hostdeck       {version('hostdeck')}, Hetzner concurrency {concurrency()} (default), 50 servers per page"]


def concurrency() -> int:
    from hostdeck.backends.hetzner.adapter import DEFAULT_CONCURRENCY

    return DEFAULT_CONCURRENCY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=50.0, help="ms the simulator waits before each answer")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    compile_hostdeck()  # steady state: see bench/steady.py
    n = args.servers
    OUT.mkdir(parents=True, exist_ok=True)
    print("\n".join(facts()))
    print(f"parameters     {n} servers ({-(-n // 50)} pages of 50), {args.latency:g} ms latency per request, "
          f"{args.runs} runs (median), simulator rate limit {RATE:,} refilling {RATE:,}/s (never limits)\n")

    sims = {False: Sim(n, args.latency)}
    config = OUT / "config.toml"
    config.write_text(f'[[backends]]\nname = "hz"\nkind = "hetzner"\nurl = "{sims[False].url}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOSTDECK_", "HCLOUD_"))}
    env.update(HOSTDECK_CONFIG=str(config), HOSTDECK_DATA_DIR=str(OUT / "data"), HOSTDECK_SECRET_HZ_TOKEN=TOKEN)

    tools = {"(a) hostdeck servers --json": run_hostdeck, "(c) hcloud-python get_all()": run_hcloud_python,
             "(d) hostdeck adapter in-process": run_adapter}
    sim_of = {name: sims[False] for name in tools}
    try:
        for name, tool in tools.items():  # warm-up
            warm = measure(tool, sims[False], env)
            print(f"warm-up {name}: {warm['rows']} rows {warm['error']}")
        if shutil.which("hcloud"):
            probe = measure(run_hcloud_cli, sims[False], env)
            mode = "current API (no server.datacenter)"
            print(f"warm-up (b) hcloud CLI, current API: {probe['rows']} rows {probe['error']}")
            if probe["rows"] != n:
                sims[True] = Sim(n, args.latency, legacy=True)
                probe = measure(run_hcloud_cli, sims[True], env)
                mode = "legacy_datacenter=True (server.datacenter added: the CLI failed against the current API)"
                print(f"warm-up (b) hcloud CLI, legacy_datacenter=True: {probe['rows']} rows {probe['error']}")
            print(f"hcloud CLI mode: {mode}")
            tools["(b) hcloud server list -o json"] = run_hcloud_cli
            sim_of["(b) hcloud server list -o json"] = sims.get(True, sims[False])
        order = sorted(tools)
        results: dict[str, list[dict]] = {name: [] for name in order}
        starts = []
        for _ in range(args.runs):
            for name in order:
                results[name].append(measure(tools[name], sim_of[name], env))
            starts.append(measure(run_process_start, sims[False], env)["wall"])
    finally:
        for sim in sims.values():
            sim.close()

    median = {name: statistics.median(r["wall"] for r in runs) for name, runs in results.items()}
    print(f"\n{'tool':34} {'median s':>9}  {'runs s':22} {'rows':>14}  {'sim CPU':>7}  error")
    for name in order:
        runs = results[name]
        walls = [r["wall"] for r in runs]
        rows = {r["rows"] for r in runs}
        ok = rows == {n}
        rows_text = f"{n} ok" if ok else "/".join(str(r) for r in sorted(rows, key=str)) + f" of {n} !!"
        errors = "; ".join(dict.fromkeys(r["error"] for r in runs if r["error"]))
        print(f"{name:34} {median[name]:9.3f}  {' '.join(f'{w:.3f}' for w in walls):22} {rows_text:>14}  "
              f"{max(r['sim_cpu'] for r in runs):6.0%}  {errors}")
        if not ok:
            print(f"    !! {name} did not list exactly {n} servers in every run")
    calls = [r["call_s"] for r in results["(c) hcloud-python get_all()"] if "call_s" in r]
    if calls:
        print(f"{'    (c) its get_all() call alone':34} {statistics.median(calls):9.3f}  "
              f"{' '.join(f'{c:.3f}' for c in calls):22}  (in-process, without interpreter start-up and import)")

    print("\nratios (higher = hostdeck faster; goal >= 8x):")
    hd, hd_in = median["(a) hostdeck servers --json"], median["(d) hostdeck adapter in-process"]
    pairs = [("hcloud-python / hostdeck, whole processes (c/a)", median["(c) hcloud-python get_all()"] / hd)]
    if calls:
        pairs.append(("hcloud-python / hostdeck, in-process calls (c call/d)", statistics.median(calls) / hd_in))
    if "(b) hcloud server list -o json" in median:
        pairs.insert(0, ("hcloud CLI / hostdeck, whole processes (b/a)", median["(b) hcloud server list -o json"] / hd))
    for label, ratio in pairs:
        print(f"  {label:54} {ratio:6.1f}x  {'goal met' if ratio >= GOAL else 'BELOW the 8x goal'}")
    pages = -(-n // 50)
    trips = 1 + -(-(pages - 1) // concurrency())
    start = statistics.median(starts)
    floor = trips * args.latency / 1000 + start
    print(f"\nphysical floor: {trips} round trips x {args.latency:g} ms (page 1, then {pages - 1} pages "
          f"{concurrency()} at a time) + process start {start:.3f} s (`hostdeck --help`, median) = {floor:.3f} s")
    print(f"  hostdeck servers --json {hd:.3f} s = {hd / floor:.2f}x the floor  "
          f"{'goal met' if hd / floor <= FLOOR_GOAL else f'ABOVE the {FLOOR_GOAL}x goal'}")
    print("\nsim CPU = the simulator process's CPU time / the tool's wall time (worst run); far below 100% means "
          "the simulator was waiting on the latency, not working.")


if __name__ == "__main__":
    main()
