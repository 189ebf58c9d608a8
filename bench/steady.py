"""What every benchmark does first: hostdeck's own modules compiled to bytecode, as they are on a user's machine after
the first run. The anchors (Textual, hcloud-python) were compiled by pip at install time; an editable install of
hostdeck writes its .pyc files on first import, unless PYTHONDONTWRITEBYTECODE is set (as it is on some CI and
sandbox machines), in which case every start would compile the sources again and the ratio would measure that."""

from __future__ import annotations

import argparse
import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compile_hostdeck() -> None:
    compileall.compile_dir(str(ROOT / "hostdeck"), quiet=1)


def options(doc: str | None, **defaults: int | float) -> argparse.Namespace:
    """A benchmark's command line (`--name VALUE` for each default, typed like it), then its steady state."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, default in defaults.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    args = parser.parse_args()
    compile_hostdeck()
    return args
