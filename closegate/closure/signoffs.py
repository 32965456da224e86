"""Sign-offs: a person's approval of one run, bound to the run's hash, and the rule that counts them.

An approval is only worth something if it cannot be moved to another run: each one names the run's
SHA-256 (`run_id`), and `closegate signoff` refuses a run record whose content no longer matches it.
`signoffs.json` beside run.json is a JSON list of {"run_id", "by", "role", "when", "signature",
"public_key", "category"}: `signature` (optional) is a base64 Ed25519 signature over the ASCII run id
(for a legal sign-off over "legal:" and the run id, so an approval cannot be relabelled as the other
kind), `public_key` the signer's key (base64 raw bytes or PEM). Only sign-offs whose run_id equals the
run's hash belong to it. Appends are atomic and serialised by a lock, so two officers signing at once
never lose each other's approval. Reports render what this module reads; the gate counts with
`SignoffRequirement`.

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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate.errors import ConfigError
from closegate.files import write_atomic
from closegate.keys import fingerprint, public_key_from_text, public_key_text
from closegate.models import RunRecord, iso, parse_time

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
    category: str = GENERAL  # GENERAL or LEGAL

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SignOff:
        fields = {name: data.get(name) or "" for name in ("run_id", "by", "role", "when", "signature", "public_key",
                                                           "category")}
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
            return Verification.UNSIGNED
        key = public_key_from_text(self.public_key)
        if key is None:
            return Verification.INVALID
        try:
            key.verify(base64.b64decode(self.signature, validate=True), self.signed_message())
        except (InvalidSignature, binascii.Error, ValueError, UnicodeEncodeError):
            return Verification.INVALID
        return Verification.VERIFIED

    def key_fingerprint(self) -> str:
        """The signer's key in closegate's one fingerprint format (closegate.keys)."""
        return fingerprint(self.public_key)


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


def append_signoff(directory: Path, signoff: SignOff) -> Path:
    """Add `signoff` to DIR/signoffs.json atomically; refuses a second approval by the same person."""
    path = directory / FILE_NAME
    with _locked(directory):
        existing = load(directory)
        same = [s for s in for_run(existing, signoff.run_id)
                if _person(s) == _person(signoff) and s.category == signoff.category]
        if same:
            kind = "a legal sign-off of" if signoff.is_legal else "off"
            raise ConfigError(f"{signoff.by} already signed {kind} run {signoff.run_id[:16]} on {same[0].when}",
                              "each person signs a run once; another approver signs with their own name")
        data = [asdict(s) for s in (*existing, signoff)]
        write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path


def _person(signoff: SignOff) -> str:
    return " ".join(signoff.by.split()).casefold()


@dataclass(frozen=True)
class SignoffRequirement:
    """`required` distinct approvals of the run, each bound to its hash (closegate.gate.SignoffVerifier).

    Distinct means distinct people and distinct keys: one key signing under two names is one approver.
    A signature that does not verify, a sign-off of another run, and one dated in the future do not count.
    """

    signoffs: Sequence[SignOff]
    required: int

    def counted(self, run_id: str, now: datetime) -> tuple[SignOff, ...]:
        """The approvals that count toward `required` (legal sign-offs never do)."""
        return _distinct((s for s in for_run(self.signoffs, run_id) if not s.is_legal), now)

    def legal(self, run_id: str, now: datetime) -> tuple[SignOff, ...]:
        """The legal sign-offs of the run that count: valid, not dated in the future, one per person and key."""
        return _distinct((s for s in for_run(self.signoffs, run_id) if s.is_legal), now)

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
        others = sum(1 for s in self.signoffs if s.run_id != run_id)
        if others:
            notes.append(f"{others} sign-off(s) of other runs do not count")
        detail = f" ({'; '.join(notes)})" if notes else ""
        return (f"{len(counted)} of {self.required} required sign-offs are bound to run {run_id[:16]}{detail}: "
                f"record them with `closegate signoff --run RUN.json --by NAME --role ROLE`",)


def _distinct(signoffs: Iterable[SignOff], now: datetime) -> tuple[SignOff, ...]:
    """Valid, not future-dated, one per person and one per key: a key signing under two names is one person."""
    people: set[str] = set()
    keys: set[str] = set()
    counted: list[SignOff] = []
    for s in signoffs:
        if s.verification() is Verification.INVALID or _future(s, now):
            continue
        key = s.key_fingerprint() if s.signature else ""
        if _person(s) in people or (key and key in keys):
            continue
        people.add(_person(s))
        if key:
            keys.add(key)
        counted.append(s)
    return tuple(counted)


def _future(signoff: SignOff, now: datetime) -> bool:
    try:
        return parse_time(signoff.when) > now + SIGNOFF_CLOCK_SKEW
    except (ValueError, TypeError):  # unreadable, or without a time zone
        return True  # an unreadable date is not a date the approval was given
