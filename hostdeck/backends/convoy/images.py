"""Convoy's templates as system images, the panel's snapshot/backup limits, and Proxmox images shown as Convoy's.

Convoy keeps a server's backup limit (`limits.backups`) and refuses a backup past it with its own text
(ConvoyPanel/panel `TooManyBackupsException`, `BackupCreationService`: a limit of 0 allows none, null is unlimited).
hostdeck takes backups and snapshots through the node's Proxmox, so it holds them to the same limits first.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import ConflictError
from ..operations import Image
from ..operations import ImageKind
from ..operations import Metrics
from .units import as_int

LIMIT_TEXT = {ImageKind.BACKUP: "Cannot create a new backup, this server has reached its limit of {n} backups.",
              ImageKind.SNAPSHOT: "Cannot create a new snapshot, this server has reached its limit of {n} snapshots."}


def template_images(backend: str, groups: list[dict[str, Any]], node_name: str | None = None) -> list[Image]:
    """Each template of the node's template groups (hidden ones too: an admin may use them); id is the template uuid."""
    images = []
    for group in groups:
        templates = group.get("templates")
        rows = templates.get("data") if isinstance(templates, dict) else templates
        for t in rows if isinstance(rows, list) else []:
            if not isinstance(t, dict) or not t.get("uuid"):
                continue
            notes = [str(group.get("name") or "")] + (["hidden"] if t.get("hidden") or group.get("hidden") else [])
            if node_name:
                notes.append(f"node {node_name}")
            images.append(Image(backend=backend, id=str(t["uuid"]), name=str(t.get("name") or t["uuid"]),
                                kind=ImageKind.SYSTEM, description=", ".join(n for n in notes if n)))
    return images


def check_limit(kind: ImageKind, limit: Any, existing: int, *, backend: str, server: str) -> None:
    """Refuse like the panel when the server's limit for this kind is reached (None: unlimited)."""
    n = as_int(limit)
    if n is None:
        return
    if n == 0 or existing >= n:
        raise ConflictError(f"{LIMIT_TEXT[kind].format(n=n)} (server {server}: {existing} exist; raise the limit with "
                            "resize, or delete one first.) Nothing was sent.", backend=backend,
                            operation=f"create {kind.value}", code=f"{kind.value}_limit")


def as_convoy(image: Image, backend: str, server_id: str | None) -> Image:
    return dataclasses.replace(image, backend=backend, server_id=server_id or image.server_id)


def metrics_as_convoy(metrics: Metrics, backend: str, server_id: str) -> Metrics:
    return dataclasses.replace(metrics, backend=backend, server_id=server_id)
