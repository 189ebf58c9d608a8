"""Building the site pipeline for a CloudPanel backend, with the configured Matomo backend for analytics."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..roles import Role
from .pipeline import SitePipeline


def site_pipeline(workspace: Any, cloudpanel: str | None = None) -> SitePipeline:
    panels = [a for a in workspace.adapters.values() if a.plays(Role.SITE_HOST)]
    if cloudpanel:
        adapter = workspace.adapter(cloudpanel)
        if not adapter.plays(Role.SITE_HOST):
            raise ConfigError(f"{cloudpanel!r} is a {adapter.kind} backend, not cloudpanel.", key="backends",
                              fix="name a CloudPanel backend.")
    elif len(panels) == 1:
        adapter = panels[0]
    else:
        raise ConfigError("sites need a CloudPanel backend" + (f"; name one of {', '.join(a.name for a in panels)}."
                                                              if panels else " and none is configured."),
                          key="backends", fix='add a [[backends]] table with kind = "cloudpanel", host and user.')
    matomo = [a for a in workspace.adapters.values() if a.plays(Role.ANALYTICS)]
    return SitePipeline(workspace.store, adapter, matomo[0] if len(matomo) == 1 else None)
