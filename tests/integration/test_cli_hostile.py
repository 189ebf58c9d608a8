"""Hostile data is data on the command line too: names, labels, client names and API errors full of escape
sequences, BEL, CR, bidi marks and markup, from the simulators over real sockets, through every plain table and
line the CLI prints. Nothing reaches stdout or stderr raw; --json keeps the exact values, escaped."""

from __future__ import annotations

import json
import re

import pytest

from hostdeck.backends.demo import server_descriptors
from hostdeck.backends.sim.cluster import Cluster
from hostdeck.backends.sim.convoy import ConvoySim
from hostdeck.backends.sim.hetzner import HetznerSim
from hostdeck.backends.sim.whmcs import WhmcsSim
from tests.support.cli import cli_env
from tests.support.cli import run_cli

from . import cv

HZ_TOKEN = "cli-hostile-hz-token"
WHMCS_ID, WHMCS_SECRET = "cli-hostile-identifier-01", "cli-hostile-secret-0123456"
LONG = "L" * 10_000
HOSTILE = ["old [x=1", "[/]", "[link=https://x]click[/link]", "wipe\x1b[2J\x1b[H", "clip\x1b]52;c;aGFja2Vk\x07",
           "bell\x07", "carriage\rreturn", "bidi\u202eevil\u2066x\u2069", "nul\x00byte", "c1\x9bcsi", "tab\there",
           "line\nbreak", LONG]
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")  # newline aside


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile-cli")
    hz = HetznerSim(servers=len(HOSTILE) + 4, seed=41, token=HZ_TOKEN, action_seconds=0.05)
    convoy = ConvoySim(servers=len(HOSTILE), users=4, seed=41, token=cv.TOKEN, cluster=Cluster())
    for sim in (hz, convoy):
        sim.start()
    for (_sid, server), name in zip(sorted(hz.servers.items()), HOSTILE):
        server["name"], server["labels"] = name, {"customer": name}
        hz._touch(server)
    for server, name in zip(convoy.servers.values(), HOSTILE):
        server["name"] = name
    whmcs = WhmcsSim(clients=len(HOSTILE), seed=41, identifier=WHMCS_ID, secret=WHMCS_SECRET,
                     servers=server_descriptors(hz, convoy))
    whmcs.start()
    for client, name in zip(whmcs.clients.values(), HOSTILE):
        client["firstname"], client["companyname"] = name, f"{name} Ltd"
    config = tmp / "config.toml"
    config.write_text(f"""
[sync]
billing = "billing"
panel = "vps"

[[backends]]
name = "hz"
kind = "hetzner"
url = "{hz.base_url}"

[[backends]]
name = "vps"
kind = "convoy"
url = "{convoy.base_url}"

[[backends]]
name = "billing"
kind = "whmcs"
url = "{whmcs.base_url}"
""")
    env = cli_env(config=config, data=tmp / "data", HOSTDECK_SECRET_HZ_TOKEN=HZ_TOKEN,
                  HOSTDECK_SECRET_VPS_TOKEN=cv.TOKEN, HOSTDECK_SECRET_BILLING_IDENTIFIER=WHMCS_ID,
                  HOSTDECK_SECRET_BILLING_SECRET=WHMCS_SECRET, HOSTDECK_SECRET_BILLING_ACCESSKEY="")
    yield env, hz, convoy, whmcs
    for sim in (hz, convoy, whmcs):
        sim.stop()


def hostdeck(env, *args) -> tuple[int, str, str]:
    """Runs the CLI; returns (exit code, stdout, stderr) decoded from the bytes the terminal would get."""
    proc = run_cli(env, *args, text=False)
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")  # strict: a lone surrogate would fail here
    for stream in (out, err):
        raw = RAW.findall(stream)
        assert not raw, f"hostdeck {' '.join(args)} wrote raw control characters: {raw!r}\n{stream[:2000]}"
    return proc.returncode, out, err


def test_server_list_show_and_json_escape_what_the_backend_named(world):
    env, hz, convoy, _ = world
    code, out, err = hostdeck(env, "servers")
    assert code == 0, err
    assert "old [x=1" in out and "wipe\\x1b[2J\\x1b[H" in out and "clip\\x1b]52;c;aGFja2Vk\\x07" in out
    assert "bidi\\u202eevil\\u2066x\\u2069" in out and "c1\\x9bcsi" in out and "carriage\\x0dreturn" in out
    assert "line\\x0abreak" in out and "tab\\x09here" in out  # one server, one line
    assert max(len(line) for line in out.splitlines()) < 2_000  # the 10,000-character name is clipped in the table

    code, out, err = hostdeck(env, "servers", "--json")
    assert code == 0, err
    names = {row["name"] for row in json.loads(out)}
    assert set(HOSTILE) <= names  # the exact values, through JSON's own escapes

    for prefix, shown in (("wipe", "wipe\\x1b[2J\\x1b[H"), ("line", "line\\x0abreak")):
        sid = next(sid for sid, s in hz.servers.items() if s["name"].startswith(prefix))
        code, out, err = hostdeck(env, "server", "show", "hz", str(sid))
        assert code == 0, err
        assert shown in out and "customer" in out


def test_api_errors_and_connection_reports_are_escaped(world):
    env, hz, _, _ = world
    message = "denied [/] \x1b]52;c;cGF5bG9hZA==\x07\r\x1b[2J " + LONG
    hz.faults.add("*", "status", status=503, code="unavailable", message=message, count=40)
    try:
        code, out, err = hostdeck(env, "test", "hz")
        assert code == 1
        assert "denied [/] \\x1b]52;c;cGF5bG9hZA==\\x07\\x0d\\x1b[2J" in out + err
        code, out, err = hostdeck(env, "servers", "--backend", "hz")
        assert "denied [/] \\x1b]52" in err
        code, out, err = hostdeck(env, "server", "show", "hz", str(min(hz.servers)), "--json")
        assert code != 0 and "\\u001b]52" in out  # the JSON error document keeps the message, escaped
        assert json.loads(out)["error"]["message"].startswith("the Hetzner API is unavailable (denied [/] \x1b]52")
    finally:
        hz.faults.clear()


def test_billing_tables_escape_client_names(world):
    env, *_ = world
    code, out, err = hostdeck(env, "sync", "services", "--propose")
    assert code == 0, err
    assert "old [x=1" in out and "wipe\\x1b[2J" in out
    code, out, err = hostdeck(env, "sync", "services", "--propose", "--json")
    assert code == 0, err
    clients = {p["client"] for p in json.loads(out)["proposals"]}
    assert any("\x1b[2J" in c for c in clients)
    code, out, err = hostdeck(env, "sync", "drift")
    code, out, err = hostdeck(env, "sync", "clients", "--dry-run")
    assert code in (0, 1), err
