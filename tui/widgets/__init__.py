"""Reusable hostdeck widgets."""

from tui.widgets.grid import Column, Grid, Row, natural_key

__all__ = ["Column", "Grid", "Row", "natural_key"]
