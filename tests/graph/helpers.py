"""Shared builders for client-side tests: settings pointing at a stub, a fake clock, wired clients."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from closegate.config import Settings, load_settings
from closegate.graph import Clients, RetryPolicy, connect
from tests.graph.stub import CLIENT_ID, SECRET, TENANT, StubServer


class FakeClock:
    """Monotonic time that only moves when someone sleeps: tests never wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def write_config(directory: Path, server: StubServer, auth: Mapping[str, Any] | None = None) -> Path:
    lines = [
        "[tenant]", f'id = "{TENANT}"', 'cloud = "custom"', "",
        "[cloud]", f'authority_host = "{server.url}"', f'graph_url = "{server.url}"', f'arm_url = "{server.url}"',
        f'ca_bundle = "{server.ca_path}"', "",
        "[auth]",
    ]
    for key, value in (auth or {"method": "client_secret", "client_id": CLIENT_ID, "client_secret": SECRET}).items():
        lines.append(f"{key} = {repr_toml(value)}")
    path = directory / "closegate.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def repr_toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def settings_for(directory: Path, server: StubServer, auth: Mapping[str, Any] | None = None,
                 **flags: Any) -> Settings:
    env = {"XDG_CACHE_HOME": str(directory / "cache")}
    return load_settings(write_config(directory, server, auth), flags=flags, environ=env)


class StaticTokens:
    """A TokenProvider handing out numbered tokens, counting refreshes."""

    def __init__(self) -> None:
        self.generation = 0
        self.invalidated: list[str] = []

    def token(self, resource: str) -> str:
        return f"token-{self.generation}"

    def invalidate(self, resource: str) -> None:
        self.invalidated.append(resource)
        self.generation += 1


def clients(settings: Settings, tokens: Any, clock: FakeClock, **policy: Any) -> Clients:
    retry = RetryPolicy(jitter=lambda cap: cap, **policy)
    return connect(settings, tokens, policy=retry, clock=clock, sleep=clock.sleep)
