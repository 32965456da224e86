"""Backup before closing: export what the closure destroys, prove the copy intact, feed CG-002.

export.py takes the backup (resumable, streamed; replace.py swaps a new one in only once it verifies),
manifest.py records and signs it, verify.py checks it, content.py keeps the attestations for content
closegate does not copy, summary.py gives CG-002 its view of the configured backup.
"""

from __future__ import annotations

from closegate.backup.content import record_content_attestation
from closegate.backup.export import ExportResult, export_backup
from closegate.backup.manifest import (
    Manifest,
    sign_manifest,
)
from closegate.backup.sources import CONTENT_NOTE, SOURCES
from closegate.backup.summary import read_backup
from closegate.backup.verify import Verification, verify_backup

__all__ = [
    "CONTENT_NOTE",
    "SOURCES",
    "ExportResult",
    "Manifest",
    "Verification",
    "export_backup",
    "read_backup",
    "record_content_attestation",
    "sign_manifest",
    "verify_backup",
]
