"""What hostdeck may send in AddClient, UpdateClient and UpdateClientProduct: field names (with readable aliases),
local checks that save a round trip, and the owner password hostdeck generates when none is given."""

from __future__ import annotations

import re
import secrets
import string
from datetime import date
from decimal import Decimal
from typing import Any

from ..errors import ValidationError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
CLIENT_STATUSES = ("Active", "Inactive", "Closed")
SERVICE_STATUSES = ("Pending", "Active", "Suspended", "Terminated", "Cancelled", "Fraud", "Completed")
CLIENT_FIELDS = ("firstname", "lastname", "companyname", "email", "address1", "address2", "city", "state", "postcode",
                 "country", "phonenumber", "status", "notes", "language", "groupid", "currency", "tax_id",
                 "skipvalidation")
CLIENT_ALIASES = {"first_name": "firstname", "last_name": "lastname", "company": "companyname", "phone": "phonenumber",
                  "phone_number": "phonenumber", "group_id": "groupid", "skip_validation": "skipvalidation"}
SERVICE_FIELDS = ("status", "domain", "dedicatedip", "assignedips", "serviceusername", "servicepassword", "notes",
                  "nextduedate", "recurringamount", "billingcycle", "suspendreason", "pid", "serverid")
SERVICE_ALIASES = {"dedicated_ip": "dedicatedip", "assigned_ips": "assignedips", "username": "serviceusername",
                   "service_username": "serviceusername", "password": "servicepassword",
                   "service_password": "servicepassword", "next_due_date": "nextduedate",
                   "recurring_amount": "recurringamount", "billing_cycle": "billingcycle",
                   "suspend_reason": "suspendreason", "product_id": "pid"}


def strong_password(length: int = 20) -> str:
    """Letters, digits and a few symbols WHMCS's password strength meter likes; at least one of each kind."""
    symbols = "!@#%*-_"
    alphabet = string.ascii_letters + string.digits + symbols
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.islower() for c in value) and any(c.isupper() for c in value) and any(c.isdigit() for c in value)
                and any(c in symbols for c in value)):
            return value


def check_email(email: str, backend: str, operation: str) -> str:
    email = (email or "").strip()
    if not EMAIL.match(email):
        raise ValidationError(f"{email!r} is not a valid email address; nothing was sent.", backend=backend,
                              operation=operation)
    return email


def check_country(country: str, backend: str, operation: str) -> str:
    if not COUNTRY.match(country or ""):
        raise ValidationError(f"country must be a two-letter ISO code such as PT or DE, not {country!r}; nothing was "
                              "sent.", backend=backend, operation=operation)
    return country.upper()


def _value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def wire_fields(fields: dict[str, Any], allowed: tuple[str, ...], aliases: dict[str, str], *, backend: str,
                operation: str) -> dict[str, Any]:
    """Readable names -> WHMCS names; unknown names are refused before any call (a typo must not pass silently)."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        wire = aliases.get(name, name)
        if wire in ("password", "password2"):
            raise ValidationError("WHMCS 8 removed password changes from UpdateClient; the client resets it from the "
                                  "client area. Nothing was sent.", backend=backend, operation=operation)
        if wire not in allowed:
            raise ValidationError(f"{name!r} is not a field hostdeck can send with {operation}; known: "
                                  f"{', '.join(allowed)}. Nothing was sent.", backend=backend, operation=operation)
        out[wire] = _value(value)
    if "status" in out:
        statuses = CLIENT_STATUSES if operation == "UpdateClient" else SERVICE_STATUSES
        if out["status"] not in statuses:
            raise ValidationError(f"status must be one of {', '.join(statuses)}, not {out['status']!r}. Nothing was "
                                  "sent.", backend=backend, operation=operation)
    if operation == "UpdateClient" and "email" in out:
        out["email"] = check_email(str(out["email"]), backend, operation)
    if operation == "UpdateClient" and "country" in out:
        out["country"] = check_country(str(out["country"]), backend, operation)
    return out
