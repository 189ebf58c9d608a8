"""The day-2 sub-commands: `hostdeck server rescue|rebuild|image|change-type|backups|protect|label|iso|rdns|metrics`
and `hostdeck images`. Read-only mode is refused and a missing --yes stops the command before anything is sent."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

from hostdeck.backends.actions import cli_action
from hostdeck.backends.contract import Adapter
from hostdeck.backends.contract import Capability
from hostdeck.backends.contract import PowerAction
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.models import Server
from hostdeck.backends.models import ServerStatus
from hostdeck.backends.operations import Image
from hostdeck.backends.operations import ImageKind
from hostdeck.backends.operations import MetricKind

from .confirm import action_doc
from .confirm import read_target
from .confirm import refuse
from .confirm import refuse_when_read_only
from .confirm import require_capability
from .confirm import target
from .context import CommandContext
from .output import Progress
from .output import emit_json
from .output import plain
from .output import say
from .output import table
from .output import warn
from .usage import UsageError

Work = Callable[[Adapter, Server, Progress], Awaitable[int]]
Cost = Callable[[Adapter, Server], Awaitable[str]]   # " It costs ..." for a refusal without --yes (reads only)


async def _run(args: argparse.Namespace, work: Work, check: Callable[[], None] | None = None, *,
               reads_only: bool = False, cost: Cost | None = None) -> int:
    """One day-2 action on one server, as the catalogue declares it: read-only refused and the arguments checked before
    anything is sent; without --yes where it is needed, the refusal names the server, its backend and its customer
    (reads only, with `cost`: what the action would cost); with --yes, the same words and then `work`.
    `reads_only`: this run only shows something (the choices of change-type) and is neither refused nor confirmed."""
    action = cli_action(args.server_command, verb=getattr(args, "verb", None))
    what = action.label[0].lower() + action.label[1:]
    confirmed = reads_only or not action.needs_yes or getattr(args, "yes", False)
    with CommandContext(args) as ws:
        if action.mutating and not reads_only:
            refuse_when_read_only(ws, what)
        if check is not None:
            check()
        adapter = ws.adapter(args.backend)
        progress = Progress(f"{what} {args.server}")
        try:
            if action.capability is not None:
                require_capability(adapter, action.capability, what)
            if not confirmed:
                server, whom = await read_target(ws, adapter, args.server)
                price = await cost(adapter, server) if cost is not None and server is not None else ""
                return refuse(args, what, whom, f"{action.help[0].upper()}{action.help[1:]}.{price}")
            server = await adapter.get_server(args.server)
            if action.dangerous and not reads_only:
                warn(f"{what}: {await target(ws, adapter, server)}")
            return await work(adapter, server, progress)
        finally:
            progress.done()
            await ws.aclose()


def _print(args: argparse.Namespace, doc: dict[str, Any], line: str) -> int:
    emit_json(doc) if args.json else say(line)
    return 0


def _result(args: argparse.Namespace, server: Server, result: Any, line: str, **extra: Any) -> int:
    doc = {**action_doc(result), "server": server.name, "server_id": server.id, **extra}
    message = getattr(result, "message", "")
    if message and not args.json:
        warn(message)
    return _print(args, doc, line)


def _secret(args: argparse.Namespace, doc: dict[str, Any], secret: str, notice: str, note: str | None) -> int:
    """A password made for this server: printed once on stdout, never stored or logged."""
    if args.json:
        emit_json(doc)
        return 0
    if note:
        warn(note)
    if secret:
        warn(notice)
        say(secret)
    return 0


# rescue, rebuild, images ------------------------------------------------------------------
async def server_rescue(args: argparse.Namespace) -> int:
    async def work(adapter: Adapter, server: Server, progress: Progress) -> int:
        if args.verb == "disable":
            result = await adapter.disable_rescue(server.id, progress=progress.action)
            return _result(args, server, result, f"{server.name}: rescue disabled", rescue=False)
        secret = await adapter.enable_rescue(server.id, ssh_keys=args.ssh_keys, progress=progress.action)
        doc = {"backend": adapter.name, "server": server.name, "server_id": server.id, "rescue": True,
               "action": secret.action_id, "root_password": secret.secret or None}
        return _secret(args, doc, secret.secret, "the rescue system's root password is shown once, not stored:",
                       secret.note)

    return await _run(args, work)


async def server_rebuild(args: argparse.Namespace) -> int:
    async def work(adapter: Adapter, server: Server, progress: Progress) -> int:
        secret = await adapter.rebuild(server.id, args.image, progress=progress.action)
        doc = {"backend": adapter.name, "server": server.name, "server_id": server.id, "image": args.image,
               "action": secret.action_id, "root_password": secret.secret or None}
        if not args.json:
            say(f"{server.name}: rebuilt from {args.image}")
        return _secret(args, doc, secret.secret, "the new root password is shown once, not stored:", secret.note)

    return await _run(args, work)


def image_doc(image: Image) -> dict[str, Any]:
    return {"backend": image.backend, "id": image.id, "name": image.name, "type": image.kind.value,
            "description": image.description, "status": image.status,
            "created": image.created.isoformat() if image.created else None, "size_gb": image.size_gb,
            "server_id": image.server_id, "protected": image.protected}


async def server_image(args: argparse.Namespace) -> int:
    async def work(adapter: Adapter, server: Server, progress: Progress) -> int:
        image = await adapter.create_image(server.id, description=args.description, kind=ImageKind(args.image_type),
                                           progress=progress.action)
        return _print(args, {**image_doc(image), "server": server.name},
                      f"{server.name}: {image.kind.value} {image.id} ({image.description}) {image.status}")

    return await _run(args, work)


async def images(args: argparse.Namespace) -> int:
    """`hostdeck images [--backend B]... [--type T]...` lists; `hostdeck images delete BACKEND IMAGE --yes` deletes."""
    words = list(args.words)
    if words and words[0] == "delete":
        if len(words) != 3:
            raise UsageError("usage: hostdeck images delete BACKEND IMAGE --yes", operation="delete image")
        return await _delete_image(args, words[1], words[2])
    if words:
        raise UsageError(f"unknown images command {words[0]!r}: `hostdeck images` lists, `hostdeck images delete "
                              "BACKEND IMAGE --yes` deletes.", operation="images")
    kinds = [ImageKind(k) for k in args.image_types or ("snapshot", "backup")]
    with CommandContext(args) as ws:
        names = args.backend or [n for n, a in ws.adapters.items() if Capability.IMAGES in a.capabilities]
        adapters = [ws.adapter(n) for n in names]
        try:
            found = await asyncio.gather(*(a.list_images(kinds) for a in adapters), return_exceptions=True)
            rows: list[Image] = []
            failed = False
            for adapter, result in zip(adapters, found):
                if isinstance(result, BackendError):
                    failed = True
                    warn(f"{adapter.name}: {result.message} (its images are not in the list)")
                elif isinstance(result, BaseException):
                    raise result
                else:
                    rows.extend(result)
            server_names = await _server_names(ws, rows)
        finally:
            await ws.aclose()
    if args.json:
        emit_json([{**image_doc(i), "server": server_names.get((i.backend, i.server_id))} for i in rows])
    else:
        table(["backend", "id", "type", "name", "status", "size", "server", "created"],
              [[i.backend, i.id, i.kind.value, i.name, i.status, f"{i.size_gb:g} GB" if i.size_gb is not None else "",
                server_names.get((i.backend, i.server_id)) or (f"{i.server_id} (gone)" if i.server_id else ""),
                i.created.strftime("%Y-%m-%d %H:%M") if i.created else ""] for i in rows])
    return 1 if failed else 0


async def _server_names(ws: Any, images: list[Image]) -> dict[tuple[str, str | None], str]:
    """The names of the servers the images were taken of, one read per server (a server deleted since has none)."""
    wanted = sorted({(i.backend, i.server_id) for i in images if i.server_id})
    found = await asyncio.gather(*(ws.adapter(b).get_server(sid) for b, sid in wanted), return_exceptions=True)
    names: dict[tuple[str, str | None], str] = {}
    for key, server in zip(wanted, found):
        if isinstance(server, Server):
            names[key] = server.name
        elif isinstance(server, BackendError):
            if not isinstance(server, NotFoundError):
                warn(f"{key[0]}: the name of server {key[1]} could not be read ({server.message}).")
        else:
            raise server
    return names


async def _delete_image(args: argparse.Namespace, backend: str, ref: str) -> int:
    with CommandContext(args) as ws:
        refuse_when_read_only(ws, "delete image")
        adapter = ws.adapter(backend)
        try:
            image = await _image_named(adapter, ref)
            whom = await _image_target(ws, adapter, image, ref)
            if not args.yes:
                return refuse(args, "delete image", whom, "The image is lost for good.")
            warn(f"delete image: {whom}")
            image_id = image.id if image is not None else ref
            await adapter.delete_image(image_id)
        finally:
            await ws.aclose()
    return _print(args, {"backend": backend, "image": image_id, "deleted": True}, f"deleted image {image_id} on {backend}")


async def _image_named(adapter: Adapter, ref: str) -> Image | None:
    """The snapshot or backup `ref` names (id, name or description); None for an id the list does not hold (the API
    has the last word on it)."""
    known = [i for i in await adapter.list_images() if ref in (i.id, i.name, i.description)]
    if len(known) == 1:
        return known[0]
    if not known and ref.isdigit():
        return None
    raise ValidationError(f"{'no' if not known else len(known)} images named {ref!r}: give the id "
                          f"(hostdeck images --backend {adapter.name}).", backend=adapter.name, operation="delete image")


async def _image_target(ws: Any, adapter: Adapter, image: Image | None, ref: str) -> str:
    """The image and whom it belongs to: the server it was taken of, with its customer (or why it could not be read)."""
    if image is None:
        return f"image {ref} on {adapter.name}"
    words = f"{image.kind.value} {image.id} ({plain(image.description or image.name)})"
    if not image.server_id:
        return f"{words} on {adapter.name}, of no server"
    _server, whom = await read_target(ws, adapter, image.server_id)
    return f"{words} of {whom}"


# type, backups, protection, labels, ISO, reverse DNS -----------------------------------------------
async def _type_choices(args: argparse.Namespace, adapter: Adapter, server: Server) -> int:
    choices = await adapter.type_choices(server.id)
    if args.json:
        emit_json({"backend": adapter.name, "server": server.name, "server_id": server.id, "type": server.plan,
                   "choices": [{"name": c.name, "cores": c.cores, "memory_gb": c.memory_gb, "disk_gb": c.disk_gb,
                                "monthly_gross": str(c.monthly_gross) if c.monthly_gross is not None else None,
                                "monthly_difference": str(c.monthly_difference) if c.monthly_difference is not None
                                else None, "currency": c.currency, "allowed": c.allowed, "reason": c.reason}
                               for c in choices]})
        return 0
    say(f"{server.name} is {server.plan}; the types it can change to, with what they cost more a month (gross):")
    table(["type", "cores", "memory", "disk", "a month", "difference", "note"],
          [[c.name, plain(c.cores), f"{c.memory_gb:g} GB" if c.memory_gb else "", f"{c.disk_gb} GB" if c.disk_gb else "",
            f"{c.monthly_gross} {c.currency}" if c.monthly_gross is not None else "",
            (f"{'+' if c.monthly_difference >= 0 else ''}{c.monthly_difference}" if c.monthly_difference is not None
             else ""), "" if c.allowed else f"not possible: {c.reason}"] for c in choices])
    return 0


async def server_change_type(args: argparse.Namespace) -> int:
    """Without TYPE: the choices with their price difference (reads only); with TYPE: the change."""
    async def work(adapter: Adapter, server: Server, progress: Progress) -> int:
        if args.server_type is None:
            return await _type_choices(args, adapter, server)
        if server.status not in (ServerStatus.OFF, ServerStatus.UNKNOWN):
            if not args.shutdown:
                raise ConflictError(f"the server is {server.status.value}: shut it down first (hostdeck server power "
                                    f"{adapter.name} {server.name} shutdown --yes), or add --shutdown.",
                                    backend=adapter.name, operation="change type")
            down = await adapter.power(server.id, PowerAction.SHUTDOWN, progress=progress.action)
            if down.status != "success":
                raise ConflictError(f"{server.name} did not shut down ({down.message}); nothing else was done.",
                                    backend=adapter.name, operation="change type")
            warn(f"{server.name} is off.")
        choice = None   # for the price difference; whether the type fits is the API's to say
        try:
            choice = next((c for c in await adapter.type_choices(server.id) if c.name == args.server_type), None)
        except BackendError as exc:
            warn(f"the price difference is not known ({exc}).")
        if choice is not None and not choice.allowed:
            warn(f"{choice.name} may not fit {server.name}: {choice.reason}.")
        result = await adapter.change_type(server.id, args.server_type, upgrade_disk=args.upgrade_disk,
                                           progress=progress.action)
        difference = choice.monthly_difference if choice else None
        cost = f" ({'+' if difference >= 0 else ''}{difference} {choice.currency} a month)" if choice and difference is not None else ""
        return _result(args, server, result, f"{server.name}: {server.plan} -> {args.server_type}{cost}",
                       **{"from": server.plan, "to": args.server_type, "upgrade_disk": args.upgrade_disk,
                          "monthly_difference": str(difference) if difference is not None else None,
                          "currency": choice.currency if choice else None})

    return await _run(args, work, reads_only=args.server_type is None)


async def backups_cost(adapter: Adapter, server: Server) -> str:
    """What turning backups on adds to this server's monthly price, for the refusal without --yes (reads the server
    and the provider's pricing). Only a provider with a price rule for backups (Hetzner) has `backup_surcharge`."""
    surcharge = getattr(adapter, "backup_surcharge", None)
    if surcharge is None:
        return ""
    try:
        amount, percent = await surcharge(server.id)
    except BackendError as exc:
        return f" The price could not be read ({exc.message})."
    share = f"{percent:f}".rstrip("0").rstrip(".") + "%"
    return (f" For {server.name}: +{amount} EUR a month gross ({share} of the server's price)." if amount else
            f" For {server.name}: +{share} of the server's price a month.")


async def server_backups(args: argparse.Namespace) -> int:
    async def work(adapter: Adapter, server: Server, progress: Progress) -> int:
        enabled = args.verb == "enable"
        result = await adapter.set_backups(server.id, enabled, progress=progress.action)
        return _result(args, server, result, f"{server.name}: backups {'on' if enabled else 'off'}", backups=enabled)

    return await _run(args, work, cost=backups_cost if args.verb == "enable" else None)


def _on_off(value: str | None) -> bool | None:
    return None if value is None else value == "on"


async def server_protect(args: argparse.Namespace) -> int:
    delete, rebuild = _on_off(args.delete), _on_off(args.rebuild)

    def check() -> None:
        if delete is None and rebuild is None:
            raise UsageError("give --delete on|off and/or --rebuild on|off.", operation="protect")

    async def work(adapter: Adapter, server: Server, progress: Progress) -> int:
        result = await adapter.set_protection(server.id, delete=delete, rebuild=rebuild, progress=progress.action)
        changed = {k: v for k, v in (("delete", delete), ("rebuild", rebuild)) if v is not None}
        words = ", ".join(f"{k} protection {'on' if v else 'off'}" for k, v in changed.items())
        return _result(args, server, result, f"{server.name}: {words}", protection=changed)

    return await _run(args, work, check)


def parse_labels(items: list[str]) -> dict[str, str]:
    labels = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"label {item!r} is not KEY=VALUE.", operation="label")
        labels[key] = value
    return labels


async def server_label(args: argparse.Namespace) -> int:
    changes = parse_labels(args.labels)

    def check() -> None:
        if not changes and not args.remove:
            raise UsageError("give KEY=VALUE to set and/or --remove KEY.", operation="label")

    async def work(adapter: Adapter, server: Server, progress: Progress) -> int:
        updated = await adapter.set_labels(server.id, changes, remove=args.remove)
        doc = {"backend": adapter.name, "server": server.name, "server_id": server.id, "labels": updated.labels}
        return _print(args, doc, f"{server.name}: " + ", ".join(f"{k}={v}" for k, v in sorted(updated.labels.items())))

    return await _run(args, work, check)


async def server_iso(args: argparse.Namespace) -> int:
    def check() -> None:
        if args.verb == "attach" and not args.iso:
            raise UsageError("name the ISO to attach: hostdeck server iso attach BACKEND SERVER ISO.", operation="iso")
        if args.verb == "detach" and args.iso:
            raise UsageError("iso detach takes no ISO: the server has at most one.", operation="iso")

    async def work(adapter: Adapter, server: Server, progress: Progress) -> int:
        if args.verb == "attach":
            result = await adapter.attach_iso(server.id, args.iso, progress=progress.action)
            return _result(args, server, result, f"{server.name}: {args.iso} attached", iso=args.iso)
        result = await adapter.detach_iso(server.id, progress=progress.action)
        return _result(args, server, result, f"{server.name}: ISO detached", iso=None)

    return await _run(args, work, check)


async def server_rdns(args: argparse.Namespace) -> int:
    def check() -> None:
        if bool(args.ptr) == bool(args.reset):
            raise UsageError("give the PTR host name, or --reset for the provider's default.", operation="rdns")

    async def work(adapter: Adapter, server: Server, progress: Progress) -> int:
        ptr = None if args.reset else args.ptr
        result = await adapter.set_reverse_dns(server.id, args.ip, ptr, progress=progress.action)
        return _result(args, server, result, f"{server.name}: {args.ip} -> {ptr or 'the default'}", ip=args.ip,
                       dns_ptr=ptr)

    return await _run(args, work, check)


# metrics ------------------------------------------------------------------------------------
async def server_metrics(args: argparse.Namespace) -> int:
    async def work(adapter: Adapter, server: Server, progress: Progress) -> int:
        metrics = await adapter.metrics(server.id, MetricKind(args.metric), args.period)
        if args.json:
            emit_json({**metrics.as_json(), "server": server.name})
            return 0
        say(f"{server.name}: {metrics.kind.value} over {metrics.period}, one point every {metrics.step_seconds:g} s")
        rows = []
        for s in metrics.series:
            values = s.values
            rows.append([s.name, s.unit, str(len(values)), *(f"{f(values):.4g}" if values else "" for f in
                                                              (min, lambda v: sum(v) / len(v), max, lambda v: v[-1])),
                         sparkline(values)])
        table(["series", "unit", "points", "min", "avg", "max", "last", "trend"], rows)
        return 0

    return await _run(args, work)


BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 24) -> str:
    """The series squeezed into `width` bars (each the mean of its share of the points)."""
    if not values:
        return ""
    size = max(1, -(-len(values) // width))
    means = [sum(chunk) / len(chunk) for chunk in (values[i:i + size] for i in range(0, len(values), size))]
    low, high = min(means), max(means)
    span = high - low or 1.0
    return "".join(BARS[min(len(BARS) - 1, int((m - low) / span * len(BARS)))] for m in means)
