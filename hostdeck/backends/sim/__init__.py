"""Loopback simulators of every backend, for `--demo`, `hostdeck sim` and the integration tests."""

from .server import FAULT_KINDS, Fault, FaultSet, Request, Response, Router, SimApp, SimServer

__all__ = ["FAULT_KINDS", "Fault", "FaultSet", "Request", "Response", "Router", "SimApp", "SimServer"]
