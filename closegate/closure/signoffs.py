"""Sign-offs: a person's approval of one run, bound to the run's hash, and the rule that counts them.

An approval is only worth something if it cannot be moved to another run: each one names the run's
SHA-256 (`run_id`), and `closegate signoff` refuses a run record whose content no longer matches it.
`signoffs.json` beside run.json is a JSON list of {"run_id", "by", "role", "when", "signature",
"public_key", "category"}: `signature` (optional) is a base64 Ed25519 signature over the ASCII run id
(for a legal sign-off over "legal:" and the run id, so an approval cannot be relabelled as the other
kind), `public_key` the signer's key (base64 raw bytes or PEM). Only sign-offs whose run_id equals the
run's hash belong to it. Each entry also carries the keyed tag of the installation that recorded it
(`integrity`, closegate.tags), so an approval edited in the file is named as edited. Appends are atomic
and serialised by a lock, so two officers signing at once never lose each other's approval. Reports
render what this module reads; the gate counts with `SignoffRequirement`.

An approval imported from a report the approver signed in their PDF tool (`closegate signoff --pdf`)
carries no Ed25519 signature: it names the signer's certificate instead (`certificate`, its subject in
RFC 4514 form, and `certificate_fingerprint`, SHA256:<base64> of its DER), which closegate validated
against the trust anchors when it recorded it, and `pdf_sha256`, the signed file it came from. Those
fields are written only when set, so key-based sign-offs keep their shape.

A legal sign-off (category "legal", `closegate signoff --legal`) is a person in a legal role accepting
the legal holds a run shows (CG-019). The gate counts it for the checks marked `legal_signoff` only: it
is not one of the `[signoff] required` approvals, and those never accept a hold.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate.closure.policy import SignoffPolicy
from closegate.errors import ConfigError
from closegate.files import write_atomic
from closegate.keys import fingerprint, public_key_from_text, public_key_text
from closegate.models import RunRecord, iso, parse_time
from closegate.tags import RecordKey, installation_key

__all__ = [
    "FILE_NAME",
    "GENERAL",
    "LEGAL",
    "SIGNOFF_CLOCK_SKEW",
    "SignOff",
    "SignoffRequirement",
    "Verification",
    "append_signoff",
    "for_run",
    "load",
    "make_signoff",
]

# A sign-off dated further than this into the future of the deciding clock was not made yet.
SIGNOFF_CLOCK_SKEW = timedelta(minutes=5)

FILE_NAME = "signoffs.json"
GENERAL = ""  # an approval of the run, counted toward [signoff] required
LEGAL = "legal"  # a legal sign-off: accepts the legal holds of the run (closegate.gate)
_CATEGORIES = frozenset({GENERAL, LEGAL})
_PDF_FIELDS = ("certificate", "certificate_fingerprint", "pdf_sha256")
TAG_KIND = "signoff"


class Verification(Enum):
    """What a sign-off's signature proves, as a report states it."""

    VERIFIED = "signature verified"
    PDF_SIGNED = "PDF signature validated on import"
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
    category: str = GENERAL  # GENERAL or LEGAL
    certificate: str = ""  # PDF sign-offs: the signer's certificate subject (RFC 4514)
    certificate_fingerprint: str = ""  # and its fingerprint, SHA256:<base64> of the DER (closegate.keys)
    pdf_sha256: str = ""  # the signed report it was read from

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SignOff:
        fields = {name: data.get(name) or "" for name in ("run_id", "by", "role", "when", "signature", "public_key",
                                                           "category", *_PDF_FIELDS)}
        if not all(isinstance(v, str) for v in fields.values()):
            raise ValueError("every sign-off field is a string")
        if not fields["run_id"] or not fields["by"]:
            raise ValueError("a sign-off names its run_id and who signed")
        if fields["category"] not in _CATEGORIES:
            raise ValueError(f"unknown sign-off category {fields['category'][:20]!r}")
        return cls(**fields)

    @property
    def is_legal(self) -> bool:
        return self.category == LEGAL

    def signed_message(self) -> bytes:
        """What the signature covers: the run id, prefixed by the category for a legal sign-off."""
        return (f"{self.category}:{self.run_id}" if self.category else self.run_id).encode("ascii")

    def verification(self) -> Verification:
        if not self.signature:
            # Validated against the trust anchors when imported; the entry's tag says closegate recorded it.
            return Verification.PDF_SIGNED if self.certificate_fingerprint else Verification.UNSIGNED
        key = public_key_from_text(self.public_key)
        if key is None:
            return Verification.INVALID
        try:
            key.verify(base64.b64decode(self.signature, validate=True), self.signed_message())
        except (InvalidSignature, binascii.Error, ValueError, UnicodeEncodeError):
            return Verification.INVALID
        return Verification.VERIFIED

    def key_fingerprint(self) -> str:
        """The signer's key (or PDF certificate) in closegate's one fingerprint format (closegate.keys)."""
        return self.certificate_fingerprint or fingerprint(self.public_key)

    def identities(self) -> tuple[str, ...]:
        """What an allow-list may name this signer by: fingerprint, and a certificate's subject."""
        if self.certificate_fingerprint:
            return self.certificate_fingerprint, self.certificate
        return (self.key_fingerprint(),) if self.signature else ()

    def to_json(self) -> dict[str, str]:
        data = asdict(self)
        for name in _PDF_FIELDS:
            if not data[name]:
                del data[name]
        return data


def _entries(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise ValueError("the file holds a JSON list of sign-offs")
        for item in data:
            SignOff.from_json(item)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"{path} is not a closegate sign-offs file ({exc})",
            "restore it from the run's archive or record the sign-offs again with `closegate signoff`",
        ) from exc
    return data


def load(directory: Path, key: RecordKey | None = None, *,
         warn: Callable[[str], None] | None = None) -> tuple[SignOff, ...]:
    """Every sign-off in `directory`/signoffs.json, in recorded order; () when there is no file.

    An entry edited after closegate recorded it is an IntegrityError. One this installation did not
    record is refused too (the gate counts only approvals it can vouch for), unless `warn` is given:
    a report shows such approvals, with what their own signatures prove, and says why.
    """
    path = Path(directory) / FILE_NAME
    if not path.exists():
        return ()
    entries = _entries(path)
    key = key or installation_key()
    for number, item in enumerate(entries, start=1):
        provenance = key.provenance(TAG_KIND, item, f"{path} (sign-off {number}, by {item.get('by')})")
        if warn is None:
            provenance.require(f"{path} (sign-off {number})", "record the approval again with `closegate signoff` "
                               "on this installation (or configure the record key that recorded it: [records] "
                               "key_file)")
        elif not provenance.here:
            warn(provenance.warning(f"{path} (sign-off {number})"))
    return tuple(SignOff.from_json(item) for item in entries)


def for_run(signoffs: Sequence[SignOff], run_id: str) -> tuple[SignOff, ...]:
    return tuple(s for s in signoffs if s.run_id == run_id)


def make_signoff(record: RunRecord, by: str, role: str, when: datetime,
                 key: Ed25519PrivateKey | None = None, *, category: str = GENERAL) -> SignOff:
    """An approval of `record`; with a key, an Ed25519 signature over its `signed_message` (what reports verify)."""
    by, role = by.strip(), role.strip()
    if not by or not role:
        raise ConfigError("a sign-off needs the signer's name and role", "pass --by NAME and --role ROLE")
    if category not in _CATEGORIES:
        raise ConfigError(f"unknown sign-off category {category!r}", "sign as an approver, or with --legal")
    unsigned = SignOff(run_id=record.run_id, by=by, role=role, when=iso(when), category=category)
    if key is None:
        return unsigned
    signature = base64.b64encode(key.sign(unsigned.signed_message())).decode("ascii")
    return replace(unsigned, signature=signature, public_key=public_key_text(key))


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # The folder itself is the lock: nothing is left behind beside the run record.
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def append_signoff(directory: Path, signoff: SignOff, key: RecordKey | None = None) -> Path:
    """Add `signoff`, tagged, to DIR/signoffs.json atomically; refuses a second approval by the same person
    and a file holding approvals this installation did not record (they would never count)."""
    path = directory / FILE_NAME
    key = key or installation_key()
    with _locked(directory):
        existing = load(directory, key)
        mine = [s for s in for_run(existing, signoff.run_id) if s.category == signoff.category]
        kind = "a legal sign-off of" if signoff.is_legal else "off"
        same = [s for s in mine if _person(s) == _person(signoff)]
        if same:
            raise ConfigError(f"{signoff.by} already signed {kind} run {signoff.run_id[:16]} on {same[0].when}",
                              "each person signs a run once; another approver signs with their own name")
        # Distinct people are distinct identities: one certificate or key under a second name is not a second approver.
        twin = [s for s in mine if _identity(signoff) and _identity(s) == _identity(signoff)]
        if twin:
            raise ConfigError(f"{_identity(signoff)} already signed {kind} run {signoff.run_id[:16]} as {twin[0].by}, "
                              f"so it cannot sign again as {signoff.by}",
                              "each approver signs with their own certificate or key")
        # The entries already recorded are kept exactly as read: their tags cover their values.
        data = [*(_entries(path) if path.exists() else []), key.sealed(TAG_KIND, signoff.to_json())]
        write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path


def _person(signoff: SignOff) -> str:
    return " ".join(signoff.by.split()).casefold()


def _identity(signoff: SignOff) -> str:
    """The key or certificate that proves who signed, or "" when nothing does."""
    proven = signoff.verification() in (Verification.VERIFIED, Verification.PDF_SIGNED)
    return signoff.key_fingerprint() if proven else ""


@dataclass(frozen=True)
class SignoffRequirement:
    """`required` distinct approvals of the run, each bound to its hash (closegate.gate.SignoffVerifier),
    admitted by the `[signoff]` policy (closegate.closure.policy).

    Distinct means distinct people and distinct identities: one key or certificate signing under two
    names is one approver. A signature that does not verify, a sign-off of another run, one dated in the
    future, an unsigned one when the policy requires signatures, and one by an identity outside the
    allow-list do not count; `reasons` names each of them.
    """

    signoffs: Sequence[SignOff]
    required: int
    policy: SignoffPolicy = field(default_factory=SignoffPolicy)

    def _admitted(self, s: SignOff) -> bool:
        if self.policy.signatures is True and s.verification() is Verification.UNSIGNED:
            return False
        return s.is_legal or self.policy.admits(*s.identities())

    def counted(self, run_id: str, now: datetime) -> tuple[SignOff, ...]:
        """The approvals that count toward `required` (legal sign-offs never do)."""
        return _distinct((s for s in for_run(self.signoffs, run_id) if not s.is_legal and self._admitted(s)), now)

    def legal(self, run_id: str, now: datetime) -> tuple[SignOff, ...]:
        """The legal sign-offs of the run that count: valid, not dated in the future, one per person and key."""
        return _distinct((s for s in for_run(self.signoffs, run_id) if s.is_legal and self._admitted(s)), now)

    def reasons(self, run_id: str, now: datetime) -> tuple[str, ...]:
        counted = self.counted(run_id, now)
        if len(counted) >= self.required:
            return ()
        mine = tuple(s for s in for_run(self.signoffs, run_id) if not s.is_legal)
        notes = []
        invalid = [s.by for s in mine if s.verification() is Verification.INVALID]
        if invalid:
            notes.append(f"signature does not verify: {', '.join(invalid)}")
        future = [s.by for s in mine if _future(s, now)]
        if future:
            notes.append(f"dated in the future: {', '.join(future)}")
        if self.policy.signatures is True:
            unsigned = [s.by for s in mine if s.verification() is Verification.UNSIGNED]
            if unsigned:
                notes.append(f"not signed, and [signoff] signatures = true: {', '.join(unsigned)}")
        outside = [s.by for s in mine if s.verification() is not Verification.UNSIGNED
                   and not self.policy.admits(*s.identities())]
        if outside:
            notes.append(f"not on the [signoff] allow-list: {', '.join(outside)}")
        valid = [s for s in mine if s not in counted and self._admitted(s)
                 and s.verification() is not Verification.INVALID and not _future(s, now)]
        if valid:
            notes.append(f"the same person or identity as another approval: {', '.join(s.by for s in valid)}")
        others = sum(1 for s in self.signoffs if s.run_id != run_id)
        if others:
            notes.append(f"{others} sign-off(s) of other runs do not count")
        detail = f" ({'; '.join(notes)})" if notes else ""
        how = ("`closegate signoff --run RUN.json --pdf SIGNED.pdf`" if self.policy.signatures is True
               else "`closegate signoff --run RUN.json --by NAME --role ROLE`")
        return (f"{len(counted)} of {self.required} required sign-offs are bound to run {run_id[:16]}{detail}: "
                f"record them with {how}",)


def _distinct(signoffs: Iterable[SignOff], now: datetime) -> tuple[SignOff, ...]:
    """Valid, not future-dated, one per person and one per identity: a key or certificate signing under
    two names is one person."""
    people: set[str] = set()
    identities: set[str] = set()
    counted: list[SignOff] = []
    for s in signoffs:
        if s.verification() is Verification.INVALID or _future(s, now):
            continue
        identity = _identity(s)
        if _person(s) in people or (identity and identity in identities):
            continue
        people.add(_person(s))
        if identity:
            identities.add(identity)
        counted.append(s)
    return tuple(counted)


def _future(signoff: SignOff, now: datetime) -> bool:
    try:
        return parse_time(signoff.when) > now + SIGNOFF_CLOCK_SKEW
    except (ValueError, TypeError):  # unreadable, or without a time zone
        return True  # an unreadable date is not a date the approval was given
