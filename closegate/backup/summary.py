"""The configured backup as CG-002 sees it: verified, dated, what it covers, and its content attestations.

This is what `closegate.tenant.Tenant.latest_backup` returns (closegate.facts.Backup); the check
then compares it with the live tenant. Reading it re-verifies every file, so a backup changed since
it was taken never counts; with [backup] public_key it also checks the manifest's signature.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from closegate.backup.content import content_attestations
from closegate.backup.jsonl import iter_records
from closegate.backup.manifest import (
    MANIFEST,
    SIGNATURE,
    Manifest,
    check_signature,
)
from closegate.backup.sources import source_named
from closegate.backup.verify import Verification, verify_backup
from closegate.facts import Backup
from closegate.keys import load_public_key

__all__ = ["read_backup"]


def read_backup(directory: Path, max_age: timedelta, public_key: Path | None = None) -> Backup | None:
    """None when no backup was ever finished in `directory`.

    With `public_key` ([backup] public_key) the manifest signature is checked too and reported
    apart from the hash and count problems, so CG-002 can say whether the backup is unsigned or
    signed by another key rather than only that something did not verify.
    """
    key = load_public_key(public_key) if public_key is not None else None  # a bad key: ERROR, not FAIL
    if not (directory / MANIFEST).is_file():
        return None
    check = verify_backup(directory)
    signature_key, signed, signature_valid = _signature(directory, public_key, key)
    manifest = check.manifest
    if manifest is None:
        mtime = datetime.fromtimestamp((directory / MANIFEST).stat().st_mtime, timezone.utc)
        return Backup(taken=mtime, location=str(directory), items=0, bytes=0, verified=False, max_age=max_age,
                      problems=check.problems, content_attestations=content_attestations(directory),
                      signature_key=signature_key, signed=signed, signature_valid=signature_valid)
    return Backup(
        taken=manifest.taken, location=str(directory),
        items=sum(e.objects for e in manifest.files), bytes=sum(e.bytes for e in manifest.files),
        verified=check.ok, max_age=max_age, tenant_id=manifest.tenant_id, problems=check.problems,
        user_ids=_ids(check, "users"), group_ids=_ids(check, "groups"), device_ids=_ids(check, "devices"),
        bitlocker_key_ids=_key_ids(check), recipient=_recipient(manifest),
        unavailable=tuple(f"{e.name}: {e.unavailable}" for e in manifest.files if e.unavailable),
        content_attestations=content_attestations(directory),
        signature_key=signature_key, signed=signed, signature_valid=signature_valid)


def _signature(directory: Path, path: Path | None, key: Ed25519PublicKey | None) -> tuple[str, bool, bool]:
    """(configured key, signed, verifies); nothing is looked at when no key is configured."""
    if path is None or key is None:
        return "", False, False
    signed = (directory / SIGNATURE).is_file()
    return str(path), signed, signed and check_signature(directory, key) is None


def _key_ids(check: Verification) -> frozenset[str]:
    """The recovery keys the backup holds: those its metadata lists, once their ciphertext verified."""
    return _ids(check, "bitlocker-key-metadata") if "bitlocker-recovery-keys" in check.verified_files else frozenset()


def _recipient(manifest: Manifest) -> str:
    entry = manifest.entry("bitlocker-recovery-keys")
    return entry.recipient if entry is not None else ""


def _ids(check: Verification, name: str) -> frozenset[str]:
    """Ids of a file that verified; an unverified file covers nothing."""
    if name not in check.verified_files:
        return frozenset()
    return frozenset(str(r.get("id")) for r in iter_records(check.directory / source_named(name).file))
