"""Convoy speaks bytes; hostdeck's models keep MB and GB (binary: 1 MB = 2**20 bytes). Parsed leniently."""

from __future__ import annotations

from typing import Any

from ..numbers import as_int as as_int  # used here and re-exported

MIB = 1 << 20
GIB = 1 << 30



def mb_to_bytes(mb: int) -> int:
    return int(mb) * MIB


def gb_to_bytes(gb: int) -> int:
    return int(gb) * GIB


def bytes_to_mb(value: Any) -> int | None:
    """Floored, as the README says: bytes // 1048576."""
    number = as_int(value)
    return None if number is None else number // MIB


def bytes_to_gb(value: Any) -> int | None:
    number = as_int(value)
    return None if number is None else number // GIB
