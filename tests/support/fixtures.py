"""Pytest fixtures made from a simulator factory and an adapter factory, so each test file states only its seed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest


def sim_fixture(open_sim: Callable[[], AbstractContextManager[Any]], scope: str = "function") -> Any:
    """A fixture yielding a running simulator (`open_sim()` entered), stopped after the test or the module."""

    @pytest.fixture(scope=scope)
    def running() -> Iterator[Any]:
        with open_sim() as sim:
            yield sim

    return running


def adapter_fixture(make: Callable[..., Any], sim: str = "sim", *, clear_faults: bool = False, **options: Any) -> Any:
    """A fixture yielding `make(<the fixture named sim>, **options)`, closed after the test. `clear_faults` for a
    simulator shared by a module: the faults one test left are cleared before and after."""

    @pytest.fixture
    async def adapter(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
        simulator = request.getfixturevalue(sim)
        if clear_faults:
            simulator.faults.clear()
        made = make(simulator, **options)
        yield made
        await made.aclose()
        if clear_faults:
            simulator.faults.clear()

    return adapter
