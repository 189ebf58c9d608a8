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


def start_demo(*, servers: int = 300, latency_ms: float = 15.0, seed: int = 7, read_only: bool = False,
               action_seconds: float = 2.0) -> DemoEnvironment:
    from .sim.hetzner import HetznerSim

    hz = HetznerSim(servers=servers, seed=seed, latency_ms=latency_ms, jitter_ms=latency_ms / 3,
                    token=DEMO_HETZNER_TOKEN, action_seconds=action_seconds)
    url = hz.start()
    config = Config(path=None, general=GeneralConfig(read_only=read_only))
    config.backends.append(BackendConfig(name="hz", kind="hetzner", url=url,
                                         options={"default_location": "fsn1", "action_poll_seconds": 0.5}))
    demo_secrets = {("hz", "token"): DEMO_HETZNER_TOKEN}
    return DemoEnvironment(config=config, secrets=Secrets(overlay=demo_secrets), sims=[hz], demo_secrets=demo_secrets)
