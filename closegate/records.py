"""Run records on disk: written atomically and tagged, read back only if unchanged, optionally signed.

The run record's identity is the SHA-256 of its canonical JSON (`RunRecord.run_id`); the keyed tag of
the installation that wrote it (closegate.tags, the `integrity` member) says closegate wrote it, so a
record edited and re-hashed is named as edited; an optional detached Ed25519 signature (`run.json.sig`)
over the canonical bytes says who vouches for it. The engine reads and writes run records here; reports
render from what this module returns. Unusable input (a file that is not what it claims to be) raises
ConfigError; a record whose content no longer matches its hash or its tag raises IntegrityError, and so
does one not written here unless the reader only warns; a signature that does not match is a failed
`Proof`.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate.errors import ConfigError, IntegrityError
from closegate.files import write_atomic
from closegate.keys import fingerprint, public_key_from_text, public_key_text
from closegate.models import SCHEMA_VERSION, RunRecord, jsonable
from closegate.record_objects import attach, object_lists, side_file, write_side_file
from closegate.tags import RecordKey, installation_key

__all__ = [
    "RUN_FILE",
    "SIGNATURE_FILE",
    "Proof",
    "Signature",
    "read_record",
    "sign_record",
    "tagged_json",
    "verify_signature",
    "write_record",
    "write_signature",
]

RUN_FILE = "run.json"
SIGNATURE_FILE = "run.json.sig"
TAG_KIND = "run-record"
_SIGNATURE_FORMAT = "closegate-signature/1"


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


def sign_record(record: RunRecord, key: Ed25519PrivateKey) -> Signature:
    """A detached signature over the record's canonical bytes."""
    return Signature(record.run_id, public_key_text(key), base64.b64encode(key.sign(record.canonical_bytes())).decode("ascii"))


def tagged_json(record: RunRecord, key: RecordKey | None = None) -> dict[str, Any]:
    """The record as written: its JSON with this installation's integrity tag (none without a key)."""
    return (key or installation_key()).sealed(TAG_KIND, record.to_json())


def write_record(record: RunRecord, out_dir: Path, key: RecordKey | None = None, *, name: str = RUN_FILE) -> Path:
    """DIR/run.json, atomically, durably and tagged (it is the file approvals and signatures bind to).

    Its long object lists go first to the side file beside it (closegate.record_objects), whose digests
    the record's hash covers; a side file left from an earlier record of the same name is removed, so
    no record is ever read with another's lists. `key`: the record key of the configuration in use;
    None: the installation's default one."""
    path = Path(out_dir) / name
    text = json.dumps(tagged_json(record, key), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    lists = list(object_lists(record.results))
    if lists:
        write_side_file(lists, side_file(path), jsonable)
    else:
        side_file(path).unlink(missing_ok=True)
    return write_atomic(path, text)


def write_signature(record: RunRecord, key: Ed25519PrivateKey, out_dir: Path) -> Path:
    """DIR/run.json.sig for `record`."""
    return write_atomic(Path(out_dir) / SIGNATURE_FILE, sign_record(record, key).dumps())


def read_record(path: Path, key: RecordKey | None = None, *, warn: Callable[[str], None] | None = None) -> RunRecord:
    """The run record at `path`. IntegrityError if it was edited; ConfigError if it is not a run record.

    A record this installation did not write (no tag, or another key's) is refused unless `warn` is
    given: then `warn` is told why and the record is returned (for commands that only show it)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read ({exc.strerror})", "give the run.json an audit wrote") from exc
    if raw.startswith(b"%PDF-"):
        raise ConfigError(f"{path} is a PDF report, not a run record",
                          f"give the run.json beside it, and the report with --report: "
                          f"closegate verify {Path(path).with_name(RUN_FILE)} --report {path}")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path} cannot be read as JSON ({exc})", "give the run.json an audit wrote") from exc
    if not isinstance(data, dict) or "run_id" not in data:
        raise ConfigError(f"{path} is not a closegate run record", "give the run.json an audit wrote")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError(f"{path} has run record schema version {data.get('schema_version')!r}, "
                          f"this closegate reads {SCHEMA_VERSION}", "verify it with the closegate that wrote it")
    try:
        # The stubs become ObjectLists in a copy: the tag below is checked over the JSON as written.
        readable = {**data, "results": copy.deepcopy(data["results"])}
        attach(readable["results"], side_file(Path(path)))
        record = RunRecord.from_json(readable)
    except IntegrityError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{path} is not a complete closegate run record ({exc!r})",
                          "give the run.json an audit wrote") from exc
    provenance = (key or installation_key()).provenance(TAG_KIND, data, path)
    if warn is None:
        provenance.require(path, "audit the tenant with this closegate (or configure the record key of the one "
                                 "that wrote it: [records] key_file)")
    elif not provenance.here:
        warn(provenance.warning(path))
    return record


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
    trust = "the trusted key given" if trusted_key is not None else "the key embedded in it (compare it with the signer's)"
    return Proof(subject, True, f"valid Ed25519 signature of run {run_id} by {trust}: {fingerprint(key)}")
