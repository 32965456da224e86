"""`backup --replace` without a moment with no backup: stage the new one beside the old, swap when it verifies.

The operator replacing a backup is about to close the tenant, so the complete backup in DIR is left
untouched until its successor is complete and verifies. The new backup is written into the sibling
`DIR.replacing` (same parent, so the swap is a rename on one file system), the content attestations
recorded beside the old backup are copied in (they say where mailbox and OneDrive content went, which
a new directory export does not change), and only then is DIR renamed to `DIR.previous-<UTC time>`
and the new backup renamed to DIR.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from closegate.attestations import FILE_NAME as ATTESTATIONS
from closegate.backup.journal import JOURNAL
from closegate.backup.manifest import MANIFEST, SIGNATURE
from closegate.backup.sources import SOURCES
from closegate.errors import ConfigError
from closegate.files import write_atomic

__all__ = ["carry_attestations", "fresh_staging", "swap_in"]

_OURS = frozenset({MANIFEST, SIGNATURE, JOURNAL, ATTESTATIONS, *(s.file for s in SOURCES)})


def _staging(directory: Path) -> Path:
    return directory.with_name(f"{directory.name}.replacing")


def fresh_staging(directory: Path) -> Path:
    """An empty `DIR.replacing`, clearing what an interrupted replace left there.

    A leftover is never resumed: it may be days old, and --replace asks for a new backup. It is
    removed only when it holds nothing but backup files, so a directory the operator happened to
    name that way is never deleted.
    """
    staging = _staging(directory)
    if staging.exists():
        strangers = sorted(p.name for p in staging.iterdir() if not _is_backup_file(p))
        if strangers or not staging.is_dir():
            raise ConfigError(f"{staging} exists and is not a closegate backup being replaced "
                              f"(it holds {', '.join(strangers[:3]) or 'a file'})",
                              "move it elsewhere, then run `closegate backup --replace` again")
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def _is_backup_file(path: Path) -> bool:
    # .part: a file cut off mid-write; .tmp: write_atomic's temporary, both left by an interruption.
    return path.is_file() and (path.name in _OURS or path.name.endswith((".part", ".tmp")))


def carry_attestations(old: Path, new: Path) -> None:
    """Copy attestations.json from the old backup into the new one, byte for byte."""
    source = old / ATTESTATIONS
    if source.is_file():
        write_atomic(new / ATTESTATIONS, source.read_bytes())


def swap_in(staging: Path, directory: Path, now: datetime) -> Path:
    """Put the verified backup in `staging` at `directory`; return where the old backup now is.

    The old backup is kept as DIR.previous-<time> rather than deleted. Directories cannot be
    exchanged atomically with portable calls, so the swap is two renames; keeping the old one means
    that at every instant, a crash included, at least one complete backup sits on disk under a name
    the operator can find. And a newer backup is not a superset of an older one: taken after
    remediation began, it lacks what was deleted since, for which the old backup may be the only
    copy. Deleting it is the operator's decision, taken once the tenant is closed.
    """
    stamp = f"{now.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"
    previous = _unused(directory.with_name(f"{directory.name}.previous-{stamp}"))
    os.rename(directory, previous)
    try:
        os.rename(staging, directory)
    except OSError:
        os.rename(previous, directory)  # put the old backup back where CG-002 looks for it
        raise
    return previous


def _unused(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate
