"""What a backup recorded of the tenant's eDiscovery cases and holds, for when Graph no longer shows them.

App-only eDiscovery answers only while an eDiscovery (Premium) licence is in force, and a closure
cancels every subscription before its final audit (graph-facts §12.7; learn:
graph/api/resources/security-ediscovery-apioverview). The backup, taken first (step 0), keeps Graph's
answer from before; CG-019 reads it here so a hold that was active then is not forgotten. Only a
backup of this tenant whose eDiscovery files all match the manifest counts: a file that does not
verify is no evidence of anything.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from closegate import tenant_parse_records as parse
from closegate.backup.jsonl import file_sha256, iter_records
from closegate.backup.manifest import Manifest, read_manifest
from closegate.backup.sources import EDISCOVERY_SOURCES, source_named
from closegate.errors import ClosegateError
from closegate.facts_records import RecordedCases

__all__ = ["recorded_cases"]


def recorded_cases(directory: Path, tenant_id: str) -> RecordedCases | None:
    """The cases the backup in `directory` recorded; None when it holds no trustworthy record of them."""
    try:
        manifest = read_manifest(directory)
    except ClosegateError:
        return None
    if manifest.tenant_id.lower() != tenant_id.lower() or not all(_verified(directory, manifest, n)
                                                                  for n in EDISCOVERY_SOURCES):
        return None
    cases, custodians, holds, users, sites = (list(iter_records(directory / source_named(n).file))
                                              for n in EDISCOVERY_SOURCES)
    held_users = _by(users, "holdId")
    held_sites = _by(sites, "holdId")
    holds_of = _by(holds, "caseId")
    custodians_of = _by(custodians, "caseId")
    return RecordedCases(manifest.taken, str(directory), tuple(
        parse.ediscovery_case(
            case,
            (parse.hold_policy(h, held_users.get(str(h.get("id")), []), held_sites.get(str(h.get("id")), []))
             for h in holds_of.get(str(case.get("id")), [])),
            (parse.custodian(c) for c in custodians_of.get(str(case.get("id")), [])))
        for case in cases))


def _verified(directory: Path, manifest: Manifest, name: str) -> bool:
    entry = manifest.entry(name)
    source = source_named(name)
    if entry is None or not entry.complete or entry.unavailable or entry.file != source.file:
        return False
    path = directory / source.file
    return path.is_file() and file_sha256(path) == entry.sha256


def _by(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[str(row.get(key))].append(row)
    return grouped
