"""Sync and Sites: what they will hold and how to configure them, until their backends land."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Markdown

from ..widgets.topbar import TopBar

SYNC_TEXT = """\
# Sync

This screen will keep **WHMCS** and the other systems in step:

- clients ↔ Convoy panel users (push, update, pull, check, unlink), with a sync map, a log and stats;
- WHMCS services ↔ servers (billing links, proposals with their evidence, drift);
- servers → the company's VPS panel.

It needs a WHMCS backend and a Convoy panel in the config (the `[sync]` table names them when there are several):

```toml
[sync]
billing = "billing"
panel = "vps"

[[backends]]
name = "billing"
kind = "whmcs"
url = "https://billing.example.com"
```

then `hostdeck secret set billing identifier` and `hostdeck secret set billing secret`.
"""

SITES_TEXT = """\
# Sites

This screen will create sites on a **CloudPanel** server over SSH, give them a Let's Encrypt certificate
and register them in **Matomo**, tracking every step so a failed one can be retried alone.

It needs a CloudPanel and a Matomo backend (not in this version yet):

```toml
[[backends]]
name = "web1"
kind = "cloudpanel"
host = "web1.example.com"
user = "root"

[[backends]]
name = "stats"
kind = "matomo"
url = "https://matomo.example.com"
```
"""


class _Placeholder(Screen):
    TITLE_TEXT = ""
    BODY = ""

    def compose(self) -> ComposeResult:
        yield TopBar(self.TITLE_TEXT)
        yield Markdown(self.BODY, classes="placeholder")
        yield Footer()


class SitesScreen(_Placeholder):
    TITLE_TEXT = "Sites"
    BODY = SITES_TEXT
