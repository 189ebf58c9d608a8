"""Fixtures every test folder may use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def memory_keyring() -> Iterator[dict[tuple[str, str], str]]:
    """An empty in-memory keyring for the test (its store is yielded); the previous keyring comes back after."""
    import keyring

    from tests.memkeyring import MemoryKeyring

    previous = keyring.get_keyring()
    MemoryKeyring.store = {}
    keyring.set_keyring(MemoryKeyring())
    yield MemoryKeyring.store
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """No usable keyring, as on a headless Linux machine (keyring's `fail` backend); the previous one comes back after."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


# PostgreSQL: a throwaway cluster per session, a database per test, and `store_url` for SQLite and PostgreSQL alike
from tests.support.postgres import pg_cluster  # noqa: E402, F401
from tests.support.postgres import pg_url  # noqa: E402, F401
from tests.support.postgres import store_url  # noqa: E402, F401
