"""The one rule that must never break: backends/ never loads textual, rich or tui."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import hostdeck.backends

ROOT = Path(__file__).resolve().parents[2]


def all_backend_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(hostdeck.backends.__path__, "hostdeck.backends."))


def test_importing_every_backend_module_loads_no_ui():
    modules = all_backend_modules()
    assert "hostdeck.backends.hetzner.adapter" in modules and "hostdeck.backends.http" in modules
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich') or m.startswith('hostdeck.tui'))\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"backends loaded UI modules: {out.stdout}"


def test_cli_subcommands_do_not_import_textual():
    code = ("import sys\nfrom hostdeck.cli.main import build_parser\nbuild_parser()\n"
            "import hostdeck.cli.commands\nprint(','.join(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_tui_start_path_keeps_heavy_modules_off_the_first_paint():
    """What `hostdeck --demo` imports before its first paint (see bench/bench_startup.py): no SQLAlchemy,
    paramiko, httpx or keyring; the adapters and the demo simulators load after the first paint."""
    code = ("import sys\nfrom types import SimpleNamespace\nfrom hostdeck.cli.context import CommandContext\n"
            "ctx = CommandContext(SimpleNamespace(demo=True, read_only=False, config=None), defer_demo=True)\n"
            "ws = ctx.__enter__()\nimport hostdeck.tui.app, hostdeck.tui.screens.servers.screen\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sqlalchemy', 'sqlmodel', 'paramiko', 'httpx', 'keyring') or m.startswith('hostdeck.backends.sim'))))\n"
            "ctx.__exit__(None, None, None)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
