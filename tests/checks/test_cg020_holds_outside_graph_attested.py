from __future__ import annotations

from datetime import timedelta

from closegate.attestations import Attestation
from closegate.checks.holds_outside_graph_attested import holds_outside_graph_attested
from closegate.models import Status
from tests.fakes import NOW, FakeTenant, run_check


def test_is_attest_with_each_place_graph_cannot_see_and_its_command() -> None:
    outcome = holds_outside_graph_attested(FakeTenant.ready())
    assert outcome.status is Status.ATTEST
    places = {p["what"]: p["where"] for p in outcome.evidence["where_to_look"]}
    assert "Get-Mailbox -InactiveMailboxOnly" in places["Inactive mailboxes"]
    assert "LitigationHoldEnabled" in places["Litigation Hold"]
    assert "RestrictiveRetention" in places["Retention policies with Preservation Lock"]


def test_an_attestation_turns_it_into_pass() -> None:
    signed = Attestation("CG-020", "none found in PowerShell", "Dana", NOW - timedelta(hours=1))
    result = run_check(holds_outside_graph_attested, FakeTenant.ready(), attestations=(signed,))
    assert result.status is Status.PASS and "attested by Dana" in result.message
