"""`--demo` and `hostdeck sim`: start the simulators on loopback and describe a config that points at them."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

from .config import BackendConfig
from .config import Config
from .config import GeneralConfig
from .secrets import Secrets

DEMO_HETZNER_TOKEN = "demo-hetzner-token"  # simulator credentials, public on purpose
DEMO_CONVOY_TOKEN = "1|demo-convoy-token-0123456789abcdefghijkl"
DEMO_MATOMO_TOKEN = "demo-matomo-token-0123456789abcdef"
DEMO_WHMCS_IDENTIFIER = "demo-whmcs-identifier"
DEMO_WHMCS_SECRET = "demo-whmcs-secret"
DEMO_PROXMOX_TOKEN_ID = "hostdeck@pve!hostdeck"
DEMO_PROXMOX_SECRET = "demo-proxmox-secret-uuid"
DEMO_VPSPANEL_KEY = "demo-vpspanel-key-0123456789abcdefghijklmnop"  # the VPS panel simulator's default key (44 chars)
DEMO_PANEL_USERS = 8   # WHMCS clients with servers who also have a panel user (matched by email)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


@dataclass
class DemoEnvironment:
    config: Config
    secrets: Secrets
    sims: list[Any] = field(default_factory=list)
    demo_secrets: dict[tuple[str, str], str] = field(default_factory=dict)
    plan: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        from .sim.cluster import Cluster
        from .sim.convoy import ConvoySim
        from .sim.hetzner import HetznerSim
        from .sim.proxmox import ProxmoxSim

        p = self.plan
        latency: dict[str, Any] = dict(latency_ms=p["latency_ms"], jitter_ms=p["latency_ms"] / 3)
        hz = HetznerSim(servers=p["servers"], seed=p["seed"], token=DEMO_HETZNER_TOKEN, action_seconds=p["action_seconds"],
                        **latency)
        self.config.backend("hz").url = hz.start()
        self.sims.append(hz)
        cluster = Cluster()  # Convoy's servers are VMs on the simulated Proxmox nodes
        convoy = ConvoySim(servers=max(10, p["servers"] // 5), users=max(10, p["servers"] // 8), seed=p["seed"],
                           token=DEMO_CONVOY_TOKEN, cluster=cluster, install_seconds=p["action_seconds"] * 2, **latency)
        self.config.backend("vps").url = convoy.start()
        self.sims.append(convoy)
        pve = ProxmoxSim(cluster=cluster, seed=p["seed"], token_id=DEMO_PROXMOX_TOKEN_ID, token_secret=DEMO_PROXMOX_SECRET,
                         task_seconds=p["action_seconds"] / 2, **latency)
        self.config.backend("pve").url = pve.start()
        self.sims.append(pve)
        from .sim.whmcs import WhmcsSim

        # Billing for the servers that exist: services point at the simulated Hetzner and Convoy servers.
        whmcs = WhmcsSim(clients=p["clients"], seed=p["seed"], identifier=DEMO_WHMCS_IDENTIFIER, secret=DEMO_WHMCS_SECRET,
                         servers=server_descriptors(hz, convoy), **latency)
        self.config.backend("billing").url = whmcs.start()
        self.sims.append(whmcs)
        from .sim.cloudpanel import CloudPanelSim
        from .sim.matomo import MatomoSim

        panel = CloudPanelSim(seed=p["seed"], cert_seconds=min(1.0, p["action_seconds"]))
        host, port = panel.start()
        # The demo pins the simulator's host key: nothing is written to this machine's known_hosts.
        self.config.backend("web1").options.update(host=host, port=port, user="root", key_file=str(panel.client_key_file),
                                                   host_key_fingerprint=panel.fingerprint)
        self.sims.append(panel)
        matomo = MatomoSim(sites=8, seed=p["seed"], token=DEMO_MATOMO_TOKEN, **latency)
        self.config.backend("stats").url = matomo.start()
        self.sims.append(matomo)
        wire_module_actions(whmcs, hz, convoy)
        self._start_panel(whmcs, latency)

    def _start_panel(self, whmcs: Any, latency: dict[str, Any]) -> None:
        """The company's VPS panel: its users are some of the WHMCS clients who pay for servers (same emails), and the
        panel backend's `users` option names them (the API key cannot list them)."""
        from .sim.vpspanel import VpsPanelSim

        clients: list[int] = []
        for service_id in sorted(whmcs.service_servers):
            cid = int(whmcs.services[service_id]["clientid"])
            if cid not in clients:
                clients.append(cid)
        users = [{"id": 41 + n, "email": whmcs.clients[cid]["email"],
                  "name": f"{whmcs.clients[cid]['firstname']} {whmcs.clients[cid]['lastname']}"}
                 for n, cid in enumerate(clients[:DEMO_PANEL_USERS])]
        panel = VpsPanelSim(seed=self.plan["seed"], api_key=DEMO_VPSPANEL_KEY, users=users, vps=0, **latency)
        backend = self.config.backend("panel")
        backend.url = panel.start()
        backend.options["users"] = {str(u["id"]): u["email"] for u in users}
        self.sims.append(panel)

    def stop(self) -> None:
        for sim in self.sims:
            sim.stop()
        self.sims.clear()

    def config_toml(self) -> str:
        lines = ["# hostdeck config for the simulators started by `hostdeck sim`", "[general]",
                 f"read_only = {str(self.config.general.read_only).lower()}", "", "[sync]",
                 f"billing = {toml_value(self.config.sync.billing)}", f"panel = {toml_value(self.config.sync.panel)}",
                 f"vpspanel = {toml_value(self.config.sync.vpspanel)}", ""]
        for b in self.config.backends:
            lines += ["[[backends]]", f'name = "{b.name}"', f'kind = "{b.kind}"'] + ([f'url = "{b.url}"'] if b.url else [])
            lines += [f"{key} = {toml_value(value)}" for key, value in b.options.items()]
            lines.append("")
        lines.append("# end of config")
        return "\n".join(lines)

    def credential_hints(self) -> list[str]:
        """Shell lines (POSIX quoting): `export` lines that work pasted or under `eval`, then commented examples."""
        import shlex

        from .secrets import env_name

        hints = [f"export {env_name(b, f)}={shlex.quote(v)}" for (b, f), v in self.demo_secrets.items()]
        for sim in self.sims:  # the VPS panel's customers list their own VPS with a bearer token
            if hasattr(sim, "sample_tokens"):
                hints += [f"# panel user {uid}: curl -H {shlex.quote('Authorization: Bearer ' + token)} "
                          f"{shlex.quote(sim.base_url + '/api/vps')}" for uid, token in sim.sample_tokens().items()]
        return hints


def server_descriptors(hz: Any, convoy: Any) -> list[dict[str, Any]]:
    """What the WHMCS simulator needs to bill the other simulators' servers."""
    out = []
    for sid, s in hz.servers.items():
        ipv4 = ((s.get("public_net") or {}).get("ipv4") or {}).get("ip")
        out.append({"backend": "hz", "kind": "hetzner", "id": str(sid), "name": s["name"], "ipv4": ipv4,
                    "plan": (s.get("server_type") or {}).get("name")})
    for sid in convoy.servers:
        s = convoy.server_json(sid)
        v4 = ((s.get("limits") or {}).get("addresses") or {}).get("ipv4") or []
        limits = s.get("limits") or {}
        plan = f"{limits.get('cpu')} vCPU/{(limits.get('memory') or 0) >> 30} GB/{(limits.get('disk') or 0) >> 30} GB"
        out.append({"backend": "vps", "kind": "convoy", "id": sid, "name": s.get("hostname") or s["name"],
                    "ipv4": v4[0]["address"] if v4 else None, "plan": plan})
    return out


def wire_module_actions(whmcs: Any, hz: Any, convoy: Any) -> None:
    """Make the WHMCS simulator's module actions act on the simulated servers, as the real server modules would:
    suspend powers a Hetzner server off / suspends a Convoy server, unsuspend undoes it, terminate deletes the server,
    a password change succeeds without touching anything. The server is the one the service's `server_id` custom field
    names. The hook runs under the WHMCS simulator's lock and changes the other simulators' state directly, under their
    own locks (never over HTTP). ModuleCreate succeeds without making a server (the demo does not provision)."""

    def on_module_action(action: str, service: dict[str, Any]) -> str | None:
        fields = (service.get("customfields") or {}).get("customfield") or []
        server_id = next((str(f.get("value") or "") for f in fields if f.get("name") == "server_id"), "").strip()
        if not server_id:   # a seeded service billing a simulated server names it here too
            server_id = str((whmcs.service_servers.get(int(service["id"])) or {}).get("id") or "")
        if action in ("ModuleCreate", "ModuleChangePw"):
            return None
        if not server_id:
            return "No server is recorded for this service (the server_id custom field is empty)."
        with hz._lock:
            server = hz.servers.get(int(server_id)) if server_id.isdigit() else None
            if server is not None:
                if action == "ModuleSuspend":
                    hz._set_status(server, "off")
                elif action == "ModuleUnsuspend":
                    hz._set_status(server, "running")
                elif action == "ModuleTerminate":
                    hz._remove_server(server)
                return None
        with convoy._lock:
            record = convoy.servers.get(server_id)
            if record is not None:
                vm = convoy._vm(record)
                if action == "ModuleTerminate":
                    convoy._remove_server(record, keep_vm=False)
                    return None
                suspend = action == "ModuleSuspend"
                if vm is not None:
                    with convoy.cluster.lock:
                        vm.status = "stopped" if suspend else "running"
                        vm.started_at = None if suspend else convoy.clock()
                record["status"] = "suspended" if suspend else None
                convoy._touch()
                return None
        if action == "ModuleTerminate":
            return None                     # already gone: nothing left to terminate
        return f"Server {server_id} was not found."

    whmcs.on_module_action = on_module_action


def plan_demo(*, servers: int = 300, latency_ms: float = 15.0, seed: int = 7, read_only: bool = False,
              action_seconds: float = 2.0, clients: int = 120) -> DemoEnvironment:
    """The demo's config and credentials, without starting anything: `start()` starts the simulators and fills in
    their URLs. The TUI paints first and starts them afterwards, in a thread."""
    config = Config(path=None, general=GeneralConfig(read_only=read_only))
    config.backends.append(BackendConfig(name="hz", kind="hetzner", url=None,
                                         options={"default_location": "fsn1", "action_poll_seconds": 0.5}))
    config.backends.append(BackendConfig(name="vps", kind="convoy", url=None,
                                         options={"proxmox": "pve", "poll_seconds": 0.5}))
    config.backends.append(BackendConfig(name="pve", kind="proxmox", url=None,
                                         options={"token_id": DEMO_PROXMOX_TOKEN_ID, "task_poll_seconds": 0.25}))
    config.backends.append(BackendConfig(name="billing", kind="whmcs", url=None))
    config.backends.append(BackendConfig(name="web1", kind="cloudpanel", url=None, options={"host": "127.0.0.1"}))
    config.backends.append(BackendConfig(name="stats", kind="matomo", url=None))
    config.backends.append(BackendConfig(name="panel", kind="vpspanel", url=None))
    config.sync.billing, config.sync.panel = "billing", "vps"
    config.sync.vpspanel = "panel"
    demo_secrets = {("hz", "token"): DEMO_HETZNER_TOKEN, ("vps", "token"): DEMO_CONVOY_TOKEN,
                    ("pve", "token_secret"): DEMO_PROXMOX_SECRET, ("billing", "identifier"): DEMO_WHMCS_IDENTIFIER,
                    ("billing", "secret"): DEMO_WHMCS_SECRET, ("billing", "accesskey"): "",
                    ("web1", "key_passphrase"): "", ("stats", "token"): DEMO_MATOMO_TOKEN,
                    ("panel", "api_key"): DEMO_VPSPANEL_KEY}
    # isolated: a HOSTDECK_SECRET_* variable or a keyring entry never replaces the demo's own credentials
    env = DemoEnvironment(config=config, secrets=Secrets(overlay=demo_secrets, isolated=True), demo_secrets=demo_secrets)
    env.plan = {"servers": servers, "latency_ms": latency_ms, "seed": seed, "action_seconds": action_seconds,
                "clients": clients}
    return env


def start_demo(**kwargs: Any) -> DemoEnvironment:
    env = plan_demo(**kwargs)
    env.start()
    return env
