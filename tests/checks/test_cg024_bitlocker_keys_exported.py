from __future__ import annotations

from dataclasses import replace

from closegate.checks.bitlocker_keys_exported import bitlocker_keys_exported
from closegate.errors import PermissionDenied
from closegate.facts_records import BitLockerKeyInfo
from closegate.models import Status
from tests.fakes import DEFAULT_BACKUP, BackedUpTenant, FakeTenant, run_check

KEYS = (BitLockerKeyInfo("k1", "dev-1"), BitLockerKeyInfo("k2", "dev-1"), BitLockerKeyInfo("k3", "dev-2"))
RECIPIENT = "age1" + "q" * 58


def test_passes_when_entra_holds_no_key() -> None:
    assert bitlocker_keys_exported(FakeTenant.ready()).status is Status.PASS


def test_passes_when_the_backup_holds_every_key_encrypted() -> None:
    backup = replace(DEFAULT_BACKUP, bitlocker_key_ids=frozenset({"k1", "k2", "k3"}), recipient=RECIPIENT)
    outcome = bitlocker_keys_exported(BackedUpTenant(backup, bitlocker_keys=KEYS))
    assert outcome.status is Status.PASS and RECIPIENT in outcome.message


def test_fails_advisory_for_keys_only_entra_holds() -> None:
    backup = replace(DEFAULT_BACKUP, bitlocker_key_ids=frozenset({"k1"}))
    outcome = bitlocker_keys_exported(BackedUpTenant(backup, bitlocker_keys=KEYS))
    assert outcome.status is Status.FAIL and outcome.message.startswith("2 of 3 BitLocker recovery keys (2 devices)")
    assert {k["key_id"] for k in outcome.evidence["not_in_backup"]} == {"k2", "k3"}
    assert "no backup was taken" in bitlocker_keys_exported(BackedUpTenant(None, bitlocker_keys=KEYS)).message


def test_errors_without_key_metadata_access() -> None:
    result = run_check(bitlocker_keys_exported,
                       FakeTenant.ready(failing={"bitlocker_keys": PermissionDenied("403 on recoveryKeys")}))
    assert result.status is Status.ERROR and not result.blocking
