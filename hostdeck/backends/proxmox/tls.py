"""TLS for Proxmox nodes: system CAs (default), a CA bundle, a pinned SHA-256 fingerprint, or explicitly none.

A pin is checked inside the TLS handshake (a custom SSLObject/SSLSocket class on the context), so nothing, the
API token included, is sent to a server whose certificate does not match. Failures become one plain sentence
that names the fix.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..errors import AuthError
from ..errors import ConfigError

HEX64 = re.compile(r"^[0-9A-F]{64}$")


class CertificateNotTrusted(AuthError):
    """The node's TLS certificate was refused (not trusted, wrong host, pin mismatch). Never retried."""


class PinMismatch(ssl.SSLCertVerificationError):
    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"certificate fingerprint {format_fingerprint(actual)} does not match the pinned one")
        self.expected, self.actual = expected, actual


def normalise_fingerprint(text: str, *, key: str = "fingerprint") -> str:
    """'AB:CD:…', 'abcd…' or 'SHA256 Fingerprint=AB:…' -> 64 upper-case hex digits."""
    value = str(text).strip()
    value = re.sub(r"(?i)^(sha-?256)(\s*fingerprint)?\s*[=:]\s*", "", value)
    hexed = re.sub(r"[\s:]", "", value).upper()
    if not HEX64.match(hexed):
        raise ConfigError(f"{text!r} is not a SHA-256 fingerprint.", key=key,
                          fix='write the 64 hex digits, with or without colons, e.g. "AB:CD:…"; `pvenode cert info` '
                              "on the node shows it.")
    return hexed


def format_fingerprint(hexed: str) -> str:
    return ":".join(hexed[i:i + 2] for i in range(0, len(hexed), 2))


def fingerprint_of(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest().upper()


@dataclass(frozen=True, slots=True)
class TlsSettings:
    ca_bundle: str | None = None
    fingerprint: str | None = None      # normalised, 64 hex digits
    insecure: bool = False

    def describe(self) -> str:
        if self.insecure:
            return "INSECURE: certificate not verified (insecure_tls = true)"
        if self.fingerprint:
            return f"pinned SHA-256 {format_fingerprint(self.fingerprint)[:23]}…"
        if self.ca_bundle:
            return f"verified against CA bundle {self.ca_bundle}"
        return "verified against the system CAs"


class _PinCheck:
    expected: ClassVar[str] = ""

    def _check_pin(self) -> None:
        der = self.getpeercert(binary_form=True)  # type: ignore[attr-defined]
        actual = fingerprint_of(der) if der else ""
        if not hmac.compare_digest(actual, self.expected):
            raise PinMismatch(self.expected, actual)


class _PinnedObject(_PinCheck, ssl.SSLObject):
    """Used by asyncio/anyio (`wrap_bio`): checks the pin the moment the handshake completes."""

    def do_handshake(self) -> None:
        super().do_handshake()
        self._check_pin()


class _PinnedSocket(_PinCheck, ssl.SSLSocket):
    """Used by blocking sockets (`wrap_socket`)."""

    def do_handshake(self, block: bool = False) -> None:
        super().do_handshake(block)
        self._check_pin()


def ssl_context(settings: TlsSettings, *, key: str = "ca_bundle") -> ssl.SSLContext:
    if settings.insecure:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if settings.fingerprint:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False       # the pin replaces chain and host name checks
        ctx.verify_mode = ssl.CERT_NONE
        attrs = {"expected": settings.fingerprint}
        ctx.sslobject_class = type("PinnedObject", (_PinnedObject,), attrs)
        ctx.sslsocket_class = type("PinnedSocket", (_PinnedSocket,), attrs)
        return ctx
    if settings.ca_bundle:
        path = Path(settings.ca_bundle).expanduser()
        try:
            return ssl.create_default_context(cafile=str(path))
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or type(exc).__name__
            raise ConfigError(f"the CA bundle {str(path)!r} cannot be used ({reason}).", key=key,
                              fix="point ca_bundle at a readable PEM file, e.g. a copy of /etc/pve/pve-root-ca.pem "
                                  "from the node.") from None
    ctx = ssl.create_default_context()
    try:
        import certifi

        ctx.load_verify_locations(certifi.where())
    except (ImportError, OSError, ssl.SSLError):
        pass
    return ctx


def tls_failure(exc: BaseException) -> ssl.SSLError | None:
    """The SSL error behind a connection failure, if that is what it was."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLError) and not isinstance(cause, ssl.SSLEOFError):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


async def presented_fingerprint(host: str, port: int, timeout: float = 5.0) -> str | None:
    """The SHA-256 of the certificate a server presents, for the error message only (never trusted by itself)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=ctx, server_hostname=host), timeout)
    except (TimeoutError, OSError, ssl.SSLError):
        return None
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        return fingerprint_of(der) if der else None
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (OSError, ssl.SSLError):
            pass


def failure_message(err: ssl.SSLError, *, host: str, scope: str, settings: TlsSettings, presented: str | None) -> str:
    """One plain sentence with the fix, for a refused certificate or a failed handshake. `scope`: where the TLS keys
    for this endpoint go in the config, e.g. "node pve2" or "backend pve"."""
    if isinstance(err, PinMismatch):
        return (f"certificate not trusted: {host} presented SHA-256 {format_fingerprint(err.actual)}, but the config pins "
                f"{format_fingerprint(err.expected)} for {scope}. Fix: if the node's certificate was renewed, compare with "
                "`pvenode cert info` on the node and update fingerprint in the config; if it was not, someone may be "
                "intercepting the connection.")
    if isinstance(err, ssl.SSLCertVerificationError):
        reason = (err.verify_message or err.reason or str(err)).strip().rstrip(".")
        seen = (f" The certificate's SHA-256 fingerprint is {format_fingerprint(presented)}: compare it with "
                "`pvenode cert info` on the node before pinning it.") if presented else ""
        if "hostname" in reason.lower() or "ip address mismatch" in reason.lower():
            return (f"certificate not trusted: the certificate of {host} is not valid for that name ({reason}). Fix: use a "
                    f'url with a host name the certificate lists, or pin it with fingerprint = "<SHA-256>" for {scope}.'
                    f"{seen}")
        trust = f"the CA bundle {settings.ca_bundle}" if settings.ca_bundle else "the system's trusted CAs"
        return (f"certificate not trusted: {host} presented a certificate that {trust} cannot verify ({reason}). Fix: set "
                f'ca_bundle = "/path/to/pve-root-ca.pem" (a copy of /etc/pve/pve-root-ca.pem from the node) or '
                f'fingerprint = "<SHA-256>" for {scope} in the config.{seen}')
    reason = (getattr(err, "reason", None) or str(err)).strip()
    return (f"TLS handshake with {host} failed ({reason}). Fix: check that the url is the node's https API port "
            "(8006 by default).")
