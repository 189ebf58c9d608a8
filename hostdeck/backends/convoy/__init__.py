"""ConvoyPanel (application API v3/v4): the adapter, its resource clients, parsing and the server spec."""

from .adapter import ConvoyAdapter
from .spec import ConvoyServerSpec

__all__ = ["ConvoyAdapter", "ConvoyServerSpec"]
