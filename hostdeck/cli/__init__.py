"""The `hostdeck` command line. Sub-commands never import Textual; only the bare command starts the TUI."""


def main(argv: list[str] | None = None) -> int:
    from .main import main as _main

    return _main(argv)


def run() -> None:
    from .main import run as _run

    _run()


__all__ = ["main", "run"]
