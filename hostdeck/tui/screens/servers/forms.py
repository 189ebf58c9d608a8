"""The forms of the server actions: form name -> (what it loads first, the dialog, the adapter method it feeds).

A catalogue action with a `form` (hostdeck.backends.actions) runs this way: the loader fetches the dialog's data
through the adapter in a worker, the dialog asks, and its result is the keyword arguments of the adapter method the
catalogue's `call` names (`call` below is used when it names none). The screen does the rest (form_actions.py).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from hostdeck.backends.ssh_command import host_address

if TYPE_CHECKING:
    from hostdeck.backends.contract import Adapter
    from hostdeck.backends.models import Server

    from ...dialogs.base import Dialog

Loader = Callable[["Adapter", "Server"], Awaitable[Any]]
DialogFactory = Callable[["Server", Any, str], "Dialog[Any]"]  # (server, loaded data, the call shown) -> dialog


@dataclass(frozen=True)
class Form:
    dialog: DialogFactory
    call: str                       # the adapter method, when the catalogue entry names none
    load: Loader | None = None
    progress: bool = True           # the method takes `progress=`
    secret_title: str = ""          # the method returns a secret, shown once under this title ({name}: the server)


async def ssh_keys(adapter: Adapter, server: Server) -> list[str]:
    names = getattr(adapter, "ssh_key_names", None)  # the project's keys: a Hetzner notion, not in the contract
    return list(await names()) if names is not None else []


async def iso_names(adapter: Adapter, server: Server) -> list[str]:
    names = getattr(adapter, "iso_names", None)  # without a list, the dialog takes a typed name
    return list(await names()) if names is not None else []


async def images(adapter: Adapter, server: Server) -> list[Any]:
    from hostdeck.backends.operations import ImageKind

    return list(await adapter.list_images(kinds=(ImageKind.SYSTEM, ImageKind.SNAPSHOT, ImageKind.BACKUP)))


async def type_choices(adapter: Adapter, server: Server) -> list[Any]:
    return list(await adapter.type_choices(server.id))


_RDNS = re.compile(r"rdns=(?P<ptrs>.*)$")


def _from_attachment(name: str, detail: str) -> list[tuple[str, str | None]]:
    """A primary IP attachment: its name or the first word of its detail is the address; "rdns=PTR" is its record,
    or "rdns=IP=PTR, IP=PTR" the records set within an IPv6 network."""
    found = _RDNS.search(detail)
    ptrs = found["ptrs"].strip() if found else ""
    if "=" in ptrs:
        pairs = [part.strip().partition("=") for part in ptrs.split(",")]
        return [(ip, ptr or None) for ip, _eq, ptr in pairs if host_address(ip)]
    address = host_address(name) or host_address((detail.split() or [""])[0])
    return [(address, ptrs or None)] if address else []


def ptrs_of(server: Server, attachments: Any = None) -> list[tuple[str, str | None]]:
    """Each primary IP with its PTR: from the attachments' primary IPs, else from the provider's record (Hetzner's
    `public_net`), else the server's addresses with no PTR known. A network stands for its first address."""
    found: list[tuple[str, str | None]] = []
    for item in attachments.of("primary_ip") if attachments is not None else ():
        found += _from_attachment(item.name, item.detail)
    if found:
        return found
    public = server.raw.get("public_net") if isinstance(server.raw.get("public_net"), dict) else {}
    for family in ("ipv4", "ipv6"):
        entry = public.get(family) if isinstance(public, dict) else None
        if isinstance(entry, dict) and entry.get("ip"):
            ptr = entry.get("dns_ptr")
            if isinstance(ptr, list) and ptr:  # IPv6: the records set within the network
                found += [(str(p.get("ip")), p.get("dns_ptr")) for p in ptr if isinstance(p, dict) and p.get("ip")]
            elif address := host_address(str(entry["ip"])):
                found.append((address, ptr if isinstance(ptr, str) else None))
    if not found:
        found = [(address, None) for ip in (server.ipv4, server.ipv6) if ip and (address := host_address(ip))]
    return found


async def ptrs(adapter: Adapter, server: Server) -> list[tuple[str, str | None]]:
    from hostdeck.backends.contract import Capability

    if Capability.ATTACHMENTS in adapter.capabilities:
        return ptrs_of(server, await adapter.attachments(server.id))
    return ptrs_of(server)


def _resize(server: Server, data: Any, call: str) -> Dialog[Any]:
    from ...dialogs.resize import ResizeDialog

    return ResizeDialog(server)


def _rename(server: Server, data: Any, call: str) -> Dialog[Any]:
    from ...dialogs.resize import RenameDialog

    return RenameDialog(server)


def _rescue(server: Server, data: Any, call: str) -> Dialog[Any]:
    from ...dialogs.rescue import RescueDialog

    return RescueDialog(server, data, call=call)


def _rebuild(server: Server, data: Any, call: str) -> Dialog[Any]:
    from ...dialogs.rebuild import RebuildDialog

    return RebuildDialog(server, data, call=call)


def _image(server: Server, data: Any, call: str) -> Dialog[Any]:
    from ...dialogs.image import ImageDialog

    return ImageDialog(server, call=call)


def _change_type(server: Server, data: Any, call: str) -> Dialog[Any]:
    from ...dialogs.change_type import ChangeTypeDialog

    return ChangeTypeDialog(server, data, call=call)


def _protect(server: Server, data: Any, call: str) -> Dialog[Any]:
    from ...dialogs.protect import ProtectDialog

    return ProtectDialog(server, call=call)


def _labels(server: Server, data: Any, call: str) -> Dialog[Any]:
    from ...dialogs.labels import LabelsDialog

    return LabelsDialog(server, call=call)


def _iso(server: Server, data: Any, call: str) -> Dialog[Any]:
    from ...dialogs.iso import IsoDialog

    return IsoDialog(server, data, call=call)


def _rdns(server: Server, data: Any, call: str) -> Dialog[Any]:
    from ...dialogs.rdns import RdnsDialog

    return RdnsDialog(server, data, call=call)


FORMS: dict[str, Form] = {
    "resize": Form(_resize, "resize", progress=False),
    "rename": Form(_rename, "rename", progress=False),
    "rescue": Form(_rescue, "enable_rescue", ssh_keys, secret_title="Rescue system root password for {name}"),
    "rebuild": Form(_rebuild, "rebuild", images, secret_title="New root password for {name} (rebuilt)"),
    "image": Form(_image, "create_image"),
    "change_type": Form(_change_type, "change_type", type_choices),
    "protect": Form(_protect, "set_protection"),
    "labels": Form(_labels, "set_labels", progress=False),
    "iso": Form(_iso, "attach_iso", iso_names),
    "rdns": Form(_rdns, "set_reverse_dns", ptrs),
}
