"""The company's own VPS panel: push VPS create/update/delete to its sync endpoint (shared/api/vpspanel.md)."""

from .adapter import VpsPanelAdapter
from .models import VpsRecord
from .models import record_for

__all__ = ["VpsPanelAdapter", "VpsRecord", "record_for"]
