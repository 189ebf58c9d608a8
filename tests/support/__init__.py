"""Helpers shared by the test folders: fixtures built from a simulator and an adapter factory, JSON shape checks."""
