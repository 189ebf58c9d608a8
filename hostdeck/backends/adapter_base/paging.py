"""Complete listings of a paged collection, whatever the paging: page numbers (Hetzner, Convoy), row or page offsets
(WHMCS `limitstart`), or a chain of next-page links read by the first page's reader.

The first page says how many items there are and which pages remain; the rest are read concurrently (or in order,
when the API gives no stable order). Items are deduplicated by key; a listing short of the total is read once more,
then it is an error: a list is complete or it fails, never silently short.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import Generic
from typing import TypeVar

from ..errors import ProtocolError

K = TypeVar("K")
Item = dict[str, Any]
PageProgress = Callable[[int, int], None]


@dataclass(slots=True)
class FirstPage(Generic[K]):
    items: list[Item]
    rest: Sequence[K] = ()          # what to ask for to read each remaining page (a page number, an offset)
    total: int | None = None        # the number of items the API says the collection holds, when it says
    counted: bool = True            # False: the number of pages is unknown, so no progress is reported


async def read_all(first: Callable[[], Awaitable[FirstPage[K]]], page: Callable[[K], Awaitable[list[Item]]], *,
                   key: Callable[[Item], Any], operation: str, backend: str, progress: PageProgress | None = None,
                   concurrent: bool = True, noun: str = "items", server: str = "the API") -> list[Item]:
    """Every item: `first()` reads page one, `page(k)` each page named in its `rest`."""
    result: list[Item] = []
    total: int | None = None
    for _attempt in range(2):
        head = await first()
        total = head.total
        pages = [head.items]
        done, count = 1, 1 + len(head.rest)
        report = progress if head.counted else None
        if report:
            report(done, count)

        async def fetch(k: K, report: Callable[[int, int], None] | None = report, count: int = count) -> list[Item]:
            nonlocal done
            items = await page(k)
            done += 1
            if report:
                report(done, count)
            return items

        if concurrent:
            pages += await _gather_or_cancel([fetch(k) for k in head.rest])
        else:
            for k in head.rest:
                pages.append(await fetch(k))
        seen: dict[Any, Item] = {}
        for items in pages:
            for item in items:
                seen.setdefault(key(item), item)
        result = list(seen.values())
        if total is None or len(result) >= total:
            return result
        # Items moved between pages while they were read (a create or delete): read once more, then fail.
    raise ProtocolError(f"{operation}: got {len(result)} of {total} {noun} twice in a row; the list changed while it "
                        f"was read or {server} is not paging correctly. Try again.", backend=backend,
                        operation=operation)


async def _gather_or_cancel(calls: list[Awaitable[list[Item]]]) -> list[list[Item]]:
    tasks = [asyncio.ensure_future(c) for c in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        raise
