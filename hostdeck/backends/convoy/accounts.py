"""Convoy panel users: find by email, create (with a generated password), update, create-or-link.

Email is unique in Convoy, so it is the reconcile key: after an unclear failure of `POST /users` the adapter looks
the email up instead of sending the create again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from ..errors import BackendError
from ..errors import ConflictError
from ..errors import ProtocolError
from ..errors import UnavailableError
from ..errors import ValidationError
from ..models import Client
from .api import UsersClient
from .reconcile import check_failed
from .reconcile import look_again
from .reconcile import nothing_found
from .spec import strong_password
from .units import as_int

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
Audit = Callable[..., None]


@dataclass(slots=True)
class ConvoyUser:
    id: int
    name: str
    email: str
    root_admin: bool = False
    servers_count: int = 0
    email_verified: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, backend: str) -> Client:
        first, _, last = self.name.partition(" ")
        return Client(backend=backend, id=str(self.id), email=self.email, first_name=first, last_name=last,
                      status="admin" if self.root_admin else "active", raw=self.raw)


@dataclass(slots=True)
class UserLink:
    """The result of creating or linking a panel user. `password` is set only when hostdeck made the account."""

    user: ConvoyUser
    created: bool
    password: str | None = field(default=None, repr=False)


def parse_user(backend: str, raw: dict[str, Any]) -> ConvoyUser:
    uid = as_int(raw.get("id"))
    if uid is None or not raw.get("email"):
        raise ProtocolError("a user record has no id or email.", backend=backend, operation="parse_user")
    return ConvoyUser(id=uid, name=str(raw.get("name") or ""), email=str(raw["email"]),
                      root_admin=bool(raw.get("root_admin")), servers_count=as_int(raw.get("servers_count")) or 0,
                      email_verified=bool(raw.get("email_verified_at")), raw=raw)


def check_user_input(email: str | None, name: str | None, backend: str) -> None:
    if email is not None and (not EMAIL.match(email) or len(email) > 191):
        raise ValidationError(f"{email!r} is not a valid email address.", backend=backend, operation="validate")
    if name is not None and not 1 <= len(name.strip()) <= 191:
        raise ValidationError("the user's name must be 1 to 191 characters.", backend=backend, operation="validate")


class Accounts:
    def __init__(self, users: UsersClient, backend: str, audit: Audit, look_spacing: float = 1.0) -> None:
        self.users = users
        self.backend = backend
        self.audit = audit
        self.look_spacing = look_spacing

    async def find(self, email: str) -> ConvoyUser | None:
        email = email.strip()
        check_user_input(email, None, self.backend)
        rows = await self.users.by_email(email)
        matches = [r for r in rows if str(r.get("email", "")).lower() == email.lower()]
        return parse_user(self.backend, matches[0]) if matches else None

    async def get(self, user_id: int) -> ConvoyUser:
        return parse_user(self.backend, await self.users.get(user_id))

    async def create(self, email: str, name: str, password: str | None = None) -> UserLink:
        email, name = email.strip(), name.strip()
        check_user_input(email, name, self.backend)
        password = password or strong_password()
        body = {"name": name, "email": email, "password": password, "root_admin": False}
        try:
            raw = await self.users.create(body)
        except ConflictError:
            existing = await self.find(email)
            raise ConflictError(f"{email} already has a Convoy account"
                                f"{f' (user {existing.id})' if existing else ''}; link it instead of creating one.",
                                backend=self.backend, operation="create user", http_status=422,
                                code="email_taken") from None
        except (UnavailableError, ProtocolError) as exc:
            found = await self._reconcile(email, exc)
            self.audit(f"create panel user {email}: found after an unclear failure", target=str(found.id),
                       level="warning")
            return UserLink(found, created=True, password=password)
        user = parse_user(self.backend, raw)
        self.audit(f"create panel user {email}: success", target=str(user.id))
        return UserLink(user, created=True, password=password)

    async def _reconcile(self, email: str, exc: BackendError) -> ConvoyUser:
        """After an unclear failure the account may exist: look it up by email (unique) instead of resending."""
        try:
            found = await look_again(lambda: self.find(email), exc, spacing=self.look_spacing)
        except BackendError as failed:
            raise check_failed(exc, failed, backend=self.backend, operation="create user") from None
        if found is None:
            raise nothing_found(exc, f"no account with {email} exists", backend=self.backend,
                                operation="create user") from None
        return found

    async def update(self, user_id: int, *, name: str | None = None, email: str | None = None,
                     password: str | None = None) -> ConvoyUser:
        """PUT is a full replacement: unchanged fields are sent as they are. `root_admin` is always sent unchanged
        (demoting a user deletes their API tokens)."""
        check_user_input(email.strip() if email else None, name, self.backend)
        current = await self.get(user_id)
        body: dict[str, Any] = {"name": (name or current.name).strip(), "email": (email or current.email).strip(),
                                "root_admin": current.root_admin}
        if password is not None:
            if len(password) < 8:
                raise ValidationError("the password must be at least 8 characters.", backend=self.backend,
                                      operation="validate")
            body["password"] = password
        user = parse_user(self.backend, await self.users.update(user_id, body))
        self.audit(f"update panel user {user.email}: success", target=str(user_id),
                   detail={"fields": sorted(k for k, v in (("name", name), ("email", email), ("password", password)) if v)})
        return user

    async def create_or_link(self, email: str, name: str) -> UserLink:
        """The account for this email: the existing one (linked, no password) or a new one (with its password)."""
        existing = await self.find(email)
        if existing is not None:
            self.audit(f"link panel user {existing.email}: already exists", target=str(existing.id))
            return UserLink(existing, created=False)
        try:
            return await self.create(email, name)
        except ConflictError:
            # Made by someone else between the lookup and the create: link that one.
            existing = await self.find(email)
            if existing is None:
                raise
            return UserLink(existing, created=False)

