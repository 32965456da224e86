"""A report offers approval only for a run the gate could open: otherwise its sign-off page says plainly that
the run cannot be approved, and neither the page nor the PDF has anything to sign."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader

from closegate.attestations import Attestation
from closegate.errors import ConfigError, PermissionDenied
from closegate.facts import CALLER
from closegate.facts_records import EdiscoveryCase, HoldPolicy, Listing
from closegate.gate import decide
from closegate.models import RunRecord
from closegate.registry import catalog
from closegate.reporting.approval import approval
from closegate.reporting.approvers import Approver
from closegate.reporting.html import render_html
from closegate.reporting.pades import sign_pdf
from closegate.runner import RunSettings, run
from tests.fakes import ADMIN, ATTESTED_READY, NOW, BackedUpTenant, user
from tests.reporting import runs
from tests.reporting.conftest import SIGNED_AT, SignedReport
from tests.reporting.pki import Pki
from tests.reporting.test_report_pdf import pages_of

FULL = catalog(plugins=False)
HELD = Listing((EdiscoveryCase("c1", "Fabrikam v. Contoso", "active", holds=(
    HoldPolicy("h1", "Fabrikam litigation hold", True, "success", ("grace@contoso.com",)),)),))
ATTESTED = tuple(Attestation(i, "checked", "Dana", NOW - timedelta(hours=1)) for i in ATTESTED_READY if i != "CG-019")


class _EveryLegalSignoff:
    """A sign-off requirement met in full, with a legal sign-off: what the gate needs beyond the run itself."""

    def reasons(self, run_id: str, now: datetime) -> tuple[str, ...]:
        return ()

    def legal(self, run_id: str, now: datetime) -> Sequence[object]:
        return (object(),)


def _run(tenant: BackedUpTenant | None = None, **settings: object) -> RunRecord:
    base = tenant or BackedUpTenant()
    base = base.with_(caller=replace(base.value(CALLER), kind="app"))
    return run(base, FULL, replace(RunSettings(clock=lambda: NOW, attestations=ATTESTED), **settings))  # type: ignore[arg-type]


CASES = {
    "ready": lambda: _run(BackedUpTenant().with_(ediscovery_cases=Listing(()))),
    "legal holds only": lambda: _run(BackedUpTenant().with_(ediscovery_cases=HELD)),
    "a user left": lambda: _run(BackedUpTenant().with_(ediscovery_cases=HELD, users=(ADMIN, user("bob@contoso.com")))),
    "undecided": lambda: _run(BackedUpTenant().with_(ediscovery_cases=Listing(()),
                                                     failing={"deleted_users": PermissionDenied("403")})),
    "partial": lambda: _run(BackedUpTenant().with_(ediscovery_cases=Listing(())), skip={"CG-018"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_report_offers_approval_exactly_when_the_gate_could_open_for_the_run(case: str) -> None:
    record = CASES[case]()
    decision = decide(record, FULL, now=NOW + timedelta(minutes=1), max_age=timedelta(minutes=15),
                      attestations=ATTESTED, signoffs=_EveryLegalSignoff())
    assert approval(record).possible is decision.open, decision.reasons
    assert approval(record).possible is (case in ("ready", "legal holds only"))


def test_the_legal_holds_alone_leave_the_run_approvable_with_a_legal_sign_off() -> None:
    record = CASES["legal holds only"]()
    assert record.verdict.value == "NOT_READY" and approval(record).legal_only
    html = render_html(record)
    assert "Approver 1" in html and "only because of active legal holds (CG-019)" in html
    assert "Not for approval" not in html


def test_a_not_ready_sign_off_page_says_it_cannot_be_approved_and_has_no_boxes() -> None:
    html = render_html(runs.demo(), approvers=(Approver("Carla Díaz", "Compliance officer"),))
    signoff = html.split('<section class="signoff')[1]
    assert "Not for approval." in signoff and "This run cannot be approved: its verdict is NOT READY because" in signoff
    assert "CG-004" in signoff and "CG-013" in signoff  # the failures and the missing attestation, by id
    assert "Approver 1" not in signoff and "closegate-field-" not in signoff and "or sign below" not in signoff


def test_a_cannot_determine_run_cannot_be_approved_either() -> None:
    text = approval(runs.cannot_determine()).reason
    assert text.startswith("This run cannot be approved: its verdict is CANNOT DETERMINE because")
    assert "CG-003" in text and "CG-013" in text


def test_the_pdf_of_a_run_that_cannot_be_approved_has_no_signature_field_to_sign(pki: Pki,
                                                                               demo_pdfs: dict[str, bytes]) -> None:
    pdf = demo_pdfs["a4"]
    assert "/AcroForm" not in PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    last = pages_of(pdf)[-1]
    assert "This run cannot be approved" in last and "Approver 1" not in last and "SIGNATURE" not in last
    with pytest.raises(ConfigError, match="approver-1"):
        sign_pdf(pdf, pki.carla.identity, signing_time=SIGNED_AT, reason="I approve", field="approver-1")


def test_the_pdf_of_a_ready_run_keeps_a_box_and_a_field_for_each_approver(signed_report: SignedReport) -> None:
    last = pages_of(signed_report.written)[-1]
    for words in ("Sign-off", "Approver 1", "Approver 2", "SIGNATURE", "DATE", "ROLE", "NAME"):
        assert words in last
    fields = PdfReader(io.BytesIO(signed_report.written)).get_fields() or {}
    assert {"approver-1", "approver-2"} <= set(fields)
