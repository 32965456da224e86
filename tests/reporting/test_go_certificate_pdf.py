"""The GO certificate's PDF: reproducible, PAdES-signed by closegate, and verified against its JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from closegate.closure.certificate import issue
from closegate.closure.final_step import ActionSummary, FinalStep
from closegate.closure.signoffs import make_signoff
from closegate.reporting.go_certificate import (
    render_go_certificate_pdf,
    sign_go_certificate_pdf,
    verify_go_certificate_pdf,
)
from tests.reporting import runs, tampering
from tests.reporting.conftest import SIGNED_AT
from tests.reporting.pki import Pki


@pytest.fixture(scope="module")
def certificate() -> dict[str, Any]:
    record = runs.ready()
    signoff = make_signoff(record, "陳美玲", "法遵長", runs.NOW + timedelta(minutes=5))
    final = FinalStep("portal-handoff", (ActionSummary("purge_recycle_bin", "Purge", 2, 2, 0, 0, 0),),
                      "closure-journal.jsonl", "ab" * 32, ("cd" * 32,), "closegate deleted its own registration", True,
                      ("Sign in", "Delete"))
    return issue(record, (signoff,), 1, final, issued=runs.NOW + timedelta(minutes=10), max_age_minutes=15).to_json()


def test_the_certificate_pdf_is_signed_and_verifies_against_its_json(certificate: dict[str, Any], pki: Pki) -> None:
    pdf = render_go_certificate_pdf(certificate)
    assert render_go_certificate_pdf(certificate) == pdf
    signed = sign_go_certificate_pdf(pdf, certificate, pki.closegate.identity, signing_time=SIGNED_AT)
    check = verify_go_certificate_pdf(signed, certificate, (pki.ca,))
    assert check.ok and check.byte_exact, check.detail
    (signature,) = check.signatures
    assert signature.field == "closegate" and signature.trusted


def test_a_changed_or_foreign_certificate_pdf_is_refused(certificate: dict[str, Any], pki: Pki) -> None:
    pdf = render_go_certificate_pdf(certificate)
    edited = verify_go_certificate_pdf(tampering.edit_title(pdf, "GO certificate: Fabrikam"), certificate)
    assert not edited.ok and "metadata /Title was edited" in edited.detail
    appended = verify_go_certificate_pdf(tampering.append_update(pdf), certificate)
    assert not appended.ok and "revision 2 of the PDF is not a signature" in appended.detail
    other = {**certificate, "certificate_id": "f" * 64}
    assert not verify_go_certificate_pdf(pdf, other).ok
    outsider = sign_go_certificate_pdf(pdf, certificate, pki.outsider.identity, signing_time=SIGNED_AT)
    refused = verify_go_certificate_pdf(outsider, certificate, (pki.ca,))
    assert not refused.ok and "does not chain to a trust anchor" in refused.detail
