"""Loopback simulators of every backend, for `--demo`, `hostdeck sim` and the integration tests."""

from .server import FAULT_KINDS
from .server import Fault
from .server import FaultSet
from .server import Request
from .server import Response
from .server import Router
from .server import SimApp
from .server import SimServer

__all__ = ["FAULT_KINDS", "Fault", "FaultSet", "Request", "Response", "Router", "SimApp", "SimServer"]
