"""PAdES signatures on closegate's PDFs, made by pyHanko (no PDF signing is written by hand here).

closegate signs the readiness report and the GO certificate when a signing key and an X.509
certificate are configured: the signature is a PAdES baseline (B-B) signature in an incremental
update, in a field of its own named SIGNATURE_FIELD, certifying the document with DocMDP "fill forms
and sign" (ISO 32000-1 §12.8.2.2), so the approvers can still fill the empty signature fields the
report prepared for them and nothing else may change. The run hash is in the signed content twice:
in the report itself (metadata and every page) and in the signature's /Reason.

    identity = load_identity(key_path, cert_path, passphrase=b"...", chain=(intermediate_pem,))
    signed = sign_pdf(pdf_bytes, identity, reason=report_reason(run_id), signing_time=now)

`sign_pdf(..., field=approver_field(1))` fills a prepared field instead; that is what an approver's
PAdES tool does, and what the tests and the demo use to stand in for Acrobat.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError

from closegate.errors import ConfigError

# pyHanko logs every failure (a path it cannot build, a key it cannot load) with a traceback; closegate
# reports each outcome in one line, so without a handler of the application's own those records go
# nowhere rather than to stderr.
logging.getLogger("pyhanko").addHandler(logging.NullHandler())

__all__ = ["SIGNATURE_FIELD", "SigningIdentity", "certificate_reason", "load_identity", "report_reason", "sign_pdf"]

SIGNATURE_FIELD = "closegate"
_DIGEST = "sha256"


@dataclass(frozen=True)
class SigningIdentity:
    """A private key with its certificate (and the chain up to, not including, the root) to sign with."""

    signer: signers.SimpleSigner
    subject: str  # the certificate's subject, for messages

    def __repr__(self) -> str:  # never show key material, even in a traceback
        return f"SigningIdentity({self.subject!r})"


def load_identity(key_path: Path, cert_path: Path, *, passphrase: bytes | None = None,
                  chain: Sequence[Path] = ()) -> SigningIdentity:
    """Key (PEM or DER, optionally encrypted with `passphrase`) and certificate (PEM or DER) from files;
    `chain` holds intermediate CA certificates embedded so a validator can build the path."""
    for path in (key_path, cert_path, *chain):
        if not Path(path).is_file():
            raise ConfigError(f"the PDF signing file {path} does not exist",
                              "set the path of the signing key, its certificate and chain in closegate.toml")
    signer = signers.SimpleSigner.load(str(key_path), str(cert_path), ca_chain_files=tuple(str(c) for c in chain),
                                       key_passphrase=passphrase)
    if signer is None:
        # pyHanko logs the cause and returns None: a wrong passphrase, or files that are not a key or certificate.
        raise ConfigError(f"cannot load the PDF signing key {key_path} with certificate {cert_path}",
                          "check the passphrase, and that the key is the certificate's (PEM or DER)")
    cert = signer.signing_cert
    if cert is None or cert.public_key.dump() != _public_key_info(signer):
        raise ConfigError(f"the certificate {cert_path} is not the certificate of the key {key_path}",
                          "give the certificate issued for this key")
    return SigningIdentity(signer, cert.subject.human_friendly)


def _public_key_info(signer: signers.SimpleSigner) -> bytes:
    """The DER SubjectPublicKeyInfo of the signer's private key (pyHanko does not check the pair matches)."""
    key = serialization.load_der_private_key(signer.signing_key.dump(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def report_reason(run_id: str) -> str:
    return f"closegate readiness report of run {run_id}"


def certificate_reason(run_id: str, certificate_id: str) -> str:
    return f"closegate GO certificate {certificate_id} of run {run_id}"


class _DatedSigner(signers.PdfSigner):
    """pyHanko's signer with the signing time given instead of read from the clock (tests inject it)."""

    def __init__(self, *args: Any, signing_time: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._signing_time
        return session


def sign_pdf(pdf: bytes, identity: SigningIdentity, *, signing_time: datetime, reason: str,
             field: str = SIGNATURE_FIELD) -> bytes:
    """`pdf` with one PAdES signature appended as an incremental update (the original bytes untouched).

    With the default field, closegate's own certifying signature in a new invisible field; with the
    name of a prepared (empty) field, an approval signature filling it, which must already exist."""
    if signing_time.tzinfo is None:
        raise ValueError("the signing time needs a time zone")
    own = field == SIGNATURE_FIELD
    meta = signers.PdfSignatureMetadata(
        field_name=field, md_algorithm=_DIGEST, subfilter=fields.SigSeedSubFilter.PADES, reason=reason,
        certify=own, docmdp_permissions=fields.MDPPerm.FILL_FORMS,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        pdf_signer = _DatedSigner(meta, signer=identity.signer, signing_time=signing_time,
                                  new_field_spec=fields.SigFieldSpec(field) if own else None)
        return pdf_signer.sign_pdf(writer, existing_fields_only=not own).getvalue()
    except (SigningError, PdfError) as exc:
        raise ConfigError(f"cannot sign the PDF in field {field!r}: {exc}",
                          "sign the PDF closegate wrote, in an empty field it prepared") from exc
