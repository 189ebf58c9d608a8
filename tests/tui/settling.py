"""Waiting for an app's workers when some of them are meant to fail (their failures are reported, not raised)."""

from __future__ import annotations

from textual.worker import WorkerFailed


async def settle(app, pilot) -> None:
    """Pause, wait until no worker runs (a failed one is not an error here), pause again."""
    await pilot.pause()
    for _ in range(100):
        try:
            await app.workers.wait_for_complete()
            break
        except WorkerFailed:
            await pilot.pause()  # the failed worker leaves the manager; wait for the others
    await pilot.pause()
