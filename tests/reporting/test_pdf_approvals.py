"""Approvals read from a report the approvers signed in their own PAdES tool."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closegate.errors import IntegrityError
from closegate.reporting.approvers import Approver
from closegate.reporting.pades import sign_pdf
from closegate.reporting.pdf import render_pdf
from closegate.reporting.pdf_approvals import read_approvals
from tests.reporting import runs, tampering
from tests.reporting.conftest import APPROVERS, SIGNED_AT, SignedReport
from tests.reporting.pki import Pki


def test_each_approver_signature_is_returned_with_its_box_signer_and_time(signed_report: SignedReport, pki: Pki) -> None:
    both = sign_pdf(signed_report.approved, pki.wang.identity, signing_time=SIGNED_AT + timedelta(hours=2),
                    reason="同意", field="approver-2")
    record = signed_report.record
    approvals = read_approvals(both, record, record.run_id, (pki.ca,))
    assert [(a.field, a.approver, a.trusted, a.problem) for a in approvals] == [
        ("approver-1", Approver("Carla Díaz", "Compliance officer"), True, ""),
        ("approver-2", Approver("王小明", "CISO"), True, ""),
    ]
    carla, wang = approvals
    assert "Carla Díaz" in carla.signer and "王小明" in wang.signer
    assert carla.signing_time == SIGNED_AT + timedelta(hours=1) and wang.signing_time == SIGNED_AT + timedelta(hours=2)
    assert carla.fingerprint != wang.fingerprint and carla.fingerprint.startswith("SHA256:")


def test_an_approval_without_closegates_signature_is_read_too(pki: Pki) -> None:
    record = runs.ready()
    signed = sign_pdf(render_pdf(record), pki.carla.identity, signing_time=SIGNED_AT, reason="ok", field="approver-1")
    (approval,) = read_approvals(signed, record, record.run_id, (pki.ca,))
    assert approval.approver == Approver() and approval.revision == 2 and approval.trusted


def test_a_signer_outside_the_trust_anchors_is_returned_untrusted_with_one_line(signed_report: SignedReport,
                                                                                pki: Pki) -> None:
    outsider = sign_pdf(signed_report.certified, pki.outsider.identity, signing_time=SIGNED_AT, reason="ok",
                        field="approver-2")
    record = signed_report.record
    (approval,) = read_approvals(outsider, record, record.run_id, (pki.ca,))
    assert not approval.trusted
    assert "Mallory Outsider" in approval.problem and "does not chain to a trust anchor" in approval.problem
    (unjudged,) = read_approvals(signed_report.approved, record, record.run_id, ())
    assert not unjudged.trusted and "no trust anchors are configured" in unjudged.problem


def test_a_signed_report_of_another_run_is_refused(signed_report: SignedReport, pki: Pki) -> None:
    other = runs.demo()
    with pytest.raises(IntegrityError) as refused:
        read_approvals(signed_report.approved, other, other.run_id, (pki.ca,))
    assert f"is of run {signed_report.record.run_id}, not of run {other.run_id}" in refused.value.cause


def test_a_signed_report_that_was_changed_is_refused(signed_report: SignedReport, pki: Pki) -> None:
    record = signed_report.record
    with pytest.raises(IntegrityError) as refused:
        read_approvals(tampering.append_update(signed_report.approved), record, record.run_id, (pki.ca,))
    assert "revision 4 of the PDF is not a signature" in refused.value.cause


def test_the_approvers_boxes_name_who_signs_where(signed_report: SignedReport) -> None:
    from tests.reporting.test_report_pdf import pages_of

    last = pages_of(signed_report.written)[-1]
    for approver in APPROVERS:
        assert approver.name in last and approver.role in last
    assert "closegate signoff --pdf" in last
