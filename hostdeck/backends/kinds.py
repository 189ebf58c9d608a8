"""What each kind of backend needs from a person adding it: the options with their defaults, and the secret fields.

Pure data, read by the add form (hostdeck.tui.dialogs.add_backend) and the welcome screen; the secret fields match
each adapter's `secret_fields` (a test checks it), which stays the one source the adapters use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OptionField:
    key: str
    label: str
    default: str = ""       # shown filled in; a default that is also the adapter's own is not written to the config
    required: bool = True
    placeholder: str = ""
    implied: bool = False   # True: the adapter uses this default anyway, so leaving it unchanged writes nothing


@dataclass(frozen=True)
class SecretField:
    key: str
    label: str
    required: bool = True


@dataclass(frozen=True)
class Kind:
    kind: str
    title: str
    summary: str
    suggested_name: str
    options: tuple[OptionField, ...]
    secrets: tuple[SecretField, ...]


def _url(placeholder: str) -> OptionField:
    return OptionField("url", "URL", placeholder=placeholder)


KINDS: tuple[Kind, ...] = (
    Kind("hetzner", "Hetzner Cloud", "cloud servers of one Hetzner project", "hz",
         (OptionField("url", "API URL", default="https://api.hetzner.cloud/v1", implied=True),),
         (SecretField("token", "API token (project > Security > API tokens)"),)),
    Kind("convoy", "ConvoyPanel", "VPS panel over Proxmox", "vps",
         (_url("https://panel.example.com"),
          OptionField("proxmox", "Proxmox backend under it", required=False, placeholder="pve")),
         (SecretField("token", "application API token"),)),
    Kind("proxmox", "Proxmox VE", "a Proxmox cluster, by API token", "pve",
         (_url("https://pve-1.example.com:8006"),
          OptionField("token_id", "token id", placeholder="hostdeck@pve!hostdeck"),
          OptionField("fingerprint", "certificate fingerprint", required=False, placeholder="AB:CD:… (a self-signed certificate)")),
         (SecretField("token_secret", "token secret"),)),
    Kind("whmcs", "WHMCS", "billing: clients, products and services", "billing",
         (_url("https://billing.example.com"),),
         (SecretField("identifier", "API identifier"), SecretField("secret", "API secret"))),
    Kind("cloudpanel", "CloudPanel", "sites on one CloudPanel host, over SSH", "web1",
         (OptionField("host", "SSH host", placeholder="web1.example.com"),
          OptionField("user", "SSH user", default="root", implied=True),
          OptionField("port", "SSH port", default="22", implied=True),
          OptionField("key_file", "private key file", required=False, placeholder="~/.ssh/id_ed25519 (or ssh-agent)"),
          OptionField("host_key_fingerprint", "host key fingerprint", required=False,
                      placeholder="SHA256:… (ssh-keyscan HOST | ssh-keygen -lf -)")),
         (SecretField("key_passphrase", "key passphrase", required=False),)),
    Kind("matomo", "Matomo", "web analytics sites", "stats",
         (_url("https://matomo.example.com"),),
         (SecretField("token", "auth token"),)),
    Kind("vpspanel", "VPS panel", "the company's own VPS panel", "panel",
         (_url("https://my.example.com"),),
         (SecretField("api_key", "API key (32+ characters)"),)),
)


def kind_named(kind: str) -> Kind:
    from .errors import ConfigError

    found = next((k for k in KINDS if k.kind == kind), None)
    if found is None:
        raise ConfigError(f"kind {kind!r} is not known.", key="backends.kind",
                          fix=f"use one of: {', '.join(k.kind for k in KINDS)}.")
    return found
