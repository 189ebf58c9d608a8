"""Hetzner Cloud: the adapter, its resource clients and parsing."""

from .adapter import HetznerAdapter

__all__ = ["HetznerAdapter"]
