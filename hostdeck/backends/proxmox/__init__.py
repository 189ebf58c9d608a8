"""Proxmox VE: live state, power and root password for the VMs behind ConvoyPanel (or any PVE cluster)."""

from .adapter import ProxmoxAdapter
from .nodes import ProxmoxNode
from .parse import LiveState

__all__ = ["LiveState", "ProxmoxAdapter", "ProxmoxNode"]
