"""`secret set --help`: each kind's secret fields, read from the adapter classes (imported only to show the help)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


class LazyEpilogParser(argparse.ArgumentParser):
    """A parser whose epilog is written only when its help is shown: every other command line skips the work."""

    epilog_source: Callable[[], str] | None = None

    def format_help(self) -> str:
        if self.epilog_source is not None:
            self.epilog = self.epilog_source()
        return super().format_help()


def kind_secret_fields(kind: str) -> list[str]:
    """The fields a backend of `kind` reads from the keyring (or HOSTDECK_SECRET_...), the optional ones marked."""
    from hostdeck.backends.registry import adapter_class

    adapter = adapter_class(kind)
    fields = list(adapter.secret_fields)
    if kind == "cloudpanel":  # the one secret depends on the backend's auth option
        from hostdeck.backends.cloudpanel.options import secret_field_of
        from hostdeck.backends.config import BackendConfig

        password = secret_field_of(BackendConfig(name=kind, kind=kind, options={"auth": "password"}))
        fields = [f"{fields[0]} (SSH key auth)", f'{password} (auth = "password")']
    return fields + [f"{f} (optional)" for f in getattr(adapter, "optional_secret_fields", ())]


def secret_fields_help() -> str:
    from hostdeck.backends.config import KNOWN_KINDS

    width = max(len(kind) for kind in KNOWN_KINDS)
    lines = ["FIELD, by the backend's kind:"]
    lines += [f"  {kind:{width}}  {', '.join(kind_secret_fields(kind))}" for kind in KNOWN_KINDS]
    lines += ["", "Instead of the keyring, a field can come from the environment: HOSTDECK_SECRET_<BACKEND>_<FIELD>",
              "(upper case, e.g. HOSTDECK_SECRET_HZ_TOKEN for the token of backend hz)."]
    return "\n".join(lines)
