"""WHMCS client sync: 1,000 clients over 30 ms of latency, hostdeck's engine against one client at a time.

Both push every WHMCS client to the Convoy panel (create the panel user or link the one with the email) from fresh
simulators, started in a separate process for each measurement so that the clients never share a GIL with them:

  (a) hostdeck      `ClientSync.push()` as `hostdeck sync clients` runs it: the panel's users read once (all pages)
                    and matched by email, creates 16 at a time, the sync map written in batches
  (b) one at a time the seed's way: for each client in turn, look the email up on the panel, create the user when
                    there is none, write its link; the same adapters, sync map and store

Each is checked: every client linked, no duplicate panel user. Goal: (a) at least 8x faster than (b).

    .venv/bin/python bench/bench_sync.py [--clients 1000] [--latency 30]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IDENTIFIER, SECRET, TOKEN = "bench-identifier-0123456789", "bench-secret-0123456789", "1|bench-convoy-token-0123456789abcdefghijkl"

SIMS = r"""
import sys
from hostdeck.backends.sim.cluster import Cluster
from hostdeck.backends.sim.convoy import ConvoySim
from hostdeck.backends.sim.whmcs import WhmcsSim
clients, latency = int(sys.argv[1]), float(sys.argv[2])
whmcs = WhmcsSim(clients=clients, seed=1, identifier=sys.argv[3], secret=sys.argv[4], latency_ms=latency)
convoy = ConvoySim(servers=4, users=20, seed=1, token=sys.argv[5], cluster=Cluster(), latency_ms=latency)
print(whmcs.start(), convoy.start(), flush=True)
sys.stdin.read()
"""


def start_sims(clients: int, latency: float) -> tuple[subprocess.Popen, str, str]:
    proc = subprocess.Popen([sys.executable, "-c", SIMS, str(clients), str(latency), IDENTIFIER, SECRET, TOKEN],
                            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    whmcs_url, convoy_url = proc.stdout.readline().split()
    return proc, whmcs_url, convoy_url


def engine(whmcs_url: str, convoy_url: str, db: Path | str, concurrency: int):
    """`db`: a SQLite file, or a database URL (bench_sync_store.py: PostgreSQL)."""
    from hostdeck.backends.config import DEFAULT_FIELD_MAPPING
    from hostdeck.backends.config import BackendConfig
    from hostdeck.backends.convoy import ConvoyAdapter
    from hostdeck.backends.secrets import Secrets
    from hostdeck.backends.store import Store
    from hostdeck.backends.sync.clients import ClientSync
    from hostdeck.backends.whmcs import WhmcsAdapter

    secrets = Secrets(overlay={("billing", "identifier"): IDENTIFIER, ("billing", "secret"): SECRET,
                               ("billing", "accesskey"): "", ("vps", "token"): TOKEN})
    billing = WhmcsAdapter(BackendConfig(name="billing", kind="whmcs", url=whmcs_url, max_concurrency=concurrency),
                           secrets=secrets)
    panel = ConvoyAdapter(BackendConfig(name="vps", kind="convoy", url=convoy_url, max_concurrency=concurrency),
                          secrets=secrets)
    store = Store(db) if isinstance(db, str) else Store(path=db)
    return ClientSync(billing, panel, store, mapping=dict(DEFAULT_FIELD_MAPPING), concurrency=concurrency)


async def hostdeck(sync) -> int:
    report = await sync.push()
    return len(report.outcomes) - report.failed


async def one_at_a_time(sync) -> int:
    from hostdeck.backends.models import utcnow
    from hostdeck.backends.sync.mapping import fingerprint
    from hostdeck.backends.sync.mapping import render
    from hostdeck.backends.sync.syncmap import Link

    done = 0
    for client in await sync.billing.get_clients():
        fields = render(sync.mapping, client)
        link = await sync.panel.create_or_link_user(fields["email"], fields["name"])  # look up, then create if absent
        await asyncio.to_thread(sync.map.write, [Link("client", "billing", client.id, "vps", str(link.user.id),
                                                      left_key=client.email, status="synced",
                                                      fingerprint=fingerprint(fields), last_synced=utcnow())], [])
        done += 1
    return done


def measure(name: str, run, clients: int, latency: float, database: str | None = None) -> float:
    """`database`: a URL to sync into instead of a new SQLite file."""
    proc, whmcs_url, convoy_url = start_sims(clients, latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sync = engine(whmcs_url, convoy_url, database or Path(tmp) / "h.db", 16 if run is hostdeck else 1)

            async def go():
                started = time.perf_counter()
                linked = await run(sync)
                seconds = time.perf_counter() - started
                users = await sync.panel.list_users()
                await sync.billing.aclose()
                await sync.panel.aclose()
                return linked, seconds, users

            linked, seconds, users = asyncio.run(go())
            emails = [u.email.lower() for u in users]
            ok = linked == clients and len(emails) == len(set(emails))
            print(f"  {name:14} {seconds:8.2f} s   {linked} clients linked, {len(users)} panel users, "
                  f"{'no duplicates' if len(emails) == len(set(emails)) else 'DUPLICATES'}{'' if ok else '  <- CHECK FAILED'}")
            return seconds
    finally:
        proc.stdin.close()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=30.0, metavar="MS")
    args = parser.parse_args()
    print(f"push {args.clients} WHMCS clients to Convoy, {args.latency:g} ms latency per request (simulators in their own process)")
    fast = measure("hostdeck", hostdeck, args.clients, args.latency)
    slow = measure("one at a time", one_at_a_time, args.clients, args.latency)
    print(f"  ratio one-at-a-time / hostdeck: {slow / fast:.1f}x   (goal >= 8x)")


if __name__ == "__main__":
    main()
