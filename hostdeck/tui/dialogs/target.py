"""The lines every day-2 dialog starts with: which backend, which server, which customer pays for it."""

from __future__ import annotations

from rich.text import Text

from hostdeck.backends.models import Server

from ..safe_text import as_text

LIMIT = 300  # characters of one backend string


def target_lines(server: Server, *, call: str = "") -> Text:
    """Backend, server (with its id) and customer (the billing link's client, when billing knows it), as plain Text."""
    text = Text.assemble("Backend   ", as_text(server.backend, "bold", limit=LIMIT),
                         "\nServer    ", as_text(server.name, "bold", limit=LIMIT), as_text(f" (id {server.id})", "dim"),
                         "\nCustomer  ")
    if server.billing_link:
        text.append_text(as_text(server.billing_link, "bold", limit=LIMIT))
    else:
        text.append("not linked in billing", "dim")
    if call:
        text.append_text(Text.assemble("\nCall      ", as_text(call, "dim", limit=LIMIT)))
    return text
