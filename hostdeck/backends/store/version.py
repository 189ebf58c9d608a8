"""The schema version this hostdeck writes (see migrations.py for the steps to it)."""

LATEST = 6
