"""Fixtures of the closure tests: an emulated tenant that is READY to close, with a real backup.

The tenant holds the closing Global Administrator, one user who left (soft-deleted after the backup,
so the recycle bin has something to purge) and an enabled Microsoft first-party service principal
(which cannot be deleted and is disabled by the final step). Run records are written by the real
runner, with a clock or a tenant reader changed where a test needs a stale run or an ERROR.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from closegate.attestations import FILE_NAME as ATTESTATIONS_FILE
from closegate.attestations import load as load_attestations
from closegate.cli import main
from closegate.commands.audit import write_run
from closegate.config import local_settings
from closegate.emulator import Emulator
from closegate.emulator.builder import ScenarioBuilder
from closegate.emulator.certs import Pki
from closegate.registry import catalog
from closegate.runner import RunSettings, run
from closegate.session import open_session
from tests.fakes import ATTESTED_CLEAN

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
ATTESTED = ATTESTED_CLEAN  # every attestable item a clean emulated tenant leaves (tests.fakes)


def ready_builder() -> ScenarioBuilder:
    return (ScenarioBuilder("Northwind Closing").user("leaver", displayName="Lee Leaver")
            .service_principal("Microsoft Graph", GRAPH_APP_ID, first_party=True, enabled=True))


def cli(*args: str, input: str | None = None) -> Any:  # noqa: A002 - click's name
    return CliRunner().invoke(main, list(args), input=input)


@dataclass
class ReadyTenant:
    emu: Emulator
    config: Path
    domain: str

    def audit(self, out: Path, *, attest: tuple[str, ...] = ATTESTED, reader: Callable[[Any], Any] = lambda t: t,
              clock: Callable[[], datetime] | None = None, skip: frozenset[str] = frozenset()) -> Path:
        """A run record of the tenant now in OUT/run.json (no reports: they are not under test here)."""
        out.mkdir(parents=True, exist_ok=True)
        # Attestations are kept with the configuration (closegate.attestations): a test sharing the tenant
        # starts from none, so that what it attests is all there is.
        state = local_settings(self.config).state_dir
        (state / ATTESTATIONS_FILE).unlink(missing_ok=True)
        for check_id in attest:
            result = cli("attest", check_id, "--by", "Dana Ops", "--statement", "checked in the portal", "--config",
                         str(self.config))
            assert result.exit_code == 0, result.output
        session = open_session(self.config)
        settings = RunSettings(attestations=load_attestations(state), tenant_id=session.settings.tenant_id,
                               cloud=session.settings.cloud.name, skip=skip,
                               clock=clock or (lambda: datetime.now(timezone.utc)))
        return write_run(run(reader(session.reader()), catalog(), settings), out, reports=False)

    def writes(self) -> list[dict[str, Any]]:
        """Every request since the log was cleared that could change the tenant (sign-in is not one)."""
        return writes(self.emu)


def writes(emu: Emulator) -> list[dict[str, Any]]:
    """Every request since the log was cleared that could change the tenant. Sign-in is not one, nor is a
    $batch envelope: its inner requests are logged one by one, so a batched write is counted by itself."""
    return [e for e in emu.operator.request_log()
            if e["method"] != "GET" and "/oauth2/" not in e["path"] and not e["path"].endswith("/$batch")]


def prepare(emu: Emulator) -> ReadyTenant:
    """Back the tenant up for real, record where its content is, then let the leaver go."""
    config = emu.config_path
    for args in (("backup", "--config", str(config), "--out", str(config.parent / "backup")),
                 ("backup", "attest", "--config", str(config), "--tool", "Microsoft 365 Backup",
                  "--location", "https://backup.example/northwind", "--by", "Dana Ops")):
        result = cli(*args)
        assert result.exit_code == 0, result.output
    leaver = emu.state.find_user(f"leaver@{ready_builder().domain}")
    open_session(config).graph.request("DELETE", f"/v1.0/users/{leaver['id']}")
    return ReadyTenant(emu, config, ready_builder().domain)


@pytest.fixture
def ready_tenant(emulator_factory: Callable[..., Emulator]) -> ReadyTenant:
    """A READY tenant of its own, for a test that closes it."""
    return prepare(emulator_factory(ready_builder()))


@pytest.fixture(scope="module")
def shared_ready_tenant(emulator_pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadyTenant]:
    """One READY tenant for the tests in which the gate stays shut: they must leave it unchanged."""
    with Emulator(scenario=ready_builder(), state_dir=tmp_path_factory.mktemp("ready"), pki=emulator_pki) as emu:
        yield prepare(emu)
