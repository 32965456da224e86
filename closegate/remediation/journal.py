"""The remediation journal: append-only JSON Lines, fsynced and hash-chained, so a crash loses nothing.

Every change is written as an intent record before its request leaves and a result record after the
answer. Each record carries `prev` (the previous record's hash) and `hash` = SHA-256 of
`prev + "\\n" + canonical JSON of the record without "hash"`, so editing, dropping or reordering any
record breaks every hash after it; each record also carries the keyed tag of the installation that
wrote it (`integrity`, closegate.tags), so a journal rewritten with recomputed hashes is named as
edited, and one written elsewhere is never resumed from. Records are written in groups (the intents
of one batch, then its results) and each group is fsynced before the requests it announces are sent:
a crash can lose only a write that never left.

A crash mid-write leaves a torn last line. Opening the journal for appending truncates it and
appends a `note` record saying how many bytes were cut and their digest; `verify` reports it. A bad
line anywhere but the end is an IntegrityError: it is never skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from closegate.errors import IntegrityError
from closegate.files import open_private
from closegate.remediation.outcomes import TERMINAL, Outcome
from closegate.tags import FIELD, Provenance, RecordKey, installation_key

__all__ = ["GENESIS", "Journal", "JournalState", "Verification", "canonical", "operation_id", "read_state", "verify"]

GENESIS = "0" * 64
TAG_KIND = "journal-record"


def _outcome(result: Mapping[str, Any]) -> Outcome | None:
    """A result record's outcome; an unknown word (another version's journal) closes nothing."""
    try:
        return Outcome(result["outcome"])
    except (KeyError, ValueError):
        return None


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(prev: str, body: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev.encode("ascii") + b"\n" + canonical(body)).hexdigest()


def operation_id(plan_hash: str, action_id: str, object_id: str) -> str:
    """The same change under the same plan always has the same id, so a re-run knows what is done."""
    return hashlib.sha256(f"{plan_hash}\n{action_id}\n{object_id}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Verification:
    path: Path
    records: int
    last_hash: str
    torn_tail_bytes: int  # bytes after the last complete record (a crash mid-write), 0 if none
    truncation_notes: int  # tails an earlier open cut off, each recorded in a note
    open_intents: tuple[str, ...]  # operations with an intent and no result yet (resumed by a re-run)
    provenance: Provenance = field(default_factory=lambda: Provenance(True))  # this installation wrote every record


@dataclass
class JournalState:
    """What the records say about each operation."""

    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def done(self, op: str) -> bool:
        result = self.results.get(op)
        return result is not None and _outcome(result) in TERMINAL and bool(result.get("final", True))

    def interrupted(self, op: str) -> bool:
        """An intent was written (so the request may have reached the tenant) and no result followed."""
        intent = self.intents.get(op)
        if intent is None:
            return False
        result = self.results.get(op)
        return result is None or result["seq"] < intent["seq"]


def _read(path: Path, key: RecordKey) -> tuple[list[dict[str, Any]], int, int, Provenance]:
    """(records, byte offset of the end of the last complete record, torn tail length, who wrote them)."""
    data = path.read_bytes() if path.exists() else b""
    records: list[dict[str, Any]] = []
    prev, offset = GENESIS, 0
    provenance = Provenance(True)
    lines = data.split(b"\n")
    complete = lines[:-1]  # everything before the last newline
    for number, raw in enumerate(complete, start=1):
        try:
            rec = json.loads(raw)
            if not isinstance(rec, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            raise IntegrityError(f"journal {path} line {number} is not a JSON record",
                                 "the journal was damaged; keep it as evidence and re-plan") from exc
        body = {k: v for k, v in rec.items() if k not in ("hash", FIELD)}
        if rec.get("prev") != prev or rec.get("seq") != number or record_hash(prev, body) != rec.get("hash"):
            raise IntegrityError(f"journal {path} line {number} breaks the hash chain",
                                 "the journal was edited or reordered; keep it as evidence and re-plan")
        found = key.provenance(TAG_KIND, rec, f"journal {path} line {number}")
        if provenance.here and not found.here:
            provenance = Provenance(False, f"line {number}: {found.why}")
        prev = rec["hash"]
        records.append(rec)
        offset += len(raw) + 1
    return records, offset, len(lines[-1]), provenance


def verify(path: Path, key: RecordKey | None = None) -> Verification:
    """Check the whole chain and every tag; raises IntegrityError for anything but a torn final line
    (a journal another installation wrote verifies as a chain; `provenance` says it was not written here)."""
    records, _, torn, provenance = _read(path, key or installation_key())
    state = _state(records)
    return Verification(path, len(records), records[-1]["hash"] if records else GENESIS, torn,
                        sum(1 for r in records if r["type"] == "note" and r.get("truncated_bytes")),
                        tuple(op for op in state.intents if state.interrupted(op)), provenance)


def _state(records: Iterable[Mapping[str, Any]]) -> JournalState:
    state = JournalState()
    for rec in records:
        if rec["type"] == "intent":
            state.intents[rec["op"]] = dict(rec)
        elif rec["type"] == "result":
            state.results[rec["op"]] = dict(rec)
    return state


class Journal:
    """An open journal. Thread-safe; every `append` is on disk (fsynced) when it returns."""

    def __init__(self, path: Path, key: RecordKey | None = None) -> None:
        self.path = path
        self._key = key or installation_key()
        path.parent.mkdir(parents=True, exist_ok=True)
        records, end, torn, provenance = _read(path, self._key)
        # What is done is read from here: a journal this installation did not write could mark any
        # operation done or interrupted, so it is never resumed from (or appended to).
        provenance.require(path, "move it aside as evidence and plan again with this closegate")
        self._lock = threading.Lock()
        self._seq = len(records)
        self._prev = records[-1]["hash"] if records else GENESIS
        self.state = _state(records)
        self._handle = open_private(path, "ab")  # held for the journal's lifetime
        if torn:
            tail = path.read_bytes()[end:]
            self._handle.truncate(end)
            self._handle.seek(end)
            self.append([{"type": "note", "note": "a torn final record from an interrupted write was cut off",
                          "truncated_bytes": torn, "truncated_sha256": hashlib.sha256(tail).hexdigest()}])

    def append(self, bodies: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Chain, write and fsync a group of records; returns them as written."""
        with self._lock:
            written: list[dict[str, Any]] = []
            chunk = bytearray()
            for body in bodies:
                self._seq += 1
                rec = {**body, "seq": self._seq, "prev": self._prev}
                rec["hash"] = record_hash(self._prev, rec)
                rec = self._key.sealed(TAG_KIND, rec)
                self._prev = rec["hash"]
                chunk += canonical(rec) + b"\n"
                written.append(rec)
            if not written:
                return written
            self._handle.write(chunk)
            self._handle.flush()
            os.fsync(self._handle.fileno())
            for rec in written:
                if rec["type"] == "intent":
                    self.state.intents[rec["op"]] = rec
                elif rec["type"] == "result":
                    self.state.results[rec["op"]] = rec
            return written

    def close(self) -> None:
        with self._lock:
            self._handle.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_state(path: Path, key: RecordKey | None = None, *,
               warn: Callable[[str], None] | None = None) -> JournalState:
    """The operations' state without opening the journal for writing (a dry run changes nothing).

    A journal this installation did not write is refused unless `warn` is given (a dry run only shows
    what is done; it writes nothing)."""
    records, _, _, provenance = _read(path, key or installation_key())
    if warn is None:
        provenance.require(path, "move it aside as evidence and plan again with this closegate")
    elif not provenance.here:
        warn(provenance.warning(path))
    return _state(records)
