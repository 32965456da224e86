"""A tenant without P2 or a premium licence cannot serve two backup sources; the backup says why and verifies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from closegate.backup import export_backup
from closegate.backup.summary import read_backup
from closegate.backup.verify import verify_backup
from closegate.emulator import Emulator
from closegate.graph import Clients


def test_small_business_records_what_the_tenant_cannot_serve_as_not_available_and_still_verifies(
        tenant: Callable[[str], Emulator], clients_for: Callable[[Emulator], Clients], backup_dir: Path) -> None:
    emu = tenant("small-business")
    result = export_backup(clients_for(emu).graph, backup_dir)
    eligibilities = result.manifest.entry("role-eligibilities")
    registrations = result.manifest.entry("registration-details")
    assert eligibilities is not None and registrations is not None
    assert eligibilities.unavailable.startswith(
        "not available: no eligible assignments are possible: the tenant has no P2 licence")
    assert "400 AadPremiumLicenseRequired" in eligibilities.unavailable
    assert registrations.unavailable.startswith("not available: Graph does not report registered authentication "
                                                "methods: the tenant has no Microsoft Entra ID P1 or P2 licence")
    assert "403 Authentication_RequestFromNonPremiumTenantOrB2CTenant" in registrations.unavailable
    assert result.manifest.entry("role-assignments").objects > 0  # the active holders are still kept
    check = verify_backup(backup_dir)
    assert check.ok, check.problems
    assert any(n.startswith("role-eligibilities: not in the backup (not available: ") for n in check.notes)
    summary = read_backup(backup_dir, max_age=timedelta(days=7))
    assert summary is not None and summary.verified


def test_the_registration_report_is_read_without_select(tenant: Callable[[str], Emulator],
                                                        clients_for: Callable[[Emulator], Clients],
                                                        backup_dir: Path) -> None:
    emu = tenant("enterprise")
    result = export_backup(clients_for(emu).graph, backup_dir)
    entry = result.manifest.entry("registration-details")
    assert entry is not None and not entry.unavailable and entry.objects > 3000
    sent = [e for e in emu.operator.request_log() if "userRegistrationDetails" in e["path"]]
    assert sent and {e["status"] for e in sent} == {200}  # with $select Graph answers 400 (graph-facts §12.1)
