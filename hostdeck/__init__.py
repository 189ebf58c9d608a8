"""hostdeck: one keyboard-driven console over a hosting company's systems.

`hostdeck.backends` talks to the systems (adapters, simulators, store) and never imports the UI;
`hostdeck.tui` is the Textual app; `hostdeck.cli` the command line; `hostdeck.styles` the app's CSS."""

from .backends import __version__

__all__ = ["__version__"]
