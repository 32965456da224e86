"""`closegate verify go-certificate.json` and `closegate verify closure-evidence.json`: the closure's
documents proved from files alone, as `verify` proves a run.

A GO certificate is verified by its own id (SHA-256 of its canonical body) and Ed25519 signature, then
by what it is bound to, each read from the folder it sits in, as `close` wrote them: the run record
(same run id, tenant and verdict), the sign-offs recorded for that run (every approval the
certificate names is one of them, and as many as it says were required), its PDF (a rendering of
this certificate with nothing after it but closegate's valid PAdES signature) and, when present, the
closure evidence. The closure evidence is verified by its own id and by its binding to the
certificate beside it (certificate id, run, tenant, the PDF's SHA-256) and by the answer it records
(AADSTS90002, the only accepted proof that the tenant is gone, closegate.closure.evidence).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography import x509

from closegate.closure.certificate import JSON_FILE, PDF_FILE, GoCertificate, load_certificate
from closegate.closure.evidence import EVIDENCE_FILE, EVIDENCE_FORMAT
from closegate.errors import ClosegateError
from closegate.keys import fingerprint
from closegate.records import RUN_FILE, Proof, read_record

__all__ = ["document_format", "verify_certificate", "verify_evidence"]


def document_format(path: Path) -> str:
    """The `format` a closure document names ("" for a run record or anything else)."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return ""
    return str(data.get("format", "")) if isinstance(data, dict) else ""


def verify_certificate(path: Path, anchors: Sequence[x509.Certificate]) -> list[Proof]:
    try:
        certificate = load_certificate(path)
    except ClosegateError as exc:
        return [Proof(str(path), False, exc.cause)]
    signature = certificate.signature
    how = (f"signed with Ed25519 key {fingerprint(str(signature.get('public_key', '')))}" if signature
           else "not signed (close --sign-key signs it)")
    proofs = [Proof(str(path), True, f"GO certificate {certificate.certificate_id} intact, {how}")]
    folder = path.parent
    proofs.append(_run_binding(folder / RUN_FILE, certificate))
    proofs.append(_signoff_binding(folder, certificate))
    proofs.append(_pdf(folder / PDF_FILE, certificate, anchors))
    if (folder / EVIDENCE_FILE).is_file():
        proofs += verify_evidence(folder / EVIDENCE_FILE, certificate)
    return proofs


def _run_binding(run: Path, certificate: GoCertificate) -> Proof:
    if not run.is_file():
        return Proof(str(run), False, f"the run record the certificate is bound to is not beside it ({RUN_FILE})")
    try:
        record = read_record(run, warn=lambda _why: None)
    except ClosegateError as exc:
        return Proof(str(run), False, exc.cause)
    body = certificate.body
    if record.run_id != certificate.run_id:
        return Proof(str(run), False,
                     f"the certificate is of run {certificate.run_id}, not of this run {record.run_id}")
    if record.tenant.id != certificate.tenant_id or record.verdict.value != body.get("verdict"):
        return Proof(str(run), False, "the certificate names another tenant or verdict than the run record")
    return Proof(str(run), True, f"the certificate is bound to run {record.run_id} of tenant {record.tenant.id}")


def _signoff_binding(folder: Path, certificate: GoCertificate) -> Proof:
    from closegate.closure import signoffs as signoff_file

    subject = str(folder / signoff_file.FILE_NAME)
    try:
        recorded = signoff_file.for_run(signoff_file.load(folder, warn=lambda _why: None), certificate.run_id)
    except ClosegateError as exc:
        return Proof(subject, False, exc.cause)

    def entry(s: signoff_file.SignOff) -> tuple[str, str, str, str]:
        return s.by, s.role, s.when, s.key_fingerprint()

    known = {entry(s) for s in recorded}
    named = [*certificate.body.get("signoffs", []), *certificate.body.get("legal_signoffs", [])]
    missing = [str(s.get("by")) for s in named
               if (s.get("by"), s.get("role"), s.get("when"), s.get("key_fingerprint", "")) not in known]
    if missing:
        return Proof(subject, False, f"the certificate names sign-off(s) not recorded for run "
                                     f"{certificate.run_id[:16]}: {', '.join(missing)}")
    required = int(certificate.body.get("gate", {}).get("signoffs_required", 0))
    counted = len(certificate.body.get("signoffs", []))
    if counted < required:
        return Proof(subject, False, f"the certificate names {counted} sign-off(s), {required} were required")
    return Proof(subject, True, f"each of the certificate's {len(named)} sign-off(s) is recorded for its run")


def _pdf(path: Path, certificate: GoCertificate, anchors: Sequence[x509.Certificate]) -> Proof:
    from closegate.reporting.go_certificate import verify_go_certificate_pdf

    if not path.is_file():
        return Proof(str(path), False, f"the certificate's PDF is not beside it ({PDF_FILE})")
    check = verify_go_certificate_pdf(path.read_bytes(), certificate.to_json(), anchors)
    return Proof(str(path), check.ok, check.detail)


def _evidence_id(data: dict[str, Any]) -> str:
    body = {k: v for k, v in data.items() if k != "evidence_id"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode("utf-8")).hexdigest()


def verify_evidence(path: Path, certificate: GoCertificate | None = None) -> list[Proof]:
    """The evidence intact and bound to the certificate (given, or the go-certificate.json beside it)."""
    subject = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [Proof(subject, False, f"the closure evidence cannot be read ({exc})")]
    if not isinstance(data, dict) or data.get("format") != EVIDENCE_FORMAT:
        return [Proof(subject, False, f"not a {EVIDENCE_FORMAT} file")]
    if data.get("evidence_id") != _evidence_id(data):
        return [Proof(subject, False, "the closure evidence was changed after it was written (its id does not match)")]
    proofs: list[Proof] = []
    if certificate is None:
        beside = path.parent / JSON_FILE
        if not beside.is_file():
            return [Proof(subject, False, f"the GO certificate it is bound to is not beside it ({JSON_FILE})")]
        try:
            certificate = load_certificate(beside)
        except ClosegateError as exc:
            return [Proof(str(beside), False, exc.cause)]
        proofs.append(Proof(str(beside), True, f"GO certificate {certificate.certificate_id} intact"))
    pdf = path.parent / PDF_FILE
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest() if pdf.is_file() else ""
    claimed = str(data.get("go_certificate_id"))[:64]
    checks = (
        (data.get("go_certificate_id") == certificate.certificate_id,
         f"it is bound to GO certificate {claimed}, not to {certificate.certificate_id}"),
        (data.get("run_id") == certificate.run_id and data.get("tenant_id") == certificate.tenant_id,
         "it names another run or tenant than the GO certificate"),
        (data.get("go_certificate_pdf_sha256") == digest,
         f"the GO certificate's PDF beside it is not the one it was bound to ({PDF_FILE})"),
        (bool((data.get("aadsts_answer") or {}).get("gone")) and bool(data.get("first_seen_gone")),
         "it records no AADSTS90002 answer: it does not prove the tenant gone"),
    )
    problem = next((why for ok, why in checks if not ok), "")
    if problem:
        return [*proofs, Proof(subject, False, problem)]
    return [*proofs, Proof(subject, True, f"closure evidence {data['evidence_id']} intact: tenant "
                                          f"{data['tenant_id']} first seen gone {data['first_seen_gone']}, bound to "
                                          f"GO certificate {certificate.certificate_id}")]
