"""WHMCS: the adapter, its per-area API clients, parsing and error mapping."""

from .adapter import WhmcsAdapter

__all__ = ["WhmcsAdapter"]
