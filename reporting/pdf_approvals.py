"""Approvals read from a report the approvers signed in their PDF tool (Acrobat, Reader, any PAdES tool).

The PDF must first be this run's report, complete and unaltered, with nothing added but signatures
(reporting.pdf_integrity); otherwise IntegrityError says why in one line and nothing is read. Then
each signature in a field the report prepared for an approver is returned, validated by pyHanko:
intact, chain checked against the trust anchors given, the signing time the signer claims, and
which box (name and role as printed) it filled. closegate's own signature is not an approval.

    approvals = read_approvals(pdf_bytes, record, run_id, anchors=(ca_cert,), signoffs=recorded)
    for a in approvals:
        a.problem or record_it(a.signer, a.fingerprint, a.signing_time, a.approver)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from closegate.closure.signoffs import SignOff
from closegate.errors import IntegrityError
from closegate.models import RunRecord
from closegate.reporting.approvers import Approver, prepared_fields
from closegate.reporting.pades import SIGNATURE_FIELD
from closegate.reporting.pdf_integrity import verify_report_pdf

__all__ = ["PdfApproval", "read_approvals"]


@dataclass(frozen=True)
class PdfApproval:
    """One approver's signature in the report. `problem` is "" when it may count as an approval."""

    field: str
    approver: Approver  # the box it fills, as printed (blank name and role when none was named)
    signer: str  # the certificate's subject (RFC 4514): who signed, as their certificate says
    fingerprint: str  # the signer's certificate, SHA256:<base64> of its DER (closegate.keys' one format)
    signing_time: datetime | None  # claimed by the signer's tool (/M); no timestamp authority vouches for it
    revision: int
    trusted: bool
    problem: str


def read_approvals(data: bytes, record: RunRecord, run_id: str, anchors: Sequence[x509.Certificate], *,
                   signoffs: Sequence[SignOff] = (), moment: datetime | None = None) -> tuple[PdfApproval, ...]:
    """The approver signatures in `data`, the report of `record` an approver signed, in signing order.

    IntegrityError when `data` is not this run's report as closegate wrote it plus signatures only.
    `anchors` (CA certificates) decide `trusted`; with none, no approval can be trusted."""
    check = verify_report_pdf(data, record, run_id, signoffs, anchors=anchors, require_trust=False, moment=moment)
    if not check.ok:
        raise IntegrityError(f"the signed PDF is not the report of run {run_id[:16]} with approvals only: {check.detail}",
                             "sign the report.pdf closegate wrote for this run, in the approver fields it holds")
    if not check.byte_exact:
        # Approvals bind a person to what they saw: a report rendered elsewhere is compared only by its text.
        raise IntegrityError(f"the signed PDF was rendered in another environment and cannot be compared byte "
                             f"for byte with run {run_id[:16]}: {check.detail}",
                             "import the signatures where the report was rendered, or render and sign it again")
    if check.parameters is None:  # an ok check has read them; fail closed all the same
        raise IntegrityError("the signed PDF's rendering parameters cannot be read", "sign the report closegate wrote")
    fields = prepared_fields(check.parameters.approvers)
    approvals = []
    for sig in check.signatures:
        if sig.field == SIGNATURE_FIELD:
            continue
        trusted = bool(sig.trusted) if anchors else False
        problem = sig.untrusted() if anchors else "no trust anchors are configured, so no signer can be trusted"
        approvals.append(PdfApproval(sig.field, fields[sig.field], sig.signer, sig.fingerprint, sig.signing_time,
                                     sig.revision, trusted, problem))
    return tuple(approvals)

