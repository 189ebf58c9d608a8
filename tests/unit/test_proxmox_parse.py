"""Proxmox config (nodes, token id, TLS keys), status normalisation, lenient numbers and error classification."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hostdeck.backends.config import BackendConfig
from hostdeck.backends.errors import AuthError
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ConfigError
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import PermissionDenied
from hostdeck.backends.errors import ProtocolError
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.models import ServerStatus
from hostdeck.backends.proxmox import parse
from hostdeck.backends.proxmox.errors import classify
from hostdeck.backends.proxmox.errors import task_error
from hostdeck.backends.proxmox.nodes import parse_setup

TOKEN = "hostdeck@pve!hostdeck"


def setup(url: str | None = "https://pve1.example.com:8006", **options):
    return parse_setup(BackendConfig(name="pve", kind="proxmox", url=url, options={"token_id": TOKEN, **options}))


# config ------------------------------------------------------------------------------------------
def test_single_node_and_api_path():
    s = setup(node="pve1")
    assert [(n.name, n.url) for n in s.nodes] == [("pve1", "https://pve1.example.com:8006/api2/json")]
    assert s.token_id == TOKEN and not s.insecure
    assert setup(url="https://pve1:8006/api2/json/").default_url == "https://pve1:8006/api2/json"


def test_several_nodes_inherit_url_and_tls_unless_they_set_their_own():
    s = setup(fingerprint="AB" * 32, nodes=[{"name": "pve1"}, {"name": "pve2", "url": "https://pve2:8006", "ca_bundle": "/ca.pem"},
                                           {"name": "pve3", "insecure_tls": True}])
    n1, n2, n3 = s.nodes
    assert n1.url == "https://pve1.example.com:8006/api2/json" and n1.tls.fingerprint == "AB" * 32
    assert n2.url == "https://pve2:8006/api2/json" and n2.tls.ca_bundle == "/ca.pem" and n2.tls.fingerprint is None
    assert n3.insecure and s.insecure
    assert s.node("pve2") is n2
    other = s.node("pve9")  # any other node goes through the backend url (the cluster proxies it)
    assert other.url == s.default_url and other.tls == s.default_tls


def test_discovery_when_no_node_is_named():
    s = setup()
    assert s.nodes == () and s.default_url


@pytest.mark.parametrize("url, options, words", [
    ("https://pve1:8006", {"token_id": None}, "token_id"),
    ("https://pve1:8006", {"token_id": "hostdeck@pve"}, "user@realm!tokenid"),
    ("https://pve1:8006", {"token_secret": "x"}, "hostdeck secret set pve token_secret"),
    ("https://pve1:8006", {"node": "pve1", "nodes": [{"name": "pve2"}]}, "both node and nodes"),
    ("https://pve1:8006", {"fingerprint": "AB" * 32, "insecure_tls": True}, "use one of them"),
    ("https://pve1:8006", {"insecure_tls": "yes"}, "true or false"),
    ("https://pve1:8006", {"fingerprint": "12:34"}, "SHA-256"),
    ("https://pve1:8006", {"node": "pve 1"}, "node name"),
    ("https://pve1:8006", {"nodes": [{"name": "pve1", "fingerprnt": "AB"}]}, "unknown key"),
    ("https://pve1:8006", {"nodes": [{"name": "pve1"}, {"name": "pve1"}]}, "twice"),
    ("https://pve1:8006", {"nodes": []}, "list of tables"),
    (None, {"node": "pve1"}, "no url"),
    (None, {"nodes": [{"name": "pve1"}]}, "no url"),
    (None, {}, "no url"),
    ("ftp://pve1", {}, "not an http(s) URL"),
])
def test_config_errors_name_the_fix(url, options, words):
    options = {"token_id": TOKEN, **options}
    if options["token_id"] is None:
        del options["token_id"]
    with pytest.raises(ConfigError) as err:
        parse_setup(BackendConfig(name="pve", kind="proxmox", url=url, options=options))
    assert words in str(err.value) and "Fix:" in str(err.value)


# parsing ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status, qmp, expected, raw", [
    ("running", "running", ServerStatus.RUNNING, "running"), ("running", None, ServerStatus.RUNNING, "running"),
    ("stopped", "stopped", ServerStatus.OFF, "stopped"), ("running", "paused", ServerStatus.UNKNOWN, "running (paused)"),
    ("running", "prelaunch", ServerStatus.UNKNOWN, "running (prelaunch)"), ("unknown", None, ServerStatus.UNKNOWN, "unknown"),
])
def test_status_normalisation(status, qmp, expected, raw):
    assert parse.normalise(status, qmp) is expected and parse.raw_status(status, qmp) == raw


def test_numbers_are_parsed_leniently():
    server = parse.parse_vm("pve", "pve1", {"vmid": "104", "name": "a", "status": "running", "cpus": "2",
                                            "maxmem": "2147483648", "maxdisk": 21474836480.0, "mem": "1024", "cpu": "0.5",
                                            "uptime": "60", "tags": "web;prod"})
    assert server.id == "pve1/104" and server.cores == 2 and server.memory_mb == 2048 and server.disk_gb == 20
    assert server.raw["cpu"] == 0.5 and server.raw["mem"] == 1024 and server.raw["uptime"] == 60
    assert server.labels == {"web": "", "prod": ""}
    with pytest.raises(ProtocolError):
        parse.parse_vm("pve", "pve1", {"name": "no vmid"})


@given(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True), st.integers(100, 999_999_999))
def test_server_ids_round_trip(node, vmid):
    assert parse.split_id(parse.server_id(node, vmid)) == (node, vmid)


@pytest.mark.parametrize("ref", ["104", "pve1/", "/104", "pve1/abc", ""])
def test_bad_server_ids(ref):
    with pytest.raises(ValidationError):
        parse.split_id(ref)


def test_task_outcomes():
    assert parse.task_ok({"status": "stopped", "exitstatus": "OK"}) == (True, "")
    ok, note = parse.task_ok({"status": "stopped", "exitstatus": "WARNINGS: 2"})
    assert ok and "warnings: 2" in note
    assert parse.task_ok({"status": "stopped", "exitstatus": "VM 100 already running"}) == (False, "VM 100 already running")


# errors ------------------------------------------------------------------------------------------------
def body(message: str, **extra):
    return {"data": None, "message": message + "\n", **extra}


@pytest.mark.parametrize("status, data, cls, code", [
    (401, body("authentication failure"), AuthError, "unauthorized"),
    (403, body("Permission check failed (/vms/100, VM.PowerMgmt)"), PermissionDenied, "forbidden"),
    (400, body("Parameter verification failed.", errors={"password": "too short\n"}), ValidationError, "invalid_param"),
    (500, body("Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist"), NotFoundError, "vm_not_found"),
    (500, body("no such cluster node 'x'"), NotFoundError, "node_not_found"),
    (500, body("VM 100 not running"), ConflictError, "not_running"),
    (500, body("VM is locked (backup)"), ConflictError, "locked"),
    (500, body("VM is paused - cannot shutdown"), ConflictError, "paused"),
    (500, body("QEMU guest agent is not running"), ConflictError, "agent_not_running"),
    (500, body("No QEMU guest agent configured"), ConflictError, "agent_not_configured"),
    (500, body("Agent error: user 'x' does not exist"), ConflictError, "agent_error"),
    (500, body("something else broke"), UnavailableError, "server_error"),
    (500, {"data": None}, UnavailableError, "server_error"),
    (501, body("Method 'GET /x' not implemented"), ProtocolError, "not_implemented"),
    (595, body("No route to host"), UnavailableError, "node_unreachable"),
    (418, body("teapot"), BackendError, None),
])
def test_classification(status, data, cls, code):
    err = classify(status, data, "op", "pve")
    assert type(err) is cls and err.code == code and err.http_status == status


def test_messages_are_plain_and_name_the_fix():
    assert "hostdeck secret set pve token_secret" in classify(401, body("x"), "op", "pve").message
    assert "grant VM.PowerMgmt on /vms/100" in classify(403, body("Permission check failed (/vms/100, VM.PowerMgmt)"),
                                                        "op", "pve").message
    assert "password: too short" in classify(400, body("Parameter verification failed.", errors={"password": "too short\n"}),
                                             "op", "pve").message
    agent = classify(500, body("QEMU guest agent is not running"), "op", "pve").message
    assert agent.startswith("the QEMU guest agent is not running in this VM: install qemu-guest-agent")
    failed = task_error("VM quit/powerdown failed - got timeout", verb="shutdown", upid="UPID:x")
    assert isinstance(failed, ConflictError) and failed.code == "timeout" and "UPID:x" in failed.message
