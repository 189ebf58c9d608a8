"""Benchmark: the customer search, one query per keystroke, against the 50 ms budget.

Run:  .venv/bin/python bench/bench_customers.py [--clients 10000] [--servers 50000] [--invoices 20000]

Builds an index of `--clients` clients whose services are linked to `--servers` servers (IPv4 and IPv6 each) in a
temporary SQLite store, through the same code the CLI uses (`customers.index.build` and `write`), then types queries
one keystroke at a time (each prefix of an IP address, an e-mail, a name, a domain, a server name, a service id, an
invoice number, and a text that matches nothing) and times `customers.query.search` for every prefix. Prints the
build time and the median and worst keystroke, each as a ratio of the 50 ms target (below 1.0 is within budget).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hostdeck.backends.customers.index import build  # noqa: E402
from hostdeck.backends.customers.index import write  # noqa: E402
from hostdeck.backends.customers.query import search  # noqa: E402
from hostdeck.backends.customers.sources import Sources  # noqa: E402
from hostdeck.backends.store import Store  # noqa: E402
from hostdeck.backends.sync.syncmap import Link  # noqa: E402

TARGET_MS = 50.0
FIRST = ("Ana", "Bo", "Chen", "Dara", "Emil", "Fatima", "Goran", "Hana", "Ivo", "Jonas", "Kira", "Lars", "Mia")
LAST = ("Lima", "Berg", "Wang", "Novak", "Fischer", "Haddad", "Kovac", "Sato", "Ilic", "Weber", "Moreau", "Jensen")


def sources(clients: int, servers: int, invoices: int, seed: int = 1) -> Sources:
    rng = random.Random(seed)
    client_rows = [{"id": str(c), "first_name": rng.choice(FIRST), "last_name": rng.choice(LAST),
                    "company": rng.choice(("", "", "Pixelwerk", "Nordlicht GmbH", "Studio Costa")),
                    "email": f"user{c}@example{c % 97}.com", "status": "Active"} for c in range(1, clients + 1)]
    services, links, inventory = [], [], {}
    for n in range(servers):
        sid, cid = str(100_000 + n), str(rng.randrange(1, clients + 1))
        backend = ("hz", "vps", "pve")[n % 3]
        ipv4 = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        inventory[(backend, str(n))] = {"backend": backend, "id": str(n), "name": f"srv-{n}.example.net",
                                        "status": "running", "ipv4": ipv4, "ipv6": f"2001:db8:{n:x}::/64"}
        services.append({"id": sid, "client_id": cid, "product": "cx22", "status": "Active", "next_due": "2027-01-01",
                         "amount": "9.90", "cycle": "Monthly", "domain": f"srv-{n}.example.net", "ip": ipv4,
                         "assigned_ips": "", "server_id": str(n)})
        links.append(Link("service", "billing", sid, backend, right_id=str(n), left_key=cid, status="linked"))
    invoice_rows = [{"id": str(5000 + i), "client_id": str(rng.randrange(1, clients + 1)), "number": f"2026-{i:05d}",
                     "status": "Paid", "total": "9.90", "currency": "EUR"} for i in range(invoices)]
    return Sources("billing", client_rows, services, invoice_rows, inventory, links, [])


def keystrokes(engine, query: str) -> list[float]:
    out = []
    for end in range(1, len(query) + 1):
        start = time.perf_counter()
        search(engine, query[:end])
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--servers", type=int, default=50_000)
    parser.add_argument("--invoices", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(path=Path(tmp) / "hostdeck.db")
        start = time.perf_counter()
        entries = build(sources(args.clients, args.servers, args.invoices))
        terms = write(store.engine, entries)
        built = time.perf_counter() - start
        n = args.servers // 2
        queries = {"ipv4": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", "ipv6": f"2001:db8:{n:x}::1",
                   "e-mail": "user4711@example55.com", "name": "fischer", "company": "nordlicht",
                   "server name": f"srv-{n}.example.net", "service id": str(100_000 + n),
                   "invoice number": "2026-00042", "no match": "zzzz-nobody"}
        search(store.engine, "warm")
        rows = []
        every: list[float] = []
        for label, query in queries.items():
            times = keystrokes(store.engine, query)
            every += times
            rows.append((label, query, len(times), statistics.median(times), max(times)))
        store.close()
    print(f"python {sys.version.split()[0]} on {sys.platform}; {args.clients} clients, {args.servers} servers, "
          f"{args.invoices} invoices: {len(entries)} clients and {terms} terms indexed in {built:.2f} s")
    print(f"{'query':<15} {'text':<28} {'keys':>4} {'median ms':>10} {'worst ms':>9}")
    for label, query, keys, median, worst in rows:
        print(f"{label:<15} {query:<28} {keys:>4} {median:>10.2f} {worst:>9.2f}")
    median, worst = statistics.median(every), max(every)
    print(f"all {len(every)} keystrokes: median {median:.2f} ms ({median / TARGET_MS:.2f}x the {TARGET_MS:.0f} ms "
          f"target), worst {worst:.2f} ms ({worst / TARGET_MS:.2f}x)")


if __name__ == "__main__":
    main()
