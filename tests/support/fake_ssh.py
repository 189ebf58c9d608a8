"""A fake `ssh` to put first on PATH: it writes the arguments it was given (JSON) to a file and exits with `code`."""

from __future__ import annotations

import stat
import sys
from pathlib import Path


def fake_ssh(tmp_path: Path, code: int = 0) -> tuple[Path, Path]:
    """Returns (the folder holding `ssh`, the file its arguments are written to once it runs)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "argv.json"
    script = bin_dir / "ssh"
    script.write_text(f"#!{sys.executable}\nimport json, sys\n"
                      f"open({str(record)!r}, 'w').write(json.dumps(sys.argv[1:]))\nsys.exit({code})\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return bin_dir, record
