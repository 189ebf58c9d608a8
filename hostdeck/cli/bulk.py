"""Bulk writes ask first: without --yes a sync that would write many records runs as a dry run, lists what would
change, and exits 2 naming --yes; --dry-run lists the same and exits 0. Read-only refuses before any of it."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

from hostdeck.backends.sync.tally import counts_line

from .output import emit_json
from .output import say
from .output import table
from .output import warn

EXIT_ASK = 2
AGAIN = "run again with --yes to do it"


def read_only_on(args: argparse.Namespace) -> bool:
    """`--read-only`, or `[general] read_only = true` in the config (as the workspace will have it): checked before
    the workspace is opened, so a refusal comes before any plan is read. A config that cannot be read says so later."""
    if getattr(args, "read_only", False):
        return True
    if getattr(args, "demo", False):
        return False
    from hostdeck.backends.config import load_config
    from hostdeck.backends.errors import ConfigError

    try:
        return bool(load_config(getattr(args, "config", None)).general.read_only)
    except ConfigError:
        return False


def refuse_read_only(args: argparse.Namespace, what: str) -> None:
    """Read-only: the write is refused up front (nothing sent, nothing written); a dry run is still allowed."""
    if not getattr(args, "dry_run", False) and read_only_on(args):
        from hostdeck.backends.errors import ReadOnlyError

        raise ReadOnlyError(f"read-only mode is on: {what} refused; nothing was sent and the sync map was not changed.",
                            operation=what)


def only_plan(args: argparse.Namespace) -> bool:
    """True when the command lists what it would do instead of doing it (--dry-run, or no --yes)."""
    return bool(getattr(args, "dry_run", False)) or not getattr(args, "yes", False)



def show_plan(args: argparse.Namespace, what: str, doc: dict[str, Any], counts: dict[str, int],
              headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """The plan of a bulk write: the items that would change (a table, or `doc` with --json) and the counts. Exit 0
    for --dry-run, else 2 with the word to go on."""
    asked = not getattr(args, "dry_run", False)
    if args.json:
        emit_json({**doc, "dry_run": True, "counts": counts, **({"confirm": AGAIN} if asked else {})})
    else:
        listed = [list(r) for r in rows]
        table(headers, listed) if listed else say("nothing would change.")
        say(f"{what} (dry run): {counts_line(counts)}")
    if not asked:
        return 0
    warn(f"{what}: nothing was done: {AGAIN}.")
    return EXIT_ASK
