from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from closegate.checks.backup_taken import backup_taken
from closegate.facts import BACKUP
from closegate.models import Status
from tests.fakes import NOW, BackedUpTenant, FakeTenant, run_check


def test_is_error_no_backup_configured_without_a_backup_feature() -> None:
    result = run_check(backup_taken, FakeTenant.ready())
    assert result.status is Status.ERROR
    assert result.error["cause"] == "no backup configured"
    assert result.error["kind"] == "ConfigError"


def test_passes_with_a_recent_verified_backup() -> None:
    assert backup_taken(BackedUpTenant()).status is Status.PASS


def test_fails_when_no_backup_was_taken() -> None:
    assert backup_taken(BackedUpTenant(backup=None)).status is Status.FAIL


def test_fails_when_the_backup_is_too_old() -> None:
    tenant = BackedUpTenant()
    old = replace(tenant.value(BACKUP), taken=NOW - timedelta(days=8))
    outcome = backup_taken(tenant.with_(backup=old))
    assert outcome.status is Status.FAIL
    assert "8 days old" in outcome.message


def test_fails_when_the_backup_did_not_verify() -> None:
    tenant = BackedUpTenant()
    assert backup_taken(tenant.with_(backup=replace(tenant.value(BACKUP), verified=False))).status is Status.FAIL
