"""A PostgreSQL store that asks for a password when none is set anywhere: the error names the ways to give one.

The server is a stand-in on a real loopback socket that speaks the start of PostgreSQL's protocol (it declines SSL
and GSS encryption, then asks for a cleartext password), which is all libpq needs to fail with "no password
supplied"."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import cli_env
from tests.support.cli import run_cli

SSL_REQUEST, GSS_REQUEST = 80877103, 80877104
CLEARTEXT_PASSWORD = 3


def _answer(conn: socket.socket) -> None:
    with conn:
        while True:
            head = conn.recv(8, socket.MSG_WAITALL)
            if len(head) < 8:
                return
            length, code = struct.unpack("!ii", head)
            if code in (SSL_REQUEST, GSS_REQUEST):
                conn.sendall(b"N")
                continue
            conn.recv(length - 8, socket.MSG_WAITALL)   # the startup message: user, database
            conn.sendall(b"R" + struct.pack("!ii", 8, CLEARTEXT_PASSWORD))
            conn.recv(1024)
            return


@pytest.fixture
def asks_for_a_password() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=_answer, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def test_no_password_anywhere_names_the_ways_to_give_one(tmp_path: Path, asks_for_a_password: int) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[general]\ndatabase = "postgresql://hostdeck@127.0.0.1:{asks_for_a_password}/hostdeck"\n')
    env = cli_env(config=config, data=tmp_path / "data", PGPASSFILE=str(tmp_path / "no-pgpass"))
    proc = run_cli(env, "db", "status", timeout=60)
    assert proc.returncode == 2 and "no password supplied" in proc.stderr
    assert "`hostdeck secret set database password`" in proc.stderr and "PGPASSFILE" in proc.stderr
    assert "without one" in proc.stderr and "reachable, readable and writable" not in proc.stderr
