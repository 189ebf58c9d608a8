"""Help texts for the Sync and Sites screens when their backends are not configured."""

from __future__ import annotations

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

It needs a CloudPanel backend (SSH) and, for analytics, a Matomo backend:

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
