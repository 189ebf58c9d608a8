"""The PHP and Python versions a CloudPanel host offers, read from the host instead of fixed lists.

They change with every CloudPanel release (v2.5.3 added PHP 8.5) and differ per OS (the docs: Python must be 3.10 on
Ubuntu 22.04). CloudPanel has no command that lists them, but its docs run each PHP as `php8.4` from the PATH
(cloudpanel-io/docs v2: composer and Varnish guides) and add a Python with `apt install python3.8` or an
`altinstall` into `/usr`: so the versions on offer are the `phpX.Y` and `python3.Y` programs in `/usr/bin`.

Node.js has no such trace on the host: CloudPanel installs the requested version with nvm when the site is made, and
answers "Version '18' not found" (cloudpanel-ce#681) for one nvm cannot install, which hostdeck reports as a
validation error. So a Node.js version is only checked for its form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .commands import Command

_PHP = re.compile(r"^php(\d+\.\d+)$")
_PYTHON = re.compile(r"^python(3\.\d+)$")


@dataclass(frozen=True, slots=True)
class Runtimes:
    php: tuple[str, ...] = ()
    python: tuple[str, ...] = ()


def list_command() -> Command:
    """`ls -1 /usr/bin`: a read that needs no root (and no glob, so nothing for a shell to expand)."""
    return Command("list the PHP and Python versions on the host", ("ls", "-1", "/usr/bin"), root=False)


def parse(text: str) -> Runtimes:
    names = [line.strip().rsplit("/", 1)[-1] for line in text.splitlines() if line.strip()]

    def versions(pattern: re.Pattern[str]) -> tuple[str, ...]:
        found = {m.group(1) for n in names if (m := pattern.match(n))}
        return tuple(sorted(found, key=lambda v: tuple(int(p) for p in v.split("."))))

    return Runtimes(php=versions(_PHP), python=versions(_PYTHON))
