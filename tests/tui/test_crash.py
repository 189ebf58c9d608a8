"""A crash prints two plain lines and the log file's path; the traceback (never its locals) is in that file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .crashing_app import SENTINEL

ROOT = Path(__file__).resolve().parents[2]


def crash(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.tui.crashing_app", str(tmp_path), *extra], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "TEXTUAL_ANIMATIONS": "none", "HOME": str(tmp_path),
                               "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"})


def test_a_crash_prints_a_short_message_and_the_log_path_not_the_locals(tmp_path):
    result = crash(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    log = tmp_path / "logs" / "hostdeck.log"
    assert "hostdeck stopped on an unexpected error (ValueError)" in output
    assert str(log) in output.splitlines()
    assert SENTINEL not in output and "root_password" not in output and "old [x=1" not in output
    assert "Traceback" not in output and "locals" not in output.lower()
    crashes = [json.loads(line) for line in log.read_text().splitlines() if "hostdeck stopped" in line]
    assert crashes and "ValueError" in crashes[-1]["detail"]["traceback"]
    assert "in highlight" in crashes[-1]["detail"]["traceback"]
    assert SENTINEL not in log.read_text()  # the lines of code, never the variables


def test_the_control_textuals_own_crash_output_shows_the_locals(tmp_path):
    """Without hostdeck's handler the same crash prints the record: the test above could fail."""
    result = crash(tmp_path, "--stock")
    assert result.returncode == 1
    assert SENTINEL in result.stdout + result.stderr
