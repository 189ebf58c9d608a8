"""What turning backups on costs, in the words of the confirmation (Hetzner: 20% of the server's price)."""

from __future__ import annotations

from decimal import Decimal
from decimal import InvalidOperation
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hostdeck.backends.models import Server

BACKUP_SHARE = Decimal("0.20")


def monthly_gross(server: Server) -> Decimal | None:
    """The server's monthly gross price at its location, from the provider's record (Hetzner's server_type.prices)."""
    server_type = server.raw.get("server_type")
    prices = server_type.get("prices") if isinstance(server_type, dict) else None
    for price in prices if isinstance(prices, list) else ():
        if isinstance(price, dict) and price.get("location") == server.location:
            monthly = price.get("price_monthly")
            try:
                return Decimal(str(monthly.get("gross"))) if isinstance(monthly, dict) else None
            except InvalidOperation:
                return None
    return None


def backups_note(server: Server) -> str:
    price = monthly_gross(server)
    if price is None:
        return "Backups cost 20% of the server's price more (+20%), every month, until they are turned off."
    extra = (price * BACKUP_SHARE).quantize(Decimal("0.01"))
    cent = Decimal("0.01")
    return (f"Backups cost 20% of the server's price more: +{extra} a month (gross), from {price.quantize(cent)} "
            f"to {(price + extra).quantize(cent)}, until they are turned off.")
