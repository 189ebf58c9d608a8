"""The opt-in secrets file: `secrets.toml` beside the config, mode 0600, for machines without a usable keyring (as the
hcloud CLI keeps its tokens in its own 0600 config). Used only after the person chose it (`[general] secret_store =
"file"`); hostdeck never falls back to it on its own.

One table per backend, one key per field. Every change rewrites the whole file through a private temporary file that
is 0600 from its creation, then renamed over the old one: the file is never readable by others, not even for an
instant, and a crash leaves the old file or the new one.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from .errors import SecretError
from .paths import tighten_files

FILE_NAME = "secrets.toml"
HEADER = ("# hostdeck's secrets, kept here because [general] secret_store = \"file\" is set in config.toml.\n"
          "# Mode 0600: only you can read it. Do not copy it into backups others can read.\n")


def file_beside(config_file: Path) -> Path:
    return Path(config_file).parent / FILE_NAME


class SecretFile:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        tighten_files(self.path)  # a copy restored with wider modes is private again
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SecretError(f"The secrets file {self.path} cannot be read ({exc.strerror}). Fix: check that it "
                              "belongs to you (mode 600).") from None
        except tomllib.TOMLDecodeError as exc:  # the message names a line, never a value
            raise SecretError(f"The secrets file {self.path} is not valid TOML ({exc}). Fix: correct that line, or "
                              "delete the file and set the secrets again.") from None
        return {backend: {f: v for f, v in fields.items() if isinstance(v, str)}
                for backend, fields in data.items() if isinstance(fields, dict)}

    def get(self, backend: str, field: str) -> str | None:
        return self.read().get(backend, {}).get(field) or None

    def set(self, backend: str, field: str, value: str) -> None:
        data = self.read()
        data.setdefault(backend, {})[field] = value
        self._write(data)

    def delete(self, backend: str, field: str) -> bool:
        data = self.read()
        if field not in data.get(backend, {}):
            return False
        del data[backend][field]
        if not data[backend]:
            del data[backend]
        self._write(data)
        return True

    def _write(self, data: dict[str, dict[str, str]]) -> None:
        import tomlkit

        from .config_file import write_text

        doc = tomlkit.document()
        for backend, fields in sorted(data.items()):
            table = tomlkit.table()
            for field, value in sorted(fields.items()):
                table.add(field, value)
            doc.add(backend, table)
        write_text(self.path, HEADER + tomlkit.dumps(doc))
