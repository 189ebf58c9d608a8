"""The Proxmox part of the config: token id, nodes (name, url, TLS). Errors name the key and the fix.

    [[backends]]
    name = "pve"
    kind = "proxmox"
    url = "https://pve1.example.com:8006"        # any cluster member; default for nodes without their own url
    token_id = "hostdeck@pve!hostdeck"           # the secret: `hostdeck secret set pve token_secret`
    fingerprint = "AB:CD:…"                      # or ca_bundle = "/path/pve-root-ca.pem", or insecure_tls = true
    node = "pve1"                                # one node; or several:

    [[backends.nodes]]
    name = "pve2"
    url = "https://pve2.example.com:8006"        # optional
    ca_bundle = "/etc/hostdeck/pve2-ca.pem"      # optional: a node's own TLS keys replace the backend's

Without `node`/`nodes`, every node of the cluster is listed (GET /nodes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..config import BackendConfig
from ..errors import ConfigError
from .tls import TlsSettings
from .tls import normalise_fingerprint

TOKEN_ID = re.compile(r"^[^\s@!=:]+@[^\s@!=:]+![A-Za-z][A-Za-z0-9._-]*$")
NODE_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$")
TLS_KEYS = ("ca_bundle", "fingerprint", "insecure_tls")
NODE_KEYS = ("name", "url", *TLS_KEYS)
API_PATH = "/api2/json"


@dataclass(frozen=True, slots=True)
class ProxmoxNode:
    name: str
    url: str            # ends in /api2/json
    tls: TlsSettings

    @property
    def insecure(self) -> bool:
        return self.tls.insecure


@dataclass(frozen=True, slots=True)
class NodeSetup:
    token_id: str
    nodes: tuple[ProxmoxNode, ...]      # listed by list_servers; empty: discover with GET /nodes
    default_url: str | None
    default_tls: TlsSettings

    def node(self, name: str) -> ProxmoxNode | None:
        """A configured node, or any other node of the cluster reached through the backend's url."""
        for n in self.nodes:
            if n.name == name:
                return n
        if self.default_url is None:
            return None
        return ProxmoxNode(name, self.default_url, self.default_tls)

    @property
    def insecure(self) -> bool:
        return self.default_tls.insecure or any(n.insecure for n in self.nodes)


def api_url(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith(API_PATH) else url + API_PATH


def _tls(table: dict[str, Any], where: str) -> TlsSettings | None:
    present = [k for k in TLS_KEYS if table.get(k) not in (None, False)]
    if not present:
        return TlsSettings() if "insecure_tls" in table else None
    if len(present) > 1:
        raise ConfigError(f"sets {' and '.join(present)}; use one of them.", key=where,
                          fix="keep ca_bundle (a CA file) or fingerprint (a pin) and remove the other; never combine "
                              "them with insecure_tls.")
    key = present[0]
    value = table[key]
    if key == "insecure_tls":
        if value is not True:
            raise ConfigError(f"insecure_tls must be true or false, got {value!r}.", key=f"{where}.insecure_tls",
                              fix="write insecure_tls = true only if you accept that anyone on the path can read the token.")
        return TlsSettings(insecure=True)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key} must be a string.", key=f"{where}.{key}",
                          fix='write a path for ca_bundle, or "AB:CD:…" for fingerprint.')
    if key == "fingerprint":
        return TlsSettings(fingerprint=normalise_fingerprint(value, key=f"{where}.fingerprint"))
    return TlsSettings(ca_bundle=value.strip())


def _url(value: Any, key: str) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"url {value!r} is not an http(s) URL.", key=key,
                          fix='write the node\'s API address, e.g. "https://pve1.example.com:8006".')
    return api_url(value)


def _name(value: Any, key: str) -> str:
    if not isinstance(value, str) or not NODE_NAME.match(value):
        raise ConfigError(f"node name {value!r} is not valid.", key=key,
                          fix="use the Proxmox node name (as shown under Datacenter in the web UI, Convoy's `cluster`), "
                              "not its FQDN.")
    return value


def parse_setup(config: BackendConfig) -> NodeSetup:
    where = f"backends.{config.name}"
    options = config.options
    if "token_secret" in options:
        raise ConfigError("holds the token secret; secrets never go in the config file.", key=f"{where}.token_secret",
                          fix=f"remove it and run `hostdeck secret set {config.name} token_secret`.")
    token_id = options.get("token_id")
    if not isinstance(token_id, str) or not TOKEN_ID.match(token_id):
        raise ConfigError(f"token_id {token_id!r} is not a Proxmox API token id." if token_id else "has no token_id.",
                          key=f"{where}.token_id",
                          fix='write token_id = "user@realm!tokenid", e.g. "hostdeck@pve!hostdeck" (Datacenter > '
                              "Permissions > API Tokens).")
    default_url = _url(config.url, f"{where}.url") if config.url else None
    default_tls = _tls(options, where) or TlsSettings()
    single, many = options.get("node"), options.get("nodes")
    if single is not None and many is not None:
        raise ConfigError("sets both node and nodes.", key=f"{where}.nodes",
                          fix="use node = \"name\" for one node, or [[backends.nodes]] tables for several.")
    nodes: list[ProxmoxNode] = []
    if single is not None:
        if default_url is None:
            raise ConfigError("has node but no url.", key=f"{where}.url", fix='add url = "https://<node>:8006".')
        nodes.append(ProxmoxNode(_name(single, f"{where}.node"), default_url, default_tls))
    if many is not None:
        if not isinstance(many, list) or not many:
            raise ConfigError("nodes must be a list of tables.", key=f"{where}.nodes",
                              fix="write each node as a [[backends.nodes]] table with name (and optionally url, TLS keys).")
        for i, table in enumerate(many):
            key = f"{where}.nodes[{i}]"
            if not isinstance(table, dict):
                raise ConfigError("is not a table.", key=key, fix="write it as [[backends.nodes]] with name = \"…\".")
            unknown = sorted(set(table) - set(NODE_KEYS))
            if unknown:
                raise ConfigError(f"unknown key(s) {unknown}.", key=key, fix=f"known keys: {', '.join(NODE_KEYS)}.")
            name = _name(table.get("name"), f"{key}.name")
            if any(n.name == name for n in nodes):
                raise ConfigError(f"node {name!r} is listed twice.", key=f"{key}.name", fix="list each node once.")
            url = _url(table["url"], f"{key}.url") if table.get("url") is not None else default_url
            if url is None:
                raise ConfigError(f"node {name!r} has no url and the backend has none either.", key=f"{key}.url",
                                  fix='add url = "https://<node>:8006" to the node or to the backend.')
            nodes.append(ProxmoxNode(name, url, _tls(table, key) or default_tls))
    if not nodes and default_url is None:
        raise ConfigError("has no url.", key=f"{where}.url", fix='add url = "https://<any cluster node>:8006".')
    return NodeSetup(token_id, tuple(nodes), default_url, default_tls)
