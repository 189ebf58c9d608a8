"""Editing the config file in place: add or remove a `[[backends]]` table, keeping the person's comments, order and
formatting (tomlkit), and never leaving a half-written or invalid file.

Every edit is checked by the same parser that reads the config at start (`parse_config`): an edit that would make
the file invalid raises its `ConfigError` and the file is left as it was. The new file is written beside the old one
(0600), flushed to disk and renamed over it, so a crash leaves either the old file or the new one.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from .config import Config
from .config import parse_config
from .errors import ConfigError
from .paths import FILE_MODE
from .paths import private_dir


def _document(path: Path) -> Any:
    import tomlkit

    if not path.exists():
        return tomlkit.document()
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror}).", path=str(path), fix="check the file's permissions.") from None
    except Exception as exc:  # tomlkit's parse errors have no common public base
        raise ConfigError(f"is not valid TOML ({exc}).", path=str(path), fix="correct the syntax at the line shown.") from None


def _checked(path: Path, text: str) -> Config:
    """The config this text would load as (ConfigError when it would not load)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - tomlkit writes valid TOML
        raise ConfigError(f"would not be valid TOML ({exc}).", path=str(path), fix="report this as a bug.") from None
    return parse_config(data, path)


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, as a file only its owner may read."""
    folder = private_dir(path.parent) if not path.parent.exists() else path.parent
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def set_general(path: Path, key: str, value: str) -> Config:
    """Set `[general] key = value` (the theme chosen in the app), keeping the rest of the file as it is."""
    import tomlkit

    doc = _document(path)
    if "general" not in doc:
        doc.add("general", tomlkit.table())
    doc["general"][key] = value
    text = tomlkit.dumps(doc)
    config = _checked(path, text)
    write_text(path, text)
    return config


def backend_names(path: Path) -> list[str]:
    doc = _document(path)
    return [str(table.get("name")) for table in doc.get("backends", [])]


def _index(doc: Any, name: str) -> int | None:
    return next((i for i, t in enumerate(doc.get("backends", [])) if t.get("name") == name), None)


def add_backend(path: Path, name: str, kind: str, options: dict[str, Any]) -> Config:
    """Append a `[[backends]]` table for `name` (an existing name is refused: remove it first, or edit the file).
    Returns the config as it now loads."""
    text, config = with_backend(path, name, kind, options)
    write_text(path, text)
    return config


def with_backend(path: Path, name: str, kind: str, options: dict[str, Any], *, replacing: bool = False,
                 general: dict[str, str] | None = None) -> tuple[str, Config]:
    """The file's text with the backend added, and the config it loads as; nothing is written. `replacing`: the
    backend's table takes the place of the one with that name (an edit), where it was in the file. `general`: keys
    set in `[general]` in the same write (the secret store chosen with the backend)."""
    import tomlkit

    doc = _document(path)
    for key, value in (general or {}).items():
        if "general" not in doc:
            doc.add("general", tomlkit.table())
        doc["general"][key] = value
    position = _index(doc, name)
    if replacing and position is None:
        raise ConfigError(f"no backend named {name!r} is configured.", path=str(path), key="backends",
                          fix="see `hostdeck backend list` for the names.")
    if not replacing and position is not None:
        raise ConfigError(f"a backend named {name!r} is already configured.", path=str(path), key="backends",
                          fix=f"pick another name, or run `hostdeck backend remove {name} --yes` first.")
    if replacing:
        assert position is not None  # checked above
        _update(doc["backends"][position], kind, options)
        text = tomlkit.dumps(doc)
        return text, _checked(path, text)
    table = tomlkit.table()
    table.add("name", name)
    table.add("kind", kind)
    for key, value in options.items():
        if value is not None:
            table.add(key, value)
    if "backends" not in doc:
        if doc.body:
            doc.add(tomlkit.nl())
        doc.add("backends", tomlkit.aot())
    elif len(doc["backends"]):
        doc["backends"][-1].add(tomlkit.nl())  # a blank line between the tables, as people write them
    doc["backends"].append(table)
    text = tomlkit.dumps(doc)
    return text, _checked(path, text)


def _update(table: Any, kind: str, options: dict[str, Any]) -> None:
    """Edit a `[[backends]]` table in place: keys left unchanged keep their comments and their place."""
    if table.get("kind") != kind:
        table["kind"] = kind
    for key in [k for k in table if k not in ("name", "kind") and options.get(k) is None]:
        del table[key]
    for key, value in options.items():
        if value is not None and table.get(key) != value:
            table[key] = value


def remove_backend(path: Path, name: str) -> Config:
    """Remove the `[[backends]]` table named `name`. Returns the config as it now loads."""
    doc = _document(path)
    tables = doc.get("backends")
    index = _index(doc, name)
    if index is None:
        raise ConfigError(f"no backend named {name!r} is configured.", path=str(path), key="backends",
                          fix="see `hostdeck backend list` for the names.")
    del tables[index]
    if not tables:
        del doc["backends"]
    text = doc.as_string()
    config = _checked(path, text)
    write_text(path, text)
    return config
