"""Proxmox TLS against a real TLS server on 127.0.0.1 with certificates made in the test (a private CA, like
pve-root-ca, and a node certificate it signs): pinning, default verification, CA bundle, explicit insecure mode."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hostdeck.backends.config import BackendConfig
from hostdeck.backends.errors import AuthError
from hostdeck.backends.errors import ConfigError
from hostdeck.backends.events import EventLog
from hostdeck.backends.http import RetryPolicy
from hostdeck.backends.proxmox import ProxmoxAdapter
from hostdeck.backends.proxmox.tls import CertificateNotTrusted
from hostdeck.backends.proxmox.tls import PinMismatch
from hostdeck.backends.proxmox.tls import TlsSettings
from hostdeck.backends.proxmox.tls import format_fingerprint
from hostdeck.backends.proxmox.tls import normalise_fingerprint
from hostdeck.backends.proxmox.tls import ssl_context
from hostdeck.backends.secrets import Secrets

TOKEN_ID, SECRET = "hostdeck@pve!hostdeck", "tls-sentinel-secret-4e1d"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_certs(tmp_path, *, san_localhost: bool = True):
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Proxmox Virtual Environment")).issuer_name(_name("Proxmox Virtual Environment"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("pve-fsn-1")]
    if san_localhost:
        names.append(x509.DNSName("localhost"))
    leaf = (x509.CertificateBuilder().subject_name(_name("pve-fsn-1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "node.pem").write_bytes(leaf.public_bytes(pem))
    (tmp_path / "node.key").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    fingerprint = leaf.fingerprint(hashes.SHA256()).hex().upper()
    return tmp_path / "ca.pem", tmp_path / "node.pem", tmp_path / "node.key", fingerprint


class TlsApi:
    """A tiny PVE-like HTTPS server: /version and /nodes; records every handshake and request."""

    def __init__(self, cert, key) -> None:
        self.handshakes = 0
        self.requests: list[tuple[str, str | None]] = []
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests.append((self.path, self.headers.get("Authorization")))
                if self.headers.get("Authorization") != f"PVEAPIToken={TOKEN_ID}={SECRET}":
                    body, status = {"data": None, "message": "authentication failure\n"}, 401
                elif self.path.endswith("/version"):
                    body, status = {"data": {"version": "9.1.2", "release": "9.1", "repoid": "5f2a1c9e"}}, 200
                else:
                    body, status = {"data": [{"node": "pve-fsn-1", "status": "online"}]}, 200
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def finish_request(self, request, client_address) -> None:
                try:
                    tls = ctx.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    return  # the client refused our certificate: it hangs up during the handshake
                outer.handshakes += 1
                try:
                    Handler(tls, client_address, self)
                except OSError:
                    pass

            def handle_error(self, request, client_address) -> None:
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def certs(tmp_path):
    return make_certs(tmp_path)


@pytest.fixture
def server(certs):
    _ca, cert, key, _fp = certs
    srv = TlsApi(cert, key)
    yield srv
    srv.close()


def adapter_for(url: str, events: EventLog | None = None, **options) -> ProxmoxAdapter:
    config = BackendConfig(name="pve", kind="proxmox", url=url, timeout=5.0,
                           options={"token_id": TOKEN_ID, "node": "pve-fsn-1", **options})
    return ProxmoxAdapter(config, secrets=Secrets(overlay={("pve", "token_secret"): SECRET}), events=events or EventLog(),
                          policy=RetryPolicy(max_retries=2, base=0.01, cap=0.05))


async def test_correct_pin_is_accepted(server, certs):
    fingerprint = certs[3]
    adapter = adapter_for(server.url(), fingerprint=format_fingerprint(fingerprint).lower())
    report = await adapter.test_connection()
    assert report.ok, report.error
    assert report.version == "9.1.2 (9.1)" and "pinned" in report.details["tls"]["pve-fsn-1"] and not adapter.insecure
    assert server.requests[0] == ("/api2/json/version", f"PVEAPIToken={TOKEN_ID}={SECRET}")
    await adapter.aclose()


async def test_wrong_pin_is_refused_before_the_token_is_sent(server, certs):
    events = EventLog()
    adapter = adapter_for(server.url(), events=events, fingerprint="AB" * 32)
    report = await adapter.test_connection()
    assert not report.ok
    assert report.error.startswith("certificate not trusted")
    assert format_fingerprint(certs[3]) in report.error and "update fingerprint" in report.error
    assert "pvenode cert info" in report.error
    with pytest.raises(CertificateNotTrusted) as err:
        await adapter.list_servers()
    assert isinstance(err.value, AuthError) and err.value.code == "tls"
    assert server.requests == []            # nothing, the token included, reached the server
    assert server.handshakes == 0
    assert any("certificate not trusted" in e.message for e in events.recent())
    assert SECRET not in repr([e.as_dict() for e in events.recent()])
    await adapter.aclose()


async def test_default_verification_refuses_a_private_ca_in_plain_words(server, certs):
    adapter = adapter_for(server.url())
    report = await adapter.test_connection()
    assert not report.ok and report.error.startswith("certificate not trusted")
    assert "ca_bundle" in report.error and "fingerprint" in report.error and "/etc/pve/pve-root-ca.pem" in report.error
    assert format_fingerprint(certs[3]) in report.error   # what the node presented, to compare before pinning
    assert server.requests == []
    await adapter.aclose()


async def test_ca_bundle_is_accepted(server, certs):
    adapter = adapter_for(server.url(), ca_bundle=str(certs[0]))
    report = await adapter.test_connection()
    assert report.ok, report.error
    assert "CA bundle" in report.details["tls"]["pve-fsn-1"]
    await adapter.aclose()


async def test_ca_bundle_still_checks_the_host_name(tmp_path):
    ca, cert, key, fingerprint = make_certs(tmp_path, san_localhost=False)
    srv = TlsApi(cert, key)
    try:
        adapter = adapter_for(srv.url("localhost"), ca_bundle=str(ca))
        report = await adapter.test_connection()
        assert not report.ok and "not valid for that name" in report.error and "fingerprint" in report.error
        pinned = adapter_for(srv.url("localhost"), fingerprint=fingerprint)
        assert (await pinned.test_connection()).ok    # a pin replaces the host name check
        await adapter.aclose()
        await pinned.aclose()
    finally:
        srv.close()


async def test_per_node_tls_overrides_the_backend(server, certs):
    adapter = adapter_for(server.url(), fingerprint="AB" * 32)
    adapter.config.options.pop("node")
    adapter.config.options["nodes"] = [{"name": "pve-fsn-1", "url": server.url(), "ca_bundle": str(certs[0])}]
    report = await adapter.test_connection()
    assert report.ok, report.error
    await adapter.aclose()


async def test_insecure_is_explicit_and_marked(server):
    adapter = adapter_for(server.url(), insecure_tls=True)
    report = await adapter.test_connection()
    assert report.ok and adapter.insecure and report.details["insecure"] is True
    assert "INSECURE" in report.details["tls"]["pve-fsn-1"] and "OFF" in report.details["warning"]
    await adapter.aclose()


def test_pin_is_checked_on_blocking_sockets_too(server, certs):
    for fingerprint, ok in ((certs[3], True), ("00" * 32, False)):
        ctx = ssl_context(TlsSettings(fingerprint=fingerprint))
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            if ok:
                with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                    assert tls.version()
            else:
                with pytest.raises(PinMismatch):
                    ctx.wrap_socket(raw, server_hostname="127.0.0.1")


@pytest.mark.parametrize("text", ["ab" * 32, ":".join(["AB"] * 32), "SHA256 Fingerprint=" + ":".join(["ab"] * 32),
                                  "sha256:" + "AB" * 32, " " + "ab" * 32 + " "])
def test_fingerprint_formats(text):
    assert normalise_fingerprint(text) == "AB" * 32


@pytest.mark.parametrize("text", ["AB" * 31, "ZZ" * 32, "", "AB" * 33])
def test_bad_fingerprints_name_the_fix(text):
    with pytest.raises(ConfigError, match="pvenode cert info"):
        normalise_fingerprint(text)


def test_unreadable_ca_bundle_names_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="pve-root-ca.pem"):
        ssl_context(TlsSettings(ca_bundle=str(tmp_path / "missing.pem")))
