"""Reusable hostdeck widgets."""

from hostdeck.tui.widgets.grid import Column
from hostdeck.tui.widgets.grid import Grid
from hostdeck.tui.widgets.grid import Row
from hostdeck.tui.widgets.grid import natural_key

__all__ = ["Column", "Grid", "Row", "natural_key"]
