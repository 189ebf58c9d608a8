"""Values as people write them: `server show` prints yes/no, `key=value` and — (never a Python repr), and `catalog`
prints a table per kind of item with a row for each item."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import demo_env
from tests.support.cli import run_cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    settings = demo_env(tmp_path_factory.mktemp("values"))
    return lambda *args: run_cli(settings, "--demo", *args)


def shown_fields(proc) -> dict[str, str]:
    assert proc.returncode == 0, proc.stderr
    return {line[:17].strip(): line[18:] for line in proc.stdout.splitlines()}


def test_server_show_prints_yes_no_key_value_and_a_dash(demo):
    servers = json.loads(demo("servers", "--backend", "hz", "--json").stdout)
    protected = next(s for s in servers if s["delete_protected"] and "" in s["labels"].values())
    unprotected = next(s for s in servers if not s["delete_protected"])
    for server in (protected, unprotected):
        shown = shown_fields(demo("server", "show", "hz", server["id"]))
        assert shown["delete_protected"] == ("yes" if server["delete_protected"] else "no")
        assert shown["locked"] in ("yes", "no")
        assert shown["labels"] == ", ".join(f"{k}={v}" for k, v in server["labels"].items())
        assert shown["billing_link"] == "—"
        for repr_mark in ("{'", "True", "False", "None", "null", "[]"):
            assert repr_mark not in "\n".join(shown.values()), repr_mark


def test_catalog_prints_a_table_for_each_kind(demo):
    (hz,) = json.loads(demo("catalog", "hz", "--json").stdout)
    proc = demo("catalog", "hz")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    types = [i for i in hz["items"] if i["kind"] == "server_type"]
    start = lines.index(f"server types ({len(types)})")
    assert lines[start + 1].split()[:3] == ["NAME", "CORES", "MEMORY"]
    rows = {line.split()[0]: line.split() for line in lines[start + 2:start + 2 + len(types)]}
    for item in types:
        assert rows[item["name"]][1] == str(item["attrs"]["cores"])
        assert rows[item["name"]][-1] == ("yes" if item["deprecated"] else "no")
    for kind, title in (("location", "locations"), ("image", "images")):
        count = sum(1 for i in hz["items"] if i["kind"] == kind)
        assert count and f"{title} ({count})" in lines
