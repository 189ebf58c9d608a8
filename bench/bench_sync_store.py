"""The client sync on SQLite and on PostgreSQL, side by side: 1,000 WHMCS clients pushed to Convoy (fresh simulators
in their own process for each run), hostdeck's engine as `hostdeck sync clients --push` runs it, once into a new
SQLite store and once into a new PostgreSQL database. The ratio says what a team's shared store costs a sync.

PostgreSQL: `--pg URL` (an empty database), else a throwaway cluster started like the tests' (tests/support/postgres.py:
initdb in a temp dir, a free loopback port; as `nobody` when run as root), stopped at the end.

    .venv/bin/python bench/bench_sync_store.py [--clients 1000] [--latency 30] [--pg URL]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_sync import hostdeck  # noqa: E402 - the engine run, shared with bench_sync.py
from bench_sync import measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=30.0, metavar="MS")
    parser.add_argument("--pg", metavar="URL", help="an empty PostgreSQL database (default: a throwaway cluster)")
    args = parser.parse_args()
    cluster = None
    url = args.pg
    if url is None:
        from tests.support.postgres import start_cluster

        cluster = start_cluster()
        url = cluster.new_database()
    try:
        print(f"push {args.clients} WHMCS clients to Convoy, {args.latency:g} ms latency per request, into each store")
        sqlite = measure("SQLite", hostdeck, args.clients, args.latency)
        postgres = measure("PostgreSQL", hostdeck, args.clients, args.latency, database=url)
        print(f"  ratio PostgreSQL / SQLite: {postgres / sqlite:.2f}x")
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
