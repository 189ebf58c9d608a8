"""CloudPanel (`clpctl` over SSH): the adapter, command building, validation, SSH with host-key checking, parsing."""

from .adapter import CloudPanelAdapter
from .spec import DatabaseResult
from .spec import PanelUser
from .spec import SiteResult
from .spec import SiteSpec

__all__ = ["CloudPanelAdapter", "DatabaseResult", "PanelUser", "SiteResult", "SiteSpec"]
