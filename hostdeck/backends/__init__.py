"""Everything that talks to the outside world or keeps state. Never imports tui, textual or rich."""

import sys
from importlib.abc import Loader
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec

__version__ = "0.1.0"


class _HttpxWithoutItsCommandLine(MetaPathFinder, Loader):
    """`import httpx` also imports `httpx._main`, its command-line tool, which loads Rich and Pygments whenever Click
    is installed: 50 ms on the way to the first rows, and UI libraries inside the backends. hostdeck never runs that
    tool, so when httpx asks for it, it gets a stand-in that says so."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        return ModuleSpec(name, self) if name == "httpx._main" else None

    def create_module(self, spec: ModuleSpec) -> None:
        return None

    def exec_module(self, module: object) -> None:
        def main() -> None:
            raise SystemExit("httpx's command line is not available inside hostdeck; run `python -m httpx` instead.")

        module.main = main  # type: ignore[attr-defined]


if "httpx" not in sys.modules and not any(isinstance(f, _HttpxWithoutItsCommandLine) for f in sys.meta_path):
    sys.meta_path.insert(0, _HttpxWithoutItsCommandLine())
