"""Key bindings written as a table, one binding a line: `key  name  action  label`, the columns two or more spaces
apart (a label may hold single spaces). The id of a binding is `scope.name`: what a keymap names
(`[keymap] servers.filter = "f"`). A label in brackets stays out of the Footer: `[Reverse]`."""

from __future__ import annotations

import re

from textual.binding import Binding
from textual.binding import BindingType

_COLUMNS = re.compile(r"\s{2,}")


def keys(scope: str, table: str) -> list[BindingType]:
    bindings: list[BindingType] = []
    for line in table.strip().splitlines():
        key, name, action, label = _COLUMNS.split(line.strip())
        hidden = label.startswith("[") and label.endswith("]")
        bindings.append(Binding(key, action, label.strip("[]") if hidden else label, show=not hidden,
                                id=f"{scope}.{name}"))
    return bindings
