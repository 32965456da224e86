"""The read side of sign-offs: approvals recorded for a run, bound to its hash, shown in its reports.

`closegate signoff` (issue 7) appends to `signoffs.json` beside run.json: a JSON list of
{"run_id", "by", "role", "when", "signature", "public_key"}. `signature` (optional) is a base64
Ed25519 signature over the ASCII run id; `public_key` (optional) is the signer's Ed25519 public key,
base64 of its 32 raw bytes or PEM. Only sign-offs whose run_id equals the run's hash belong to it, so
an approval of one run can never be shown on the report of another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from closegate.errors import ConfigError

__all__ = ["FILE_NAME", "SignOff", "Verification", "for_run", "load", "public_key_from_text"]

FILE_NAME = "signoffs.json"


class Verification(Enum):
    """What a sign-off's signature proves, as a report states it."""

    VERIFIED = "signature verified"
    INVALID = "signature does NOT verify"
    UNSIGNED = "not cryptographically signed"


@dataclass(frozen=True)
class SignOff:
    run_id: str
    by: str
    role: str
    when: str  # as recorded (ISO-8601); shown verbatim rather than reinterpreted
    signature: str = ""
    public_key: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SignOff:
        fields = {name: data.get(name) or "" for name in ("run_id", "by", "role", "when", "signature", "public_key")}
        if not all(isinstance(v, str) for v in fields.values()):
            raise ValueError("every sign-off field is a string")
        if not fields["run_id"] or not fields["by"]:
            raise ValueError("a sign-off names its run_id and who signed")
        return cls(**fields)

    def verification(self) -> Verification:
        if not self.signature:
            return Verification.UNSIGNED
        key = public_key_from_text(self.public_key)
        if key is None:
            return Verification.INVALID
        try:
            key.verify(base64.b64decode(self.signature, validate=True), self.run_id.encode("ascii"))
        except (InvalidSignature, binascii.Error, ValueError, UnicodeEncodeError):
            return Verification.INVALID
        return Verification.VERIFIED

    def key_fingerprint(self) -> str:
        """SHA-256 of the raw public key, first 16 bytes in hex: enough to compare keys by eye."""
        key = public_key_from_text(self.public_key)
        if key is None:
            return ""
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(raw).hexdigest()[:32]


def public_key_from_text(text: str) -> Ed25519PublicKey | None:
    """An Ed25519 public key from PEM or base64 raw bytes; None when it is neither."""
    if not text:
        return None
    try:
        if text.lstrip().startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode("ascii"))
            return key if isinstance(key, Ed25519PublicKey) else None
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError):
        return None


def load(directory: Path) -> tuple[SignOff, ...]:
    """Every sign-off in `directory`/signoffs.json, in recorded order; () when there is no file."""
    path = Path(directory) / FILE_NAME
    if not path.exists():
        return ()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError("the file holds a JSON list of sign-offs")
        return tuple(SignOff.from_json(item) for item in data)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"{path} is not a closegate sign-offs file ({exc})",
            "restore it from the run's archive or record the sign-offs again with `closegate signoff`",
        ) from exc


def for_run(signoffs: Sequence[SignOff], run_id: str) -> tuple[SignOff, ...]:
    return tuple(s for s in signoffs if s.run_id == run_id)
