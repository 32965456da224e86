from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from closegate.checks.directory_sync_disabled import directory_sync_disabled
from closegate.errors import PermissionDenied
from closegate.facts import ORGANIZATION
from closegate.models import Status
from tests.fakes import ADMIN, NOW, FakeTenant, run_check, user

READY = FakeTenant.ready()
SYNCED = user("synced@contoso.com", on_premises_sync_enabled=True)


def test_passes_when_sync_is_off_and_nobody_is_synced() -> None:
    assert directory_sync_disabled(READY).status is Status.PASS


def test_fails_while_sync_is_on() -> None:
    tenant = READY.with_(organization=replace(READY.value(ORGANIZATION), on_premises_sync_enabled=True, on_premises_last_sync=NOW),
                     users=(ADMIN, SYNCED))
    outcome = directory_sync_disabled(tenant)
    assert outcome.status is Status.FAIL and outcome.blocked_until is None


def test_fails_with_a_completion_date_while_turn_off_is_in_progress() -> None:
    tenant = READY.with_(organization=replace(READY.value(ORGANIZATION), on_premises_sync_enabled=False), users=(ADMIN, SYNCED))
    outcome = directory_sync_disabled(tenant)
    assert outcome.status is Status.FAIL
    assert outcome.blocked_until == NOW + timedelta(hours=72)
    assert "1 synced users" in outcome.blocked_because


def test_errors_without_organization_access() -> None:
    result = run_check(directory_sync_disabled,
                       READY.with_(failing={"organization": PermissionDenied("403 on /organization")}))
    assert result.status is Status.ERROR
