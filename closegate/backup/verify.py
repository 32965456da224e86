"""Verify a backup against its manifest: every file's SHA-256 and object count, and the signature.

Each problem is one line naming the file and what is wrong, so `closegate backup verify` can print
them as they are and CG-002 can carry them as evidence. What is merely worth knowing (a part the
tenant refused, a signature that was not checked for want of a key) is a note, not a problem.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from closegate.backup.jsonl import file_sha256
from closegate.backup.manifest import (
    MANIFEST,
    SIGNATURE,
    FileEntry,
    Manifest,
    check_signature,
    read_manifest,
)
from closegate.backup.sources import SECRET_SOURCES, SOURCES
from closegate.errors import IntegrityError

__all__ = ["Verification", "verify_backup"]

_EXPECTED = {s.name: s.file for s in SOURCES}
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Verification:
    directory: Path
    manifest: Manifest | None
    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()
    verified_files: frozenset[str] = frozenset()  # names whose hash and count matched

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_backup(directory: Path, public_key: Ed25519PublicKey | None = None) -> Verification:
    try:
        manifest = read_manifest(directory)
    except IntegrityError as exc:
        return Verification(directory, None, (exc.cause,))
    problems: list[str] = []
    notes: list[str] = []
    if public_key is not None:
        wrong = check_signature(directory, public_key)
        if wrong:
            problems.append(wrong)
    elif (directory / SIGNATURE).exists():
        notes.append(f"{SIGNATURE} present but not checked: pass --pubkey to check it")
    names = [e.name for e in manifest.files]
    problems += [f"{MANIFEST}: no entry for {name}" for name in _EXPECTED if name not in names]
    problems += [f"{MANIFEST}: unknown entry {name!r}" for name in names if name not in _EXPECTED]
    problems += [f"{MANIFEST}: {name} is listed more than once" for name in sorted(set(names))
                 if names.count(name) > 1]
    verified: set[str] = set()
    for entry in manifest.files:
        if entry.name not in _EXPECTED:
            continue
        wrong_entry = _check_entry(directory, entry)
        if wrong_entry:
            problems.append(wrong_entry)
        elif entry.unavailable:
            notes.append(f"{entry.name}: not in the backup ({entry.unavailable})")
        else:
            verified.add(entry.name)
    return Verification(directory, manifest, tuple(problems), tuple(notes), frozenset(verified))


def _check_entry(directory: Path, entry: FileEntry) -> str | None:
    if not entry.complete:
        return f"{entry.name}: the manifest marks it incomplete"
    if entry.unavailable:
        return None
    expected = _EXPECTED[entry.name]
    if entry.file != expected:
        # A manifest naming another path could point verify at any file on the machine.
        return f"{entry.name}: the manifest names file {entry.file!r} instead of {expected!r}"
    path = directory / expected
    if not path.is_file():
        return f"{expected}: missing"
    actual = file_sha256(path)
    if actual != entry.sha256:
        return f"{expected}: SHA-256 {actual[:16]}... does not match the manifest ({entry.sha256[:16]}...)"
    if entry.name in SECRET_SOURCES and not entry.recipient:
        return f"{entry.name}: secret material, but the manifest names no recipient it is encrypted to"
    if entry.recipient:
        return None  # ciphertext (closegate.backup.secrets): its hash is all that can be checked without the key
    try:
        count = _count_lines(path)
    except (OSError, EOFError, zlib.error) as exc:
        return f"{expected}: not a readable gzip file ({exc})"
    if count != entry.objects:
        return f"{expected}: holds {count} objects, the manifest says {entry.objects}"
    return None


def _count_lines(path: Path) -> int:
    count = 0
    with gzip.open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            count += chunk.count(b"\n")
    return count
