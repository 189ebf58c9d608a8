"""WHMCS answers -> hostdeck models. Lenient where WHMCS is: numbers as strings or ints, `x.y[]` containers that may
be `[]`, `{}`, `""` or missing, `0000-00-00` for "no date", `-1.00` for a billing cycle that is not offered."""

from __future__ import annotations

import base64
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import tzinfo
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from ..adapter_base.shapes import as_mapping
from ..errors import ProtocolError
from ..models import Client
from ..numbers import as_int as as_int  # used here and re-exported
from ..redact import redact
from .models import ActivityEntry
from .models import Invoice
from .models import Product
from .models import Service
from .models import Ticket
from .models import WhmcsInfo

CYCLES = ("monthly", "quarterly", "semiannually", "annually", "biennially", "triennially")
SETUP_FEES = {"msetupfee": "monthly", "qsetupfee": "quarterly", "ssetupfee": "semiannually", "asetupfee": "annually",
              "bsetupfee": "biennially", "tsetupfee": "triennially"}
DISABLED = Decimal("-1.00")



def as_id(value: Any) -> str:
    """An id as hostdeck keeps it: a string of digits ("7" from 7 or "7"); "" when missing."""
    number = as_int(value)
    return str(number) if number is not None else ("" if value is None else str(value).strip())


def money(value: Any) -> Decimal | None:
    """"12.95" -> Decimal("12.95"); pre-formatted or garbage values -> None. Never a float."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def text(value: Any) -> str:
    return "" if value is None else str(value)


def items(container: Any, key: str) -> list[dict[str, Any]]:
    """`{"client": [...]}` -> the rows; `[]`, `{}`, `""`, None -> []; a single row object -> [row]."""
    if isinstance(container, dict):
        inner = container.get(key)
        if isinstance(inner, list):
            return [r for r in inner if isinstance(r, dict)]
        if isinstance(inner, dict):
            return [inner]
        return []
    if isinstance(container, list):   # tolerate a bare list of rows
        return [r for r in container if isinstance(r, dict)]
    return []


def parse_date(value: Any) -> date | None:
    raw = text(value).strip()[:10]
    if not raw or raw.startswith("0000-00-00"):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def parse_datetime(value: Any, tz: tzinfo = UTC) -> datetime | None:
    """"Y-m-d H:i:s" in the installation's time zone -> aware UTC; "0000-00-00 ..." -> None."""
    raw = text(value).strip()
    if not raw or raw.startswith("0000-00-00"):
        return None
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return (local if local.tzinfo else local.replace(tzinfo=tz)).astimezone(UTC)


# ----------------------------------------------------------------------------- system


def parse_details(data: dict[str, Any]) -> WhmcsInfo:
    whmcs = as_mapping(data.get("whmcs"))
    version = text(whmcs.get("version")).strip()
    if not version:
        raise ProtocolError("WhmcsDetails answered without whmcs.version.", operation="WhmcsDetails")
    return WhmcsInfo(version=version, canonical_version=text(whmcs.get("canonicalversion")), raw=whmcs)


def parse_activity(raw: dict[str, Any], tz: tzinfo = UTC) -> ActivityEntry:
    return ActivityEntry(
        id=as_int(raw.get("id")) or 0, date=parse_datetime(raw.get("date"), tz), description=text(raw.get("description")),
        client_id=as_int(raw.get("clientId", raw.get("userid"))) or 0, user_id=as_int(raw.get("userId")) or 0,
        admin_id=as_int(raw.get("adminId")) or 0, username=text(raw.get("username")),
        ip_address=text(raw.get("ipaddress")), raw=raw,
    )


# ----------------------------------------------------------------------------- clients


def parse_client(backend: str, raw: dict[str, Any], stats: dict[str, Any] | None = None) -> Client:
    """A GetClients row or a GetClientsDetails `client` (with its `stats` kept in `raw["stats"]`)."""
    cid = as_id(raw.get("id", raw.get("client_id", raw.get("userid"))))
    email = text(raw.get("email")).strip()
    if not cid or not email:
        raise ProtocolError("a client record has no id or email.", backend=backend, operation="parse_client")
    flat = dict(raw)
    users = items(raw.get("users"), "user")
    if "users" in raw:
        flat["users"] = users
    if stats is not None:
        flat["stats"] = stats
    return Client(backend=backend, id=cid, email=email, first_name=text(raw.get("firstname")),
                  last_name=text(raw.get("lastname")), company=text(raw.get("companyname")),
                  status=text(raw.get("status")), raw=flat)


# ----------------------------------------------------------------------------- services and products


def parse_service(backend: str, raw: dict[str, Any]) -> Service:
    sid = as_id(raw.get("id"))
    if not sid:
        raise ProtocolError("a service record has no id.", backend=backend, operation="parse_service")
    fields = items(raw.get("customfields"), "customfield")
    custom = {text(f.get("name")): text(f.get("value")) for f in fields if f.get("name") is not None}
    ids = {text(f.get("name")): as_id(f.get("id")) for f in fields if f.get("name") is not None}
    options = {text(o.get("option")): text(o.get("value")) for o in items(raw.get("configoptions"), "configoption")}
    server_id = custom.get("server_id", "").strip() or None
    flat = redact({k: v for k, v in raw.items()})     # the service password (and any other secret-looking field)
    flat["customfields"] = fields
    flat["configoptions"] = items(raw.get("configoptions"), "configoption")
    return Service(
        backend=backend, id=sid, client_id=as_id(raw.get("clientid")), product=text(raw.get("name")),
        product_id=as_id(raw.get("pid")), status=text(raw.get("status")), billing_cycle=text(raw.get("billingcycle")),
        next_due_date=parse_date(raw.get("nextduedate")), recurring_amount=money(raw.get("recurringamount")) or Decimal("0.00"),
        domain=text(raw.get("domain")), dedicated_ip=text(raw.get("dedicatedip")), server_id=server_id,
        group=text(raw.get("groupname")), server=text(raw.get("servername")), username=text(raw.get("username")),
        suspension_reason=text(raw.get("suspensionreason")), registered=parse_date(raw.get("regdate")),
        disk_usage_mb=as_int(raw.get("diskusage")), disk_limit_mb=as_int(raw.get("disklimit")),
        bw_usage_mb=as_int(raw.get("bwusage")), bw_limit_mb=as_int(raw.get("bwlimit")),
        custom_fields=custom, custom_field_ids=ids, config_options=options, raw=flat,
    )


def parse_product(backend: str, raw: dict[str, Any]) -> Product:
    pid = as_id(raw.get("pid", raw.get("id")))
    if not pid:
        raise ProtocolError("a product record has no pid.", backend=backend, operation="parse_product")
    prices: dict[str, dict[str, Decimal]] = {}
    fees: dict[str, dict[str, Decimal]] = {}
    disabled: dict[str, tuple[str, ...]] = {}
    pricing = as_mapping(raw.get("pricing"))
    for currency, table in pricing.items():
        if not isinstance(table, dict):
            continue
        offered, off = {}, []
        for cycle in CYCLES:
            value = money(table.get(cycle))
            if value is None or value == DISABLED or value < 0:
                off.append(cycle)
            else:
                offered[cycle] = value
        prices[currency] = offered
        disabled[currency] = tuple(off)
        fees[currency] = {cycle: fee for key, cycle in SETUP_FEES.items()
                          if cycle in offered and (fee := money(table.get(key))) is not None and fee >= 0}
    return Product(backend=backend, id=pid, group_id=as_id(raw.get("gid")), name=text(raw.get("name")),
                   type=text(raw.get("type")), module=text(raw.get("module")), slug=text(raw.get("slug")),
                   description=text(raw.get("description")), pay_type=text(raw.get("paytype")), prices=prices,
                   setup_fees=fees, disabled_cycles=disabled, raw=raw)


# ----------------------------------------------------------------------------- requests


def php_serialize(values: dict[str | int, Any]) -> str:
    """What PHP's serialize() makes of a flat array: `a:1:{i:12;s:8:"9b2f4c1a";}` (lengths in UTF-8 bytes)."""

    def scalar(value: Any) -> str:
        if isinstance(value, bool):
            return f"b:{int(value)};"
        if isinstance(value, int):
            return f"i:{value};"
        data = str(value)
        return f's:{len(data.encode("utf-8"))}:"{data}";'

    parts = []
    for key, value in values.items():
        number = as_int(key) if not isinstance(key, bool) else None
        parts.append((f"i:{number};" if number is not None else scalar(str(key))) + scalar(value))
    return f"a:{len(values)}:{{{''.join(parts)}}}"


def custom_fields_param(values: dict[str | int, Any]) -> str:
    """The `customfields` request parameter: base64 of the PHP-serialised array keyed by custom field id."""
    return base64.b64encode(php_serialize(values).encode("utf-8")).decode("ascii")


# ----------------------------------------------------------------------------- invoices and tickets


def parse_invoice(backend: str, raw: dict[str, Any], today: date) -> Invoice:
    iid = as_id(raw.get("id"))
    if not iid:
        raise ProtocolError("an invoice record has no id.", backend=backend, operation="parse_invoice")
    status = text(raw.get("status"))
    due = parse_date(raw.get("duedate"))
    return Invoice(backend=backend, id=iid, client_id=as_id(raw.get("userid")),
                   number=text(raw.get("invoicenum")).strip() or iid, status=status,
                   total=money(raw.get("total")) or Decimal("0.00"), currency=text(raw.get("currencycode")),
                   issued=parse_date(raw.get("date")), due=due,
                   overdue=status == "Unpaid" and due is not None and due < today, raw=raw)


def parse_ticket(backend: str, raw: dict[str, Any], tz: tzinfo = UTC) -> Ticket:
    tid = as_id(raw.get("id"))
    if not tid:
        raise ProtocolError("a ticket record has no id.", backend=backend, operation="parse_ticket")
    return Ticket(backend=backend, id=tid, tid=text(raw.get("tid")) or tid, client_id=as_id(raw.get("userid")),
                  subject=text(raw.get("subject")), status=text(raw.get("status")), email=text(raw.get("email")),
                  name=text(raw.get("name")), priority=text(raw.get("priority")),
                  department_id=as_id(raw.get("deptid")), opened=parse_datetime(raw.get("date"), tz),
                  last_reply=parse_datetime(raw.get("lastreply"), tz), raw=raw)
