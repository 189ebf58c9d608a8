"""Reusable hostdeck widgets."""

from hostdeck.tui.widgets.grid import Column, Grid, Row, natural_key

__all__ = ["Column", "Grid", "Row", "natural_key"]
