"""`--demo` and `hostdeck sim`: start the simulators on loopback and describe a config that points at them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .config import BackendConfig, Config, GeneralConfig
from .secrets import Secrets

DEMO_HETZNER_TOKEN = "demo-hetzner-token"  # a simulator credential, public on purpose


@dataclass
class DemoEnvironment:
    config: Config
    secrets: Secrets
    sims: list[Any] = field(default_factory=list)
    demo_secrets: dict[tuple[str, str], str] = field(default_factory=dict)
    plan: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        from .sim.hetzner import HetznerSim

        p = self.plan
        hz = HetznerSim(servers=p["servers"], seed=p["seed"], latency_ms=p["latency_ms"], jitter_ms=p["latency_ms"] / 3,
                        token=DEMO_HETZNER_TOKEN, action_seconds=p["action_seconds"])
        self.config.backend("hz").url = hz.start()
        self.sims.append(hz)

    def stop(self) -> None:
        for sim in self.sims:
            sim.stop()
        self.sims.clear()

    def config_toml(self) -> str:
        lines = ["# hostdeck config for the simulators started by `hostdeck sim`", "[general]",
                 f"read_only = {str(self.config.general.read_only).lower()}", ""]
        for b in self.config.backends:
            lines += ["[[backends]]", f'name = "{b.name}"', f'kind = "{b.kind}"', f'url = "{b.url}"']
            for key, value in b.options.items():
                lines.append(f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"')
            lines.append("")
        return "\n".join(lines)

    def credential_hints(self) -> list[str]:
        from .secrets import env_name

        return [f"export {env_name(b, f)}={v}" for (b, f), v in self.demo_secrets.items()]


def plan_demo(*, servers: int = 300, latency_ms: float = 15.0, seed: int = 7, read_only: bool = False,
              action_seconds: float = 2.0) -> DemoEnvironment:
    """The demo's config and credentials, without starting anything: `start()` starts the simulators and fills in
    their URLs. The TUI paints first and starts them afterwards, in a thread."""
    config = Config(path=None, general=GeneralConfig(read_only=read_only))
    config.backends.append(BackendConfig(name="hz", kind="hetzner", url=None,
                                         options={"default_location": "fsn1", "action_poll_seconds": 0.5}))
    demo_secrets = {("hz", "token"): DEMO_HETZNER_TOKEN}
    env = DemoEnvironment(config=config, secrets=Secrets(overlay=demo_secrets), demo_secrets=demo_secrets)
    env.plan = {"servers": servers, "latency_ms": latency_ms, "seed": seed, "action_seconds": action_seconds}
    return env


def start_demo(**kwargs) -> DemoEnvironment:
    env = plan_demo(**kwargs)
    env.start()
    return env
