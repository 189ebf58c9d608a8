"""A command line given the wrong arguments: `hostdeck` exits 2 for it, as argparse does for its own usage errors."""

from __future__ import annotations

from hostdeck.backends.errors import ValidationError


class UsageError(ValidationError):
    """Arguments that cannot go together (or are missing), found before anything is sent; exit 2, not 1."""

    category = "usage"
