"""`self.app` as the type checker should see it in hostdeck's screens, dialogs and panes: the HostdeckApp."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual import getters
    from textual.message_pump import MessagePump

    from .app import HostdeckApp

    class OnHostdeckApp(MessagePump):
        """To mypy `self.app` has the workspace, read_only, report_failure, ... (Textual types it as a plain `App`).
        A MessagePump here so that mixing it in before Textual's class overrides `app` rather than conflicting."""

        app = getters.app(HostdeckApp)

else:

    class OnHostdeckApp:
        """Mixed in before Textual's class (screens, dialogs, panes): nothing at run time."""
