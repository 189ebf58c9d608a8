"""What the Proxmox adapter does not do, in words a person can act on (shown next to the greyed-out action)."""

from __future__ import annotations

from ..contract import Capability

NOT_OFFERED = {
    Capability.RESCUE: "Proxmox VE has no rescue system: boot the VM from a rescue ISO in the Proxmox web UI "
                       "(Hardware > CD/DVD Drive, then Options > Boot Order).",
    Capability.REBUILD: "Proxmox VE has no reinstall from an image: roll back a snapshot or restore a backup in the Proxmox "
                        "web UI, or reinstall through the panel that made the VM.",
    Capability.CHANGE_TYPE: "Proxmox VMs have no plans to switch between: change cores, memory and disk in the Proxmox web "
                            "UI (Hardware), or through the panel that made the VM.",
    Capability.BACKUPS: "Proxmox backup schedules are cluster-wide jobs (Datacenter > Backup), not a switch per server: take "
                        "a backup now with the image action.",
    Capability.LABELS: "Proxmox tags are plain words, not key=value labels: edit them in the Proxmox web UI.",
    Capability.ISO: "hostdeck does not change a Proxmox VM's CD/DVD drive: insert the ISO in the Proxmox web UI (Hardware "
                    "> CD/DVD Drive).",
    Capability.RDNS: "Proxmox VE does not manage reverse DNS: set the PTR record where the IP range is delegated.",
    Capability.ATTACHMENTS: "Proxmox VMs have no firewalls, volumes or primary IPs to list the way clouds attach them: see "
                            "the VM's Hardware and Firewall tabs in Proxmox.",
}
