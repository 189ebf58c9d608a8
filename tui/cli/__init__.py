"""The `hostdeck` command line. Sub-commands never import Textual; only the bare command starts the TUI."""

from .main import main, run

__all__ = ["main", "run"]
