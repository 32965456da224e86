"""The GO certificate: the record that the gate opened for one run of one tenant, and what followed.

It binds the run's hash, the tenant, the sign-offs that counted and the moment the gate opened to the
final step's journal, so an auditor can tell from one document which audited state was approved for
deletion and by whom. Its id is the SHA-256 of its canonical JSON (like a run record); with a key it
also carries an Ed25519 signature over those bytes. The PDF is rendered from the JSON only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate import __version__
from closegate.closure.final_step import FinalStep
from closegate.closure.signoffs import SignOff
from closegate.errors import ConfigError, IntegrityError
from closegate.files import write_atomic
from closegate.keys import public_key_from_text, public_key_text
from closegate.models import RunRecord, iso, parse_time

__all__ = ["CERTIFICATE_FORMAT", "JSON_FILE", "PDF_FILE", "GoCertificate", "issue", "load_certificate",
           "write_certificate"]

CERTIFICATE_FORMAT = "closegate-go-certificate/1"
JSON_FILE = "go-certificate.json"
PDF_FILE = "go-certificate.pdf"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class GoCertificate:
    body: Mapping[str, Any]  # everything the id covers
    signature: Mapping[str, str] | None = None  # {"algorithm", "public_key", "value"} over the canonical body

    @property
    def certificate_id(self) -> str:
        return hashlib.sha256(_canonical(self.body)).hexdigest()

    @property
    def run_id(self) -> str:
        return str(self.body["run_id"])

    @property
    def tenant_id(self) -> str:
        return str(self.body["tenant"]["id"])

    @property
    def issued(self) -> datetime:
        return parse_time(str(self.body["issued"]))

    def to_json(self) -> dict[str, Any]:
        return {**self.body, "certificate_id": self.certificate_id,
                "signature": dict(self.signature) if self.signature else None}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _signoff(s: SignOff) -> dict[str, str]:
    entry = {"by": s.by, "role": s.role, "when": s.when, "verification": s.verification().value,
             "key_fingerprint": s.key_fingerprint()}
    if s.certificate:  # a PDF sign-off: whose certificate signed it (its fingerprint is key_fingerprint)
        entry["certificate"] = s.certificate
    return entry


def issue(record: RunRecord, signoffs: Sequence[SignOff], required: int, final: FinalStep, *, issued: datetime,
          max_age_minutes: int, key: Ed25519PrivateKey | None = None,
          legal: Sequence[SignOff] = (), accepted: Sequence[str] = ()) -> GoCertificate:
    """The certificate for an open gate. `signoffs` are the ones the gate counted for this run; `legal` the
    legal sign-offs bound to it, and `accepted` the checks whose FAIL the gate accepted because of them."""
    tenant = record.tenant
    body = {
        "format": CERTIFICATE_FORMAT,
        "tool_version": __version__,
        "decision": "GO",
        "tenant": {"id": tenant.id, "name": tenant.name, "primary_domain": tenant.primary_domain,
                   "cloud": tenant.cloud},
        "run_id": record.run_id,
        "run_ended": iso(record.ended),
        "verdict": record.verdict.value,
        "issued": iso(issued),
        "gate": {"max_age_minutes": max_age_minutes, "signoffs_required": required,
                 "blocking_checks": sorted(r.check_id for r in record.results if r.blocking)},
        "signoffs": [_signoff(s) for s in signoffs],
        "final_step": final.to_json(),
    }
    if legal:
        # Only written when a legal sign-off exists, so certificates of runs without holds keep their shape.
        body["legal_signoffs"] = [_signoff(s) for s in legal]
        body["accepted_by_legal_signoff"] = sorted(accepted)
    signature = None
    if key is not None:
        signature = {"algorithm": "Ed25519", "public_key": public_key_text(key),
                     "value": base64.b64encode(key.sign(_canonical(body))).decode("ascii")}
    return GoCertificate(body, signature)


def load_certificate(path: Path) -> GoCertificate:
    """Read a certificate back; refuses one whose content or signature no longer matches."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the GO certificate {path} ({exc})", "give the go-certificate.json that "
                          "`closegate close` wrote") from exc
    if not isinstance(data, dict) or data.get("format") != CERTIFICATE_FORMAT:
        raise ConfigError(f"{path} is not a {CERTIFICATE_FORMAT} file", "give the go-certificate.json that "
                          "`closegate close` wrote")
    body = {k: v for k, v in data.items() if k not in ("certificate_id", "signature")}
    certificate = GoCertificate(body, data.get("signature"))
    if certificate.certificate_id != data.get("certificate_id"):
        raise IntegrityError(f"the GO certificate {path} was changed after it was issued (its id does not match)",
                             "use the certificate as `closegate close` wrote it, or close again from a fresh audit")
    if certificate.signature is not None:
        key = public_key_from_text(str(certificate.signature.get("public_key", "")))
        try:
            if key is None:
                raise InvalidSignature
            key.verify(base64.b64decode(str(certificate.signature.get("value", "")), validate=True),
                       _canonical(body))
        except (InvalidSignature, binascii.Error, ValueError) as exc:
            raise IntegrityError(f"the GO certificate {path} carries a signature that does not verify",
                                 "use the certificate as `closegate close` wrote it") from exc
    return certificate


def write_certificate(certificate: GoCertificate, out_dir: Path, pdf: bytes) -> tuple[Path, Path]:
    """DIR/go-certificate.json and DIR/go-certificate.pdf (rendered by closegate.reporting), each atomically."""
    return write_atomic(out_dir / JSON_FILE, certificate.dumps()), write_atomic(out_dir / PDF_FILE, pdf)


