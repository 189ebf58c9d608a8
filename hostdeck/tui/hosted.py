"""`self.app` as the type checker should see it in hostdeck's screens, dialogs and panes: the HostdeckApp."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import HostdeckApp


class OnHostdeckApp:
    """Mixed in before Textual's class: to mypy `self.app` has the workspace, read_only, report_failure, ...
    (Textual types it as a plain `App`). Nothing changes at run time."""

    if TYPE_CHECKING:

        @property
        def app(self) -> HostdeckApp: ...
