"""The GO certificate as PDF: rendered from the certificate's JSON alone, behind the refusing fetcher.

Like the readiness report, it is closegate's own HTML carrying tenant strings (names, domains), so it
goes through the same autoescaping environment and the same fetcher that refuses every URL, and it
names its run, tenant and certificate id in the PDF metadata for a verifier to read back. It is
reproducible like the report (dated when the gate opened, identified by the certificate id), so
`verify_go_certificate_pdf` compares it byte for byte with a fresh rendering of the JSON; with a
signing identity configured, closegate adds its PAdES signature (reporting.pades).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from hashlib import sha256
from typing import TYPE_CHECKING, Any

from closegate.keys import fingerprint
from closegate.models import parse_time
from closegate.reporting.html import GENERATOR, environment

if TYPE_CHECKING:
    from cryptography import x509

    from closegate.reporting.pades import SigningIdentity
    from closegate.reporting.pdf_integrity import PdfCheck

__all__ = ["render_go_certificate_html", "render_go_certificate_pdf", "sign_go_certificate_pdf",
           "verify_go_certificate_pdf"]


def render_go_certificate_html(certificate: Mapping[str, Any]) -> str:
    """`certificate` is GoCertificate.to_json() (closegate.closure.certificate)."""
    signature = certificate.get("signature") or {}
    # The signing key is shown as every key is shown (closegate.keys), never as its raw base64.
    view = {**certificate, "generator": GENERATOR,
            "signature_fingerprint": fingerprint(str(signature.get("public_key", ""))) if signature else ""}
    return environment().get_template("go_certificate.html.j2").render(c=view)


def render_go_certificate_pdf(certificate: Mapping[str, Any]) -> bytes:
    from closegate.reporting.pdf import PdfStamp, html_to_pdf

    identifier = sha256(f"closegate-go-certificate:{certificate['certificate_id']}".encode("ascii")).hexdigest()[:32]
    stamp = PdfStamp(parse_time(str(certificate["issued"])), identifier)
    return html_to_pdf(render_go_certificate_html(certificate), stamp=stamp)


def sign_go_certificate_pdf(pdf: bytes, certificate: Mapping[str, Any], identity: SigningIdentity, *,
                            signing_time: datetime) -> bytes:
    """The certificate's PDF with closegate's PAdES signature; its /Reason names the run and the certificate."""
    from closegate.reporting.pades import certificate_reason, sign_pdf

    reason = certificate_reason(str(certificate["run_id"]), str(certificate["certificate_id"]))
    return sign_pdf(pdf, identity, signing_time=signing_time, reason=reason)


def verify_go_certificate_pdf(data: bytes, certificate: Mapping[str, Any],
                              anchors: Sequence[x509.Certificate] = ()) -> PdfCheck:
    """The PDF is this certificate's rendering, byte for byte (or, rendered in another environment,
    page for page and key for key), with at most closegate's signature after it."""
    from closegate.reporting.pdf import renderer
    from closegate.reporting.pdf_integrity import PdfCheck, compare_structure, latest_metadata_problem, metadata_of
    from closegate.reporting.pdf_signatures import check_signatures, read_revisions

    try:
        revisions = read_revisions(data)
    except ValueError as exc:
        return PdfCheck(False, f"the PDF cannot be read ({exc}): it was damaged or is not a PDF")
    fresh = render_go_certificate_pdf(certificate)
    exact = revisions.base == fresh
    base = metadata_of(revisions.base)
    if not exact:
        same = base.get("/closegaterenderer") == metadata_of(fresh).get("/closegaterenderer", renderer())
        difference = compare_structure(revisions.base, fresh, same_environment=same)
        if same or difference:
            return PdfCheck(False, f"the PDF is not GO certificate {str(certificate['certificate_id'])[:16]}: {difference}")
    latest = latest_metadata_problem(data, base)
    if latest:
        return PdfCheck(False, latest, exact)
    problem, signatures = check_signatures(revisions, {}, anchors)
    untrusted = next((s.untrusted() for s in signatures if s.untrusted()), "")
    if problem or untrusted:
        return PdfCheck(False, problem or untrusted, exact, signatures)
    how = "byte for byte" if exact else "structurally (rendered in another environment)"
    return PdfCheck(True, f"GO certificate {certificate['certificate_id']} matching its rendering {how}, "
                          f"{len(signatures)} valid signature(s)", exact, signatures)
