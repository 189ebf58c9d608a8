"""Everything that talks to the outside world or keeps state. Never imports tui, textual or rich."""

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

__version__ = "0.1.0"


class _WithoutHttpxCli:
    """`import httpx` also imports httpx's own command-line client (click, rich, pygments) whenever click is installed,
    as it is beside import-linter: Rich inside the backends and tens of milliseconds per start for a command line
    hostdeck never runs. Refusing that one module makes httpx fall back to its stub."""

    @staticmethod
    def find_spec(name: str, path: Sequence[str] | None = None, target: ModuleType | None = None) -> ModuleSpec | None:
        if name == "httpx._main":
            raise ModuleNotFoundError("hostdeck does not load httpx's command-line client", name=name)
        return None


if _WithoutHttpxCli not in sys.meta_path:
    sys.meta_path.insert(0, _WithoutHttpxCli)
