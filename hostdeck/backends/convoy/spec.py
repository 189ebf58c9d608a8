"""What a new Convoy server is made from, in hostdeck's units, and the checks made before any call."""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from ..errors import ValidationError
from ..validate import hostname_problem
from .units import gb_to_bytes
from .units import mb_to_bytes

SPECIALS = "!@#$%^&*"
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def strong_password(length: int = 20) -> str:
    """Random, from `secrets`: lower, upper, digit and one of Convoy's `!@#$%^&*`, so both the account-password
    rule of server creation and Laravel's user-password rule accept it."""
    if length < 8:
        raise ValueError("a password needs at least 8 characters")
    pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits, SPECIALS]
    alphabet = "".join(pools)
    chars = [secrets.choice(pool) for pool in pools] + [secrets.choice(alphabet) for _ in range(length - len(pools))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def password_problem(password: str) -> str | None:
    """Why Convoy's account-password rule would refuse it (8-191 printable ASCII with lower, upper, digit, !@#$%^&*)."""
    if not 8 <= len(password) <= 191:
        return "it must be 8 to 191 characters long"
    if any(not 33 <= ord(c) <= 126 for c in password):
        return "it may contain printable ASCII characters only, no spaces"
    missing = [what for what, ok in (("a lower-case letter", any(c.islower() for c in password)),
                                     ("an upper-case letter", any(c.isupper() for c in password)),
                                     ("a digit", any(c.isdigit() for c in password)),
                                     (f"one of {SPECIALS}", any(c in SPECIALS for c in password))) if not ok]
    return f"it needs {', '.join(missing)}" if missing else None


@dataclass(slots=True)
class ConvoyServerSpec:
    """A Convoy server in user units: memory in MB, disk and bandwidth in GB (binary), limits as counts."""

    name: str                       # the panel's display name, 1-40 characters
    hostname: str                   # pushed to cloud-init
    user_id: int                    # the owning panel user
    node_id: int
    template_uuid: str              # a template of that node (catalog: TEMPLATE)
    cpu: int
    memory_mb: int
    disk_gb: int
    bandwidth_gb: int | None = None  # None: unlimited
    snapshot_limit: int | None = 0
    backup_limit: int | None = 0
    address_ids: list[int] = field(default_factory=list)   # free addresses of the node (catalog: IP_POOL)
    vmid: int | None = None         # None: Convoy picks a free one
    account_password: str | None = field(default=None, repr=False)  # None: hostdeck generates a strong one
    start_on_completion: bool = True

    def problems(self) -> list[tuple[str, str]]:
        """(field, what is wrong) for every problem hostdeck can see without asking Convoy."""
        out: list[tuple[str, str]] = []
        if not 1 <= len(self.name.strip()) <= 40 or self.name != self.name.strip():
            out.append(("name", "must be 1 to 40 characters without spaces around it"))
        problem = hostname_problem(self.hostname)
        if problem or len(self.hostname) > 191:
            out.append(("hostname", problem or "must be at most 191 characters"))
        for name, value, minimum in (("user_id", self.user_id, 1), ("node_id", self.node_id, 1), ("cpu", self.cpu, 1),
                                     ("memory_mb", self.memory_mb, 16), ("disk_gb", self.disk_gb, 1)):
            if not _is_int(value) or value < minimum:
                out.append((name, f"must be a whole number of at least {minimum}"))
        for name, limit in (("bandwidth_gb", self.bandwidth_gb), ("snapshot_limit", self.snapshot_limit),
                            ("backup_limit", self.backup_limit)):
            if limit is not None and (not _is_int(limit) or limit < 0):
                out.append((name, "must be empty (unlimited) or a whole number of at least 0"))
        if not UUID.match(self.template_uuid or ""):
            out.append(("template_uuid", "must be a template's UUID (see the catalog)"))
        if any(not _is_int(a) or a < 1 for a in self.address_ids) or len(set(self.address_ids)) != len(self.address_ids):
            out.append(("address_ids", "must be distinct address ids"))
        if self.vmid is not None and (not _is_int(self.vmid) or not 100 <= self.vmid <= 999_999_999):
            out.append(("vmid", "must be empty (Convoy picks one) or from 100 to 999999999"))
        if self.account_password is not None and (problem := password_problem(self.account_password)):
            out.append(("account_password", problem))
        return out

    def check(self, backend: str | None = None) -> None:
        problems = self.problems()
        if problems:
            text = "; ".join(f"{name} {what}" for name, what in problems)
            raise ValidationError(f"the server spec is not valid: {text}.", backend=backend, operation="validate",
                                  details={name: what for name, what in problems})

    def to_body(self, password: str) -> dict[str, Any]:
        """The `POST /servers` body: bytes on the wire, every "present" key present even when null."""
        return {
            "name": self.name, "user_id": self.user_id, "node_id": self.node_id, "vmid": self.vmid,
            "hostname": self.hostname,
            "limits": {"cpu": self.cpu, "memory": mb_to_bytes(self.memory_mb), "disk": gb_to_bytes(self.disk_gb),
                       "snapshots": self.snapshot_limit, "backups": self.backup_limit,
                       "bandwidth": None if self.bandwidth_gb is None else gb_to_bytes(self.bandwidth_gb),
                       "address_ids": list(self.address_ids)},
            "account_password": password, "should_create_server": True, "template_uuid": self.template_uuid,
            "start_on_completion": self.start_on_completion,
        }


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Wire field -> spec field, so that a 422 from Convoy names what the user typed.
WIRE_FIELDS = {"limits.cpu": "cpu", "limits.memory": "memory_mb", "limits.disk": "disk_gb",
               "limits.bandwidth": "bandwidth_gb", "limits.snapshots": "snapshot_limit",
               "limits.backups": "backup_limit", "limits.address_ids": "address_ids", "account_password": "account_password",
               "cpu": "cpu", "memory": "memory_mb", "disk": "disk_gb", "bandwidth_limit": "bandwidth_gb",
               "snapshot_limit": "snapshot_limit", "backup_limit": "backup_limit", "address_ids": "address_ids"}
