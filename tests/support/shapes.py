"""Comparing a simulator's JSON with a vendor's recorded answer: the same keys and the same JSON types."""

from __future__ import annotations

from typing import Any


def same_shape(ours: Any, theirs: Any, where: str = "", *, keyed_by_data: str | None = None,
               null_is_any: bool = False) -> None:
    """Same keys and the same JSON types as the recorded answer (strings stay strings, ints stay ints).

    `keyed_by_data`: a key whose dict is keyed by data (currency codes), compared value by value with the recorded
    first value. `null_is_any`: a null on either side matches any type."""
    options: dict[str, Any] = dict(keyed_by_data=keyed_by_data, null_is_any=null_is_any)
    if isinstance(theirs, dict) and keyed_by_data and where.endswith("." + keyed_by_data):
        for code, table in ours.items():
            same_shape(table, next(iter(theirs.values())), f"{where}.{code}", **options)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict), where
        assert set(ours) == set(theirs), f"{where}: {sorted(set(ours) ^ set(theirs))}"
        for k in theirs:
            same_shape(ours[k], theirs[k], f"{where}.{k}", **options)
    elif isinstance(theirs, list):
        assert isinstance(ours, list), where
        if ours and theirs:
            same_shape(ours[0], theirs[0], f"{where}[]", **options)
    elif not (null_is_any and (theirs is None or ours is None)):
        assert type(ours) is type(theirs), f"{where}: {type(ours).__name__} != {type(theirs).__name__}"
