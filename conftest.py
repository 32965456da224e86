"""Shared pytest fixtures: a running emulated tenant, and a factory for fresh ones.

`emulator` is one "demo" tenant for the whole session: read from it freely, but a test that changes
the tenant, the clock, faults or limits must start its own with `emulator_factory`, which reuses the
session's PKI so each start costs milliseconds, not key generation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from closegate.config import RECORD_KEY_ENV
from closegate.emulator import Emulator
from closegate.emulator.certs import Pki, generate_pki


@pytest.fixture(scope="session", autouse=True)
def record_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test (and every closegate it starts as a subprocess) tags records with a key of its own in
    a temporary folder, never with the real ~/.local/state/closegate/record.key."""
    state = tmp_path_factory.mktemp("closegate-state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(state))
        patch.setenv(RECORD_KEY_ENV, str(state / "closegate" / "record.key"))
        yield state / "closegate" / "record.key"


@pytest.fixture(scope="session")
def emulator_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return generate_pki(tmp_path_factory.mktemp("emulator-pki"))


@pytest.fixture(scope="session")
def emulator(emulator_pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The session's read-mostly "demo" tenant."""
    with Emulator(scenario="demo", state_dir=tmp_path_factory.mktemp("emulator-demo"), pki=emulator_pki) as emu:
        yield emu


@pytest.fixture
def emulator_factory(emulator_pki: Pki, tmp_path: Path) -> Iterator[Callable[..., Emulator]]:
    """`emulator_factory(scenario="ready", faults="429=1", ...)` -> a started Emulator, stopped after the test."""
    started: list[Emulator] = []

    def start(scenario: Any = "demo", **kwargs: Any) -> Emulator:
        kwargs.setdefault("pki", emulator_pki)
        kwargs.setdefault("state_dir", tmp_path / f"emulator-{len(started)}")
        emu = Emulator(scenario=scenario, **kwargs).start()
        started.append(emu)
        return emu

    yield start
    for emu in reversed(started):
        emu.stop()


@pytest.fixture
def trusting_session() -> Iterator[Callable[[Emulator], requests.Session]]:
    """`trusting_session(emu)` -> a requests session that trusts emu's CA whatever the environment
    says (REQUESTS_CA_BUNDLE would otherwise override verify=, local-emulation.md P1)."""
    sessions: list[requests.Session] = []

    def make(emu: Emulator) -> requests.Session:
        session = requests.Session()
        session.verify = str(emu.ca_path)
        session.trust_env = False
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def emulator_http(emulator: Emulator, trusting_session: Callable[[Emulator], requests.Session]) -> requests.Session:
    """A session trusting the session-wide "demo" emulator."""
    return trusting_session(emulator)
