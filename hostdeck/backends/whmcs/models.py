"""WHMCS records the adapter returns besides `hostdeck.backends.models.Client`: services, products, activity, results."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..models import Client


@dataclass(slots=True)
class Service:
    """One row of GetClientsProducts (a "product/service"). `raw` has the service password masked."""

    backend: str
    id: str
    client_id: str
    product: str
    product_id: str
    status: str                       # Pending | Active | Suspended | Terminated | Cancelled | Fraud | Completed
    billing_cycle: str = ""
    next_due_date: date | None = None
    recurring_amount: Decimal = Decimal("0.00")
    domain: str = ""
    dedicated_ip: str = ""
    server_id: str | None = None      # the `server_id` custom field: Convoy uuid_short / Hetzner id
    group: str = ""
    server: str = ""                  # the WHMCS server (module connection) name
    username: str = ""
    suspension_reason: str = ""
    registered: date | None = None
    disk_usage_mb: int | None = None
    disk_limit_mb: int | None = None
    bw_usage_mb: int | None = None
    bw_limit_mb: int | None = None
    custom_fields: dict[str, str] = field(default_factory=dict)      # by name
    custom_field_ids: dict[str, str] = field(default_factory=dict)   # name -> id (for UpdateClientProduct)
    config_options: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(slots=True)
class Product:
    """One GetProducts row. `prices[currency][cycle]`: only the cycles on offer ("-1.00" means not offered)."""

    backend: str
    id: str
    group_id: str
    name: str
    type: str = ""
    module: str = ""
    slug: str = ""
    description: str = ""
    pay_type: str = ""
    prices: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    setup_fees: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    disabled_cycles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def price(self, cycle: str = "monthly", currency: str | None = None) -> Decimal | None:
        """The price of `cycle` in `currency` (the first one when None); None when that cycle is not offered."""
        code = currency or next(iter(self.prices), None)
        return self.prices.get(code or "", {}).get(cycle)


@dataclass(slots=True)
class ActivityEntry:
    id: int
    date: datetime | None             # aware UTC, converted from the installation's time zone
    description: str
    client_id: int = 0
    user_id: int = 0
    admin_id: int = 0
    username: str = ""
    ip_address: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(slots=True)
class WhmcsInfo:
    version: str
    canonical_version: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(slots=True)
class AddedClient:
    """The result of add_client. `reconciled`: the answer was lost and the client was found by its email.
    `password` is set only when hostdeck generated the owner's password (show it once, never log it)."""

    client: Client
    reconciled: bool = False
    password: str | None = field(default=None, repr=False)


@dataclass(slots=True)
class ModuleResult:
    """The outcome of a Module* action. `status`: "success", or "applied" when the answer was lost but the service
    was read back in the state the action leads to. `service` is the service as read afterwards (when read)."""

    backend: str
    service_id: str
    action: str
    status: str
    message: str = ""
    service: Service | None = None


@dataclass(slots=True)
class Invoice:
    """One GetInvoices row. `number` is `invoicenum` when WHMCS numbered it (paid invoices under sequential
    numbering), else the id. `overdue`: Unpaid with its due date passed (WHMCS stores no "Overdue" status)."""

    backend: str
    id: str
    client_id: str
    number: str
    status: str                       # Draft | Unpaid | Paid | Cancelled | Refunded | Collections | Payment Pending
    total: Decimal
    currency: str
    issued: date | None = None
    due: date | None = None
    overdue: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(slots=True)
class Ticket:
    """One GetTickets row. `id` is WHMCS's key (admin URLs use it); `tid` the number shown to the customer.
    `status` is any configured status, custom ones included: GetTickets' "All Active Tickets" tells open from closed."""

    backend: str
    id: str
    tid: str
    client_id: str
    subject: str
    status: str
    opened: datetime | None
    last_reply: datetime | None
    email: str = ""
    name: str = ""
    priority: str = ""
    department_id: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
