"""Matomo: the adapter, its API client, parsing and error mapping."""

from .adapter import MatomoAdapter

__all__ = ["MatomoAdapter"]
