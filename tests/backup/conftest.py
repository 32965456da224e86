"""Fixtures for backup tests: a signed-in Graph client against an emulator, and a backup taken from it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from closegate.auth import MsalTokenProvider
from closegate.config import load_settings
from closegate.emulator import Emulator
from closegate.graph import Clients, connect


def _no_sleep(seconds: float) -> None:
    """Retries in tests wait for nothing: the emulator's clock, not the wall clock, is what matters."""


@pytest.fixture
def clients_for() -> Callable[[Emulator], Clients]:
    def make(emu: Emulator) -> Clients:
        settings = load_settings(emu.config_path)
        return connect(settings, MsalTokenProvider(settings), sleep=_no_sleep)

    return make


@pytest.fixture
def backup_dir(tmp_path: Path) -> Path:
    return tmp_path / "backup"


@pytest.fixture
def tenant(emulator_factory: Callable[..., Emulator]) -> Callable[[str], Emulator]:
    """A fresh emulated tenant. Its 1 request/second conditional-access limit is off: tests inject a
    sleep that does not wait, so back-to-back backups could never wait that limit out."""

    def start(scenario: str = "demo") -> Emulator:
        emu = emulator_factory(scenario=scenario)
        emu.operator.set_limits(ca_requests_per_second=None)
        return emu

    return start
