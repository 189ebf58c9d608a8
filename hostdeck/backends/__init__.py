"""Everything that talks to the outside world or keeps state. Never imports tui, textual or rich."""

__version__ = "0.1.0"
