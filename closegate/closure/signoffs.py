"""The write side of sign-offs, and the rule that decides whether a run has enough of them.

An approval is only worth something if it cannot be moved to another run: each one names the run's
SHA-256 (`run_id`), and `closegate signoff` refuses a run record whose content no longer matches
it. The file format is the one `reporting.signoffs` reads; appends are atomic and serialised by a
lock, so two officers signing at once never lose each other's approval.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate.errors import ConfigError
from closegate.models import RunRecord, iso, parse_time
from closegate.reporting import signoffs as signoff_file
from closegate.reporting.signoffs import SignOff, Verification

__all__ = ["SIGNOFF_CLOCK_SKEW", "SignoffRequirement", "append_signoff", "make_signoff"]

# A sign-off dated further than this into the future of the deciding clock was not made yet.
SIGNOFF_CLOCK_SKEW = timedelta(minutes=5)


def make_signoff(record: RunRecord, by: str, role: str, when: datetime,
                 key: Ed25519PrivateKey | None = None) -> SignOff:
    """An approval of `record`; with a key, an Ed25519 signature over the ASCII run id (what reports verify)."""
    by, role = by.strip(), role.strip()
    if not by or not role:
        raise ConfigError("a sign-off needs the signer's name and role", "pass --by NAME and --role ROLE")
    run_id = record.run_id
    signature = public_key = ""
    if key is not None:
        signature = base64.b64encode(key.sign(run_id.encode("ascii"))).decode("ascii")
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        public_key = base64.b64encode(raw).decode("ascii")
    return SignOff(run_id=run_id, by=by, role=role, when=iso(when), signature=signature, public_key=public_key)


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
    path = directory / signoff_file.FILE_NAME
    with _locked(directory):
        existing = signoff_file.load(directory)
        same = [s for s in signoff_file.for_run(existing, signoff.run_id) if _person(s) == _person(signoff)]
        if same:
            raise ConfigError(f"{signoff.by} already signed off run {signoff.run_id[:16]} on {same[0].when}",
                              "each person signs a run once; another approver signs with their own name")
        data = [asdict(s) for s in (*existing, signoff)]
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{signoff_file.FILE_NAME}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
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
        people: set[str] = set()
        keys: set[str] = set()
        counted: list[SignOff] = []
        for s in signoff_file.for_run(self.signoffs, run_id):
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

    def reasons(self, run_id: str, now: datetime) -> tuple[str, ...]:
        counted = self.counted(run_id, now)
        if len(counted) >= self.required:
            return ()
        mine = signoff_file.for_run(self.signoffs, run_id)
        notes = []
        invalid = [s.by for s in mine if s.verification() is Verification.INVALID]
        if invalid:
            notes.append(f"signature does not verify: {', '.join(invalid)}")
        future = [s.by for s in mine if _future(s, now)]
        if future:
            notes.append(f"dated in the future: {', '.join(future)}")
        others = len(self.signoffs) - len(mine)
        if others:
            notes.append(f"{others} sign-off(s) of other runs do not count")
        detail = f" ({'; '.join(notes)})" if notes else ""
        return (f"{len(counted)} of {self.required} required sign-offs are bound to run {run_id[:16]}{detail}: "
                f"record them with `closegate signoff --run RUN.json --by NAME --role ROLE`",)


def _future(signoff: SignOff, now: datetime) -> bool:
    try:
        return parse_time(signoff.when) > now + SIGNOFF_CLOCK_SKEW
    except (ValueError, TypeError):  # unreadable, or without a time zone
        return True  # an unreadable date is not a date the approval was given
