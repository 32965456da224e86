"""Fixtures of the remediation tests: a small emulated tenant, its plan, and a session on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from closegate.emulator import Emulator
from closegate.emulator.builder import ScenarioBuilder
from closegate.registry import catalog
from closegate.remediation.actions import action_catalog
from closegate.remediation.plan import Plan, build_plan, write_plan
from closegate.runner import RunSettings, run
from closegate.session import Session
from tests.remediation.helpers import session_for


def small_tenant(users: int = 12) -> ScenarioBuilder:
    b = (ScenarioBuilder("Tailspin").users(users, guests=2, seed=3)
         .global_admin("eve", via="direct").global_admin("pim", via="eligible")
         .application("Payroll").service_principal("Graph", "00000003-0000-0000-c000-000000000000", first_party=True)
         .ca_policy("MFA for all").security_defaults(True))
    return b


@dataclass
class Planned:
    emu: Emulator
    session: Session
    plan: Plan
    path: Path


@pytest.fixture
def planned(emulator_factory: Callable[..., Emulator], tmp_path: Path) -> Callable[..., Planned]:
    def make(scenario: Any = None, *, name_admin: bool = True, **emulator_kw: Any) -> Planned:
        builder = scenario if scenario is not None else small_tenant()
        emu = emulator_factory(builder, **emulator_kw)
        admin = builder.admin_upn if isinstance(builder, ScenarioBuilder) and name_admin else None
        # The executor takes the closing admin from the configuration, never from the plan: a test that
        # names the admin in the plan keeps the emulator's [tenant] closing_admin (the same account).
        session = session_for(emu.config_path, config_admin=admin is not None)
        reader = session.reader()
        record = run(reader, catalog(), RunSettings(tenant_id=session.settings.tenant_id))
        plan = build_plan(record, reader, action_catalog(), now=datetime.now(timezone.utc), max_age_minutes=15,
                          closing_admin_upn=admin)
        return Planned(emu, session, plan, write_plan(plan, tmp_path / f"out-{emu.tenant_id}"))

    return make
