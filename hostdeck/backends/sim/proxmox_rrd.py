"""The simulated RRD statistics of a VM (`GET /nodes/{node}/qemu/{vmid}/rrddata`), deterministic per VMID and time.

Like PVE (pve-cluster's RRD definitions): 70 points per timeframe (hour at 60 s, day at 30 min, week at 3 h, month at
12 h, year at 1 week), all numbers as floats, rates (`netin`, `netout`, `diskread`, `diskwrite`) in bytes per second,
`cpu` as a fraction of the VM's cores. Where the RRD holds no data a point carries only its `time`: the newest step (not
consolidated yet) and, for some VMs, a stretch when the node's status daemon was silent. Some VMs also miss the disk
values in a few points, as happens after a disk was detached.
"""

from __future__ import annotations

import math
from typing import Any

from .cluster import VM

FRAMES = {"hour": 60, "day": 1800, "week": 10800, "month": 43200, "year": 604800}
POINTS = 70


def _noise(vmid: int, t: int, salt: int) -> float:
    """A repeatable value in [0, 1) for this VM, time and series."""
    x = (vmid * 2654435761 + t * 40503 + salt * 97) & 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x45D9F3B) & 0xFFFFFFFF
    x ^= x >> 16
    return x / 0x100000000


def empty(vmid: int, index: int) -> bool:
    """No data at this point: the newest one, and a silent stretch for every fifth VM."""
    return index == POINTS - 1 or (vmid % 5 == 0 and 20 <= index <= 22)


def rrd_points(vm: VM, frame: str, now: float) -> list[dict[str, Any]]:
    step = FRAMES[frame]
    last = int(now // step) * step
    running = vm.status == "running"
    base = 0.02 + (vm.vmid % 13) / 60
    out: list[dict[str, Any]] = []
    for index in range(POINTS):
        t = last - (POINTS - 1 - index) * step
        point: dict[str, Any] = {"time": t}
        if empty(vm.vmid, index):
            out.append(point)
            continue
        wave = 0.5 + 0.5 * math.sin(t / 3600.0 * math.pi / 12 + vm.vmid)
        load = min(1.0, base * (0.5 + wave) + 0.05 * _noise(vm.vmid, t, 1)) if running else 0.0
        point.update({
            "maxcpu": float(vm.cores), "cpu": round(load, 6),
            "maxmem": float(vm.memory_bytes), "mem": float(int(vm.memory_bytes * (0.2 + 0.5 * load))) if running else 0.0,
            "maxdisk": float(vm.disk_bytes), "disk": 0.0,
            "netin": round((2000 + 250_000 * load) * (0.8 + 0.4 * _noise(vm.vmid, t, 2)), 3) if running else 0.0,
            "netout": round((1500 + 900_000 * load) * (0.8 + 0.4 * _noise(vm.vmid, t, 3)), 3) if running else 0.0,
            "diskread": round(40_000 * load * _noise(vm.vmid, t, 4), 3) if running else 0.0,
            "diskwrite": round((8000 + 300_000 * load) * _noise(vm.vmid, t, 5), 3) if running else 0.0,
        })
        if vm.vmid % 7 == 0 and 40 <= index <= 41:
            del point["diskread"], point["diskwrite"]
        out.append(point)
    return out
