from __future__ import annotations

from datetime import timedelta

from closegate.attestations import Attestation
from closegate.checks.invoices_paid import invoices_paid
from closegate.errors import TransportError
from closegate.models import Status
from tests.fakes import NOW, FakeTenant, run_check

READY = FakeTenant.ready()
ITEM = "CG-015"


def test_asks_for_an_attestation_and_says_where_to_look() -> None:
    outcome = invoices_paid(READY)
    assert outcome.status is Status.ATTEST
    assert "https://" in outcome.evidence["where_to_look"]


def test_passes_with_a_valid_attestation_as_evidence() -> None:
    signed = Attestation(ITEM, "checked, none left", "Dana", NOW - timedelta(hours=1), "screenshot-1")
    result = run_check(invoices_paid, READY, attestations=(signed,))
    assert result.status is Status.PASS
    assert result.attestation["by"] == "Dana"
    assert result.evidence["attestation"]["evidence"] == "screenshot-1"


def test_stays_attest_when_the_attestation_expired() -> None:
    old = Attestation(ITEM, "ok", "Dana", NOW - timedelta(days=40), expires=NOW - timedelta(days=10))
    assert run_check(invoices_paid, READY, attestations=(old,)).status is Status.ATTEST


def test_stays_attest_when_the_attestation_is_for_another_item() -> None:
    other = Attestation("CG-099", "ok", "Dana", NOW - timedelta(hours=1))
    assert run_check(invoices_paid, READY, attestations=(other,)).status is Status.ATTEST


def test_errors_when_the_caller_cannot_be_identified() -> None:
    result = run_check(invoices_paid, READY.with_(failing={"caller": TransportError("reset")}))
    assert result.status is Status.ERROR
