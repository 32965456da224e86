"""`verify --report report.pdf`: the complete, unaltered report of the run, with only signatures added."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from closegate.closure.signoffs import SignOff
from closegate.reporting import pdf as pdf_module
from closegate.reporting.approvers import Approver
from closegate.reporting.pdf import render_pdf
from closegate.reporting.pdf_integrity import verify_report_pdf
from tests.reporting import runs, tampering
from tests.reporting.conftest import APPROVERS, SignedReport
from tests.reporting.pki import Pki


def test_the_report_as_written_verifies_byte_for_byte(signed_report: SignedReport) -> None:
    record = signed_report.record
    check = verify_report_pdf(signed_report.written, record, record.run_id)
    assert check.ok and check.byte_exact, check.detail
    assert "byte for byte" in check.detail and "unsigned" in check.detail


def test_the_report_renders_to_the_same_bytes_every_time(signed_report: SignedReport) -> None:
    assert render_pdf(signed_report.record, approvers=APPROVERS) == signed_report.written


def test_signed_by_closegate_and_an_approver_verifies_against_the_anchors(signed_report: SignedReport, pki: Pki) -> None:
    record = signed_report.record
    check = verify_report_pdf(signed_report.approved, record, record.run_id, anchors=(pki.ca,))
    assert check.ok, check.detail
    assert [(s.field, s.revision, s.trusted) for s in check.signatures] == [("closegate", 2, True), ("approver-1", 3, True)]
    assert "2 valid signature(s) chaining to the trust anchors given" in check.detail


# Each of these passed the verification this module replaces (it looked for the run hash on every page,
# the verdict on the first and every check id somewhere). `o` is the same run's report asking another
# person to approve: its sign-off page is what "a page replaced" swaps in.
Tamper = Callable[[SignedReport, bytes], bytes]
TAMPERS: dict[str, tuple[Tamper, str]] = {
    "a page removed": (lambda r, o: tampering.remove_page(r.written, 3), "the PDF has 3 pages, the run's report 4: page 4 of the run's 4 is missing"),
    "a page added": (lambda r, o: tampering.add_page(r.written, 0), "the PDF has 5 pages, the run's report 4: a page appears twice"),
    "pages reordered": (lambda r, o: tampering.swap_pages(r.written, 1, 2), "the pages are out of order: page 2 is the run's page 3"),
    "a page replaced": (lambda r, o: tampering.replace_page(r.written, 3, o), "page 4 differs from the run's report"),
    "the title edited": (lambda r, o: tampering.edit_title(r.written, "Tenant closure readiness: Contoso Ltd (NOT READY)"),
                         "metadata /Title was edited"),
    "a page drawn on": (lambda r, o: tampering.draw_on_page(r.written, 0), "page 1 is drawn differently"),
    "an update after writing": (lambda r, o: tampering.append_update(r.written),
                                "revision 2 of the PDF is not a signature: it was changed after closegate wrote it"),
    "an update after signing": (lambda r, o: tampering.append_update(r.approved),
                                "revision 4 of the PDF is not a signature: it was changed after it was signed"),
    "bytes after the last signature": (lambda r, o: r.approved + b"%%junk\n", "appended to the PDF after the last signature"),
    "a signed byte changed": (lambda r, o: r.certified.replace(b"readiness report of run", b"readiness rEport of run"),
                              "does not verify: the signed bytes were changed"),
}


@pytest.mark.parametrize("tamper", TAMPERS, ids=list(TAMPERS))
def test_every_change_to_the_report_is_refused_with_one_line(signed_report: SignedReport, impostor_pdf: bytes,
                                                             pki: Pki, tamper: str) -> None:
    change, expected = TAMPERS[tamper]
    record = signed_report.record
    check = verify_report_pdf(change(signed_report, impostor_pdf), record, record.run_id, anchors=(pki.ca,))
    assert not check.ok
    assert expected in check.detail and "\n" not in check.detail


@pytest.fixture(scope="module")
def impostor_pdf(signed_report: SignedReport) -> bytes:
    return render_pdf(signed_report.record, approvers=(Approver("Mallory Impostor", "Compliance officer"),) + APPROVERS[1:])


def test_a_signature_in_a_field_the_report_did_not_prepare_is_refused(signed_report: SignedReport, pki: Pki) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_report.certified), strict=False)
    meta = signers.PdfSignatureMetadata(field_name="rogue", subfilter=fields.SigSeedSubFilter.PADES)
    rogue = signers.PdfSigner(meta, signer=pki.carla.identity.signer,
                              new_field_spec=fields.SigFieldSpec("rogue", box=(10, 10, 100, 40))).sign_pdf(writer)
    record = signed_report.record
    check = verify_report_pdf(rogue.getvalue(), record, record.run_id, anchors=(pki.ca,))
    assert not check.ok
    assert "field 'rogue'" in check.detail


def test_a_signer_outside_the_trust_anchors_is_refused(signed_report: SignedReport, pki: Pki) -> None:
    from closegate.reporting.pades import sign_pdf

    outsider = sign_pdf(signed_report.certified, pki.outsider.identity, signing_time=runs.NOW, reason="approve",
                        field="approver-2")
    record = signed_report.record
    check = verify_report_pdf(outsider, record, record.run_id, anchors=(pki.ca,))
    assert not check.ok
    assert "Mallory Outsider" in check.detail and "does not chain to a trust anchor" in check.detail
    assert verify_report_pdf(outsider, record, record.run_id).ok  # without anchors trust is not judged, and it says so


def test_the_signed_report_of_another_run_is_refused(signed_report: SignedReport) -> None:
    other = runs.demo()
    check = verify_report_pdf(signed_report.approved, other, other.run_id)
    assert not check.ok
    assert f"is of run {signed_report.record.run_id}, not of run {other.run_id}" in check.detail


def test_a_report_showing_sign_offs_that_are_not_recorded_is_refused() -> None:
    record = runs.cannot_determine()
    signoff = SignOff(record.run_id, "Dana Compliance", "Compliance officer", "2026-03-01T13:00:00Z")
    shown = render_pdf(record, signoffs=(signoff,))
    assert verify_report_pdf(shown, record, record.run_id, (signoff,)).ok
    check = verify_report_pdf(shown, record, record.run_id, ())
    assert not check.ok and "shows 1 sign-off(s), only 0 are recorded" in check.detail


def test_a_report_rendered_elsewhere_is_compared_by_structure_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    record = runs.cannot_determine()
    with monkeypatch.context() as patch:
        patch.setattr(pdf_module, "renderer", lambda fonts=(): "closegate 0.0.9; WeasyPrint 66.0; fonts DejaVu Sans 2.35")
        elsewhere = render_pdf(record)
    check = verify_report_pdf(elsewhere, record, record.run_id)
    assert check.ok and not check.byte_exact
    assert "rendered by another environment (closegate 0.0.9; WeasyPrint 66.0" in check.detail
    assert "compared by page count, per-page text and metadata, not byte for byte" in check.detail
    strict = verify_report_pdf(elsewhere, record, record.run_id, strict=True)
    assert not strict.ok and "verify it where it was rendered" in strict.detail
    edited = verify_report_pdf(tampering.edit_title(elsewhere, "READY"), record, record.run_id)
    assert not edited.ok and "metadata /Title was edited" in edited.detail


def test_a_damaged_pdf_is_refused(signed_report: SignedReport) -> None:
    record = signed_report.record
    check = verify_report_pdf(signed_report.written[: len(signed_report.written) // 3], record, record.run_id)
    assert not check.ok and "cannot be read" in check.detail
