"""How many outcomes of a sync run ended each way."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Protocol


class HasResult(Protocol):
    @property
    def result(self) -> str: ...


def count_by_result(outcomes: Iterable[HasResult]) -> dict[str, int]:
    """result -> how many, in the order the results first appear."""
    return dict(Counter(o.result for o in outcomes))


def counts_line(counts: dict[str, int], empty: str = "nothing to do") -> str:
    """"3 created, 2 linked" (results in name order), or `empty` when there are none."""
    return ", ".join(f"{n} {result}" for result, n in sorted(counts.items())) or empty
