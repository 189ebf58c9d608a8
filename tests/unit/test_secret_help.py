"""`secret set --help` names each kind's secret fields, read from the adapter classes, and only when it is shown."""

import subprocess
import sys

import pytest

from hostdeck.backends.config import KNOWN_KINDS
from hostdeck.backends.registry import adapter_class
from hostdeck.cli.main import main


def test_secret_set_help_names_each_kinds_fields(capsys):
    with pytest.raises(SystemExit) as ended:
        main(["secret", "set", "--help"])
    assert ended.value.code == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")}
    for kind in KNOWN_KINDS:
        assert all(field in lines[kind] for field in adapter_class(kind).secret_fields), kind
    assert "accesskey (optional)" in lines["whmcs"]
    assert 'password (auth = "password")' in lines["cloudpanel"]


def test_other_commands_do_not_import_the_adapters_for_that_help():
    probe = ("import sys; from hostdeck.cli.main import build_parser; build_parser().parse_args(['secret', 'list']); "
             "print(sorted(m for m in sys.modules if m.endswith('.adapter')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
