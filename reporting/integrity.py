"""Proof that a run record, its signature and its reports belong together and were not changed.

The run record's identity is the SHA-256 of its canonical JSON (`RunRecord.run_id`); an optional
Ed25519 signature over those same canonical bytes says who vouches for it; every report carries the
hash (HTML: a meta tag and the visible text; PDF: its metadata and the footer of every page). An HTML
report is also re-rendered from the record and compared, so an edited verdict or finding is caught
even when the hash was left alone; a PDF report likewise, byte for byte (reporting.pdf_integrity). Unusable input (a file that is not what it claims to be at all)
raises ConfigError; anything that does not match is a failed `Proof`, never an exception.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from closegate.errors import ConfigError, IntegrityError
from closegate.models import SCHEMA_VERSION, RunRecord
from closegate.reporting import signoffs as signoff_file
from closegate.reporting.approvers import approvers_from_json
from closegate.reporting.signoffs import SignOff, public_key_from_text

__all__ = [
    "Proof",
    "Signature",
    "load_signing_key",
    "read_record",
    "sign",
    "verify_html",
    "verify_pdf",
    "verify_signature",
]

_SIGNATURE_FORMAT = "closegate-signature/1"
_META = re.compile(r'<meta name="closegate-(run-id|page-size|verdict|approvers)" content="([^"]*)">')
_GENERATOR = re.compile(r'<meta name="generator" content="([^"]*)">')


@dataclass(frozen=True)
class Proof:
    """One thing verified: `subject` names the file, `detail` says what was found, in one line."""

    subject: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class Signature:
    """A detached Ed25519 signature over a run record's canonical bytes."""

    run_id: str
    public_key: str  # base64 of the 32 raw bytes
    signature: str  # base64

    def to_json(self) -> dict[str, str]:
        return {"format": _SIGNATURE_FORMAT, "algorithm": "Ed25519", "run_id": self.run_id,
                "public_key": self.public_key, "signature": self.signature}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"


def load_signing_key(pem: bytes, password: bytes | None = None) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM; ConfigError says why when the file is not one."""
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except TypeError as exc:
        raise ConfigError("the signing key is encrypted and no password was given",
                          "enter its password when asked, or use an unencrypted PEM key") from exc
    except ValueError as exc:
        raise ConfigError(f"the signing key cannot be read ({exc})",
                          "give an Ed25519 private key in PEM, e.g. from `openssl genpkey -algorithm ed25519`") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"the signing key is a {type(key).__name__.lstrip('_')}, not an Ed25519 key",
                          "give an Ed25519 private key in PEM, e.g. from `openssl genpkey -algorithm ed25519`")
    return key


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign(canonical: bytes, run_id: str, key: Ed25519PrivateKey) -> Signature:
    return Signature(run_id, base64.b64encode(_raw(key.public_key())).decode("ascii"),
                     base64.b64encode(key.sign(canonical)).decode("ascii"))


def read_record(path: Path) -> RunRecord:
    """The run record at `path`. IntegrityError if it was edited; ConfigError if it is not a run record."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path} cannot be read as JSON ({exc})", "give the run.json an audit wrote") from exc
    if not isinstance(data, dict) or "run_id" not in data:
        raise ConfigError(f"{path} is not a closegate run record", "give the run.json an audit wrote")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError(f"{path} has run record schema version {data.get('schema_version')!r}, "
                          f"this closegate reads {SCHEMA_VERSION}", "verify it with the closegate that wrote it")
    try:
        return RunRecord.from_json(data)
    except IntegrityError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{path} is not a complete closegate run record ({exc!r})",
                          "give the run.json an audit wrote") from exc


def verify_signature(canonical: bytes, run_id: str, path: Path, trusted_key: str | None = None) -> Proof:
    """The signature file at `path` signs exactly this record, with `trusted_key` when one is given."""
    subject = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != _SIGNATURE_FORMAT:
            raise ValueError(f"not a {_SIGNATURE_FORMAT} file")
        signature = base64.b64decode(str(data["signature"]), validate=True)
        claimed = str(data["run_id"])
        embedded = public_key_from_text(str(data["public_key"]))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, binascii.Error) as exc:
        raise ConfigError(f"{path} is not a closegate signature ({exc})",
                          "give the .sig file written by `closegate report --sign-key`") from exc
    if claimed != run_id:
        return Proof(subject, False, f"the signature is for run {claimed[:64]}, not for run {run_id}")
    key = embedded
    if trusted_key is not None:
        key = public_key_from_text(trusted_key)
        if key is None:
            raise ConfigError("the public key given cannot be read", "give an Ed25519 public key in PEM")
    if key is None:
        return Proof(subject, False, "the signature file carries no usable Ed25519 public key")
    try:
        key.verify(signature, canonical)
    except InvalidSignature:
        whose = "the key given" if trusted_key is not None else "the key it names"
        return Proof(subject, False, f"the signature does not verify with {whose}: the record or the signature was changed")
    fingerprint = base64.b64encode(_raw(key)).decode("ascii")
    trust = "the trusted key given" if trusted_key is not None else "the key embedded in it (compare it with the signer's)"
    return Proof(subject, True, f"valid Ed25519 signature of run {run_id} by {trust}: {fingerprint}")


def _html_markers(text: str) -> dict[str, str]:
    return {m.group(1): html.unescape(m.group(2)) for m in _META.finditer(text)}


def verify_html(path: Path, record: RunRecord, run_id: str, signoffs: Sequence[SignOff]) -> Proof:
    """The HTML carries this run's hash and is, byte for byte, its rendering (with some prefix of its
    sign-offs, since sign-offs are appended after a report is written)."""
    from closegate.reporting.html import GENERATOR, SIGNOFFS_BEGIN, render_html

    subject = str(path)
    text = Path(path).read_bytes().decode("utf-8", errors="replace")
    markers = _html_markers(text)
    claimed = markers.get("run-id")
    if not claimed:
        return Proof(subject, False, "the HTML carries no closegate run hash: it is not a closegate report")
    if claimed != run_id:
        return Proof(subject, False, f"the HTML report is of run {claimed[:64]}, not of run {run_id}")
    generator = _GENERATOR.search(text)
    if generator is None or generator.group(1) != GENERATOR:
        rendered_by = generator.group(1) if generator else "an unknown version"
        return Proof(subject, True, f"carries run hash {run_id}; content not compared: rendered by {rendered_by[:60]}, "
                                    f"this is {GENERATOR}")
    page_size = markers.get("page-size", "a4")
    mine = signoff_file.for_run(signoffs, run_id)
    if page_size not in ("a4", "letter"):
        return Proof(subject, False, f"the HTML report names an unknown page size {page_size[:20]!r}")
    try:
        approvers = approvers_from_json(markers.get("approvers", "[]"))
    except ValueError:
        return Proof(subject, False, "the HTML report's list of approvers cannot be read: it was edited")
    fresh = render_html(record, run_id=run_id, page_size=page_size, approvers=approvers)
    if fresh.split(SIGNOFFS_BEGIN)[0] != text.split(SIGNOFFS_BEGIN)[0]:
        return Proof(subject, False, f"the HTML report was edited: its content differs from run {run_id}")
    for shown in range(len(mine) + 1):
        if render_html(record, run_id=run_id, page_size=page_size, signoffs=mine[:shown], approvers=approvers) == text:
            return Proof(subject, True, f"carries run hash {run_id} and matches the run record "
                                        f"({shown} sign-off(s) shown)")
    return Proof(subject, False, "the HTML report's sign-off section does not match the sign-offs recorded for this run")


def verify_pdf(path: Path, record: RunRecord, run_id: str, signoffs: Sequence[SignOff] = (), *,
               anchors: Sequence[Any] = (), strict: bool = False) -> Proof:
    """The PDF is the complete, unaltered report of this run (reporting.pdf_integrity), with nothing added
    after it but valid signatures. `signoffs` are those recorded beside the run; `anchors` the CA
    certificates (cryptography x509) signatures must chain to."""
    from closegate.reporting.pdf_integrity import verify_report_pdf

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return Proof(str(path), False, f"the PDF cannot be read ({exc.strerror})")
    check = verify_report_pdf(data, record, run_id, signoffs, anchors=anchors, strict=strict)
    return Proof(str(path), check.ok, check.detail)
