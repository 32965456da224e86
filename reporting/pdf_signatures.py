"""The revisions a PDF gained after closegate wrote it, each of which must be a valid signature.

A report is written as one revision. After it, the only updates closegate accepts are signatures:
its own PAdES signature (field SIGNATURE_FIELD, directly after the report), then approvers filling
the empty fields the report prepared. Each is validated by pyHanko (integrity, the certificate chain
against the trust anchors given, and its modification analysis of everything appended after it), and
nothing may follow the last one. Anything else is a `problem`: one line saying what was found.

Revocation is not checked: closegate validates offline (no OCSP or CRL fetching), and says so.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from closegate.keys import digest_fingerprint
from closegate.reporting.pades import SIGNATURE_FIELD

__all__ = ["PdfRevisions", "SignatureCheck", "certificate_fingerprint", "certificate_subject", "check_signatures", "read_revisions"]


@dataclass(frozen=True)
class SignatureCheck:
    """One signature revision as validated; `problem` is "" when it is intact and allowed where it is.
    Whether its signer is trusted is `trusted`, judged against the anchors given."""

    field: str
    revision: int  # 1-based, as a person counts: the report itself is revision 1
    signer: str  # the certificate's subject, RFC 4514 ("CN=Carla Díaz,O=Contoso Ltd"): how an allow-list names it
    fingerprint: str  # the signer's certificate (DER) in closegate's one format, SHA256:<base64> (closegate.keys)
    signing_time: datetime | None  # the time the signer claims (/M): no timestamp authority vouches for it
    trusted: bool | None  # the chain reaches a trust anchor; None when no anchors were given
    problem: str

    @property
    def ok(self) -> bool:
        return not self.problem

    def untrusted(self) -> str:
        """The one line saying this signer is not trusted, or "" when it is (or trust was not judged)."""
        if self.trusted is not False:
            return ""
        return (f"the signature in field {self.field!r} by {self.signer} (certificate {self.fingerprint}) "
                f"does not chain to a trust anchor given")


@dataclass(frozen=True)
class PdfRevisions:
    """A PDF's bytes and where each revision ends; `base` is the first revision, the one closegate wrote."""

    data: bytes
    ends: tuple[int, ...]
    reader: PdfFileReader

    @property
    def base(self) -> bytes:
        return self.data[: self.ends[0]]


def read_revisions(data: bytes) -> PdfRevisions:
    """ValueError when the bytes are not a PDF whose revisions can be told apart."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        ends = []
        for revision in range(reader.xrefs.total_revisions):
            info = reader.xrefs.get_xref_container_info(revision)
            eof = data.find(b"%%EOF", info.end_location)
            if eof < 0:
                raise ValueError(f"revision {revision + 1} has no end-of-file marker")
            end = eof + len(b"%%EOF")
            end += 2 if data[end:end + 2] == b"\r\n" else 1 if data[end:end + 1] in (b"\n", b"\r") else 0
            ends.append(end)
    # pyHanko's reader meets a damaged file's xref with whatever its internals raise (an `assert` on the
    # xref stream's /Type, an index out of range, unbounded recursion): each is "not a readable PDF".
    except (PdfError, KeyError, TypeError, AttributeError, AssertionError, IndexError, RecursionError,
            OverflowError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc
    return PdfRevisions(data, tuple(ends), reader)


def certificate_fingerprint(der: bytes) -> str:
    """A certificate named as closegate names every key: SHA256:<base64> of its DER (closegate.keys)."""
    return digest_fingerprint(der)


def certificate_subject(der: bytes) -> str:
    """The certificate's subject as RFC 4514 text, the form `[signoff] allow` compares."""
    return x509.load_der_x509_certificate(der).subject.rfc4514_string()


def _context(anchors: Sequence[x509.Certificate], moment: datetime | None) -> ValidationContext:
    roots = [asn1_x509.Certificate.load(a.public_bytes(serialization.Encoding.DER)) for a in anchors]
    # trust_roots=[] (not None): with no anchors given nothing is trusted, not the system's store.
    return ValidationContext(trust_roots=roots, allow_fetching=False, moment=moment)


def check_signatures(revisions: PdfRevisions, prepared: Mapping[str, str], anchors: Sequence[x509.Certificate] = (),
                     *, moment: datetime | None = None) -> tuple[str, tuple[SignatureCheck, ...]]:
    """(problem, signatures): every revision after the base is a valid signature in closegate's field
    (second revision only) or a prepared one (`prepared`: field name -> who it is for), and nothing
    follows the last. `problem` is "" when all of that holds, else the first thing that does not."""
    reader, data = revisions.reader, revisions.data
    try:
        embedded = {sig.signed_revision: sig for sig in reader.embedded_signatures}
    except (PdfError, ValueError, KeyError) as exc:
        return f"a signature in the PDF cannot be read ({type(exc).__name__})", ()
    # The shape first (which revisions are signatures, in which fields), so the line names the update
    # that is not a signature rather than the earlier signature whose modification analysis it spoils.
    for revision in range(1, len(revisions.ends)):
        sig = embedded.get(revision)
        if sig is None:
            after = "closegate wrote it" if revision == 1 else "it was signed"
            return f"revision {revision + 1} of the PDF is not a signature: it was changed after {after}", ()
        misplaced = _misplaced(sig, revision, prepared)
        if misplaced:
            return misplaced, ()
    if len(data) > revisions.ends[-1]:
        what = "after the last signature" if len(revisions.ends) > 1 else "after the report was written"
        return f"{len(data) - revisions.ends[-1]:,} byte(s) were appended to the PDF {what}", ()
    checks: list[SignatureCheck] = []
    for revision in range(1, len(revisions.ends)):
        check = _check(embedded[revision], revision, anchors, moment)
        checks.append(check)
        if check.problem:
            return check.problem, tuple(checks)
    return "", tuple(checks)


def _where(sig: object, revision: int) -> str:
    subject = sig.signer_cert.subject.human_friendly  # type: ignore[attr-defined]
    return f"revision {revision + 1} (field {getattr(sig, 'field_name', '')!r}, signed by {subject})"


def _misplaced(sig: object, revision: int, prepared: Mapping[str, str]) -> str:
    field = str(getattr(sig, "field_name", ""))
    if sig.sig_object_type != "/Sig":  # type: ignore[attr-defined]
        return f"{_where(sig, revision)} is a document timestamp, not closegate's or an approver's signature"
    if field == SIGNATURE_FIELD and revision != 1:
        return f"{_where(sig, revision)} fills closegate's own field after the report was already signed"
    if field != SIGNATURE_FIELD and field not in prepared:
        return f"{_where(sig, revision)} is in a field the report did not prepare for an approver"
    return ""

def _check(sig: object, revision: int, anchors: Sequence[x509.Certificate], moment: datetime | None) -> SignatureCheck:
    cert = sig.signer_cert  # type: ignore[attr-defined]
    claimed = sig.self_reported_timestamp  # type: ignore[attr-defined]

    def result(problem: str, trusted: bool | None = None) -> SignatureCheck:
        return SignatureCheck(str(getattr(sig, "field_name", "")), revision + 1, certificate_subject(cert.dump()),
                              certificate_fingerprint(cert.dump()), claimed, trusted, problem)

    where = _where(sig, revision)
    try:
        status = validate_pdf_signature(sig, _context(anchors, moment))  # type: ignore[arg-type]
    except (SignatureValidationError, PdfError, ValueError) as exc:
        return result(f"{where} cannot be validated: {exc}")
    if not (status.intact and status.valid):
        return result(f"{where} does not verify: the signed bytes were changed or the signature is forged")
    if status.coverage is None or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return result(f"{where} does not cover its whole revision")
    level = status.modification_level
    if level is None or level > ModificationLevel.FORM_FILLING or status.docmdp_ok is False:
        found = level.name.lower().replace("_", " ") if level is not None else "unknown changes"
        return result(f"after {where}, the PDF was changed beyond filling signature fields ({found})")
    # Trust is judged by the caller: an untrusted approval is still an intact revision of the document.
    return result("", bool(status.trusted) if anchors else None)
