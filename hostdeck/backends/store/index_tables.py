"""The customer index (schema version 6): one row per billing client, and the search terms that lead to it.

Built by `hostdeck.backends.customers.index` from WHMCS's lists, the stored inventory and the sync map; read per
keystroke by `customers.query`. `term` is lower case (IP addresses in their compressed form)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field
from sqlmodel import SQLModel


class CustomerRow(SQLModel, table=True):
    """A client as the index knows it. `payload` is JSON: the services with their linked servers, the sites and the
    panel users known when the index was built (shown, marked with `indexed_at`, until the APIs answer)."""

    __tablename__ = "customer_clients"
    backend: str = Field(primary_key=True)          # the billing backend
    client_id: str = Field(primary_key=True)
    name: str
    company: str = ""
    email: str = ""
    status: str = ""
    search_text: str = ""                           # names and company, lower case, for substring matches
    payload: str = "{}"
    indexed_at: datetime


class CustomerTermRow(SQLModel, table=True):
    """One way to find a client: `kind` is ip, service, invoice, email, server_id, server_name, domain, name or
    company; `label` is what matched, as shown."""

    __tablename__ = "customer_terms"
    id: int | None = Field(default=None, primary_key=True)
    term: str = Field(index=True)
    kind: str
    backend: str
    client_id: str
    label: str = ""
