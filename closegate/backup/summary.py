"""The configured backup as CG-002 sees it: verified, dated, what it covers, and its content attestations.

This is what `closegate.tenant.Tenant.latest_backup` returns (closegate.facts.Backup); the check
then compares it with the live tenant. Reading it re-verifies every file, so a backup changed since
it was taken never counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from closegate.backup.content import content_attestations
from closegate.backup.jsonl import iter_records
from closegate.backup.manifest import MANIFEST
from closegate.backup.sources import source_named
from closegate.backup.verify import Verification, verify_backup
from closegate.facts import Backup

__all__ = ["read_backup"]


def read_backup(directory: Path, max_age: timedelta) -> Backup | None:
    """None when no backup was ever finished in `directory`."""
    if not (directory / MANIFEST).is_file():
        return None
    check = verify_backup(directory)
    manifest = check.manifest
    if manifest is None:
        mtime = datetime.fromtimestamp((directory / MANIFEST).stat().st_mtime, timezone.utc)
        return Backup(taken=mtime, location=str(directory), items=0, bytes=0, verified=False, max_age=max_age,
                      problems=check.problems, content_attestations=content_attestations(directory))
    return Backup(
        taken=manifest.taken, location=str(directory),
        items=sum(e.objects for e in manifest.files), bytes=sum(e.bytes for e in manifest.files),
        verified=check.ok, max_age=max_age, tenant_id=manifest.tenant_id, problems=check.problems,
        user_ids=_ids(check, "users"), group_ids=_ids(check, "groups"),
        unavailable=tuple(f"{e.name}: {e.unavailable}" for e in manifest.files if e.unavailable),
        content_attestations=content_attestations(directory))


def _ids(check: Verification, name: str) -> frozenset[str]:
    """Ids of a file that verified; an unverified file covers nothing."""
    if name not in check.verified_files:
        return frozenset()
    return frozenset(str(r.get("id")) for r in iter_records(check.directory / source_named(name).file))
