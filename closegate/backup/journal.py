"""The progress journal: what an unfinished backup has already completed, so a rerun does not refetch it.

`progress.json` lives beside the files while a backup runs and is removed once manifest.json is
written. An entry is recorded only after its file is renamed into place, and a recorded file is
trusted on resume only if its SHA-256 still matches: a file changed or lost since is fetched again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from closegate.backup.jsonl import file_sha256
from closegate.backup.manifest import FileEntry
from closegate.errors import ConfigError
from closegate.files import write_atomic
from closegate.models import iso, parse_time

__all__ = ["JOURNAL", "Journal"]

JOURNAL = "progress.json"


@dataclass(frozen=True)
class Journal:
    directory: Path
    tenant_id: str
    started_tenant: datetime
    started_local: datetime
    done: tuple[FileEntry, ...] = ()

    @classmethod
    def resume_or_start(cls, directory: Path, tenant_id: str, started_tenant: datetime,
                        started_local: datetime) -> Journal:
        path = directory / JOURNAL
        if not path.exists():
            journal = cls(directory, tenant_id, started_tenant, started_local)
            journal.save()
            return journal
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            journal = cls(directory, str(data["tenant_id"]), parse_time(data["started"]["tenant_clock"]),
                          parse_time(data["started"]["local"]),
                          tuple(FileEntry.from_json(e) for e in data["done"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path} is not a closegate backup journal ({exc})",
                              "delete it to start the backup over") from exc
        if journal.tenant_id != tenant_id:
            raise ConfigError(f"{directory} holds an unfinished backup of tenant {journal.tenant_id}",
                              "back this tenant up into another directory, or use --replace")
        return journal

    def completed(self, name: str) -> FileEntry | None:
        """The recorded entry if its file is still exactly what was written, else None.

        Unavailable sources are asked again: a permission granted since the interruption now counts.
        """
        entry = next((e for e in self.done if e.name == name), None)
        if entry is None or entry.unavailable:
            return None
        path = self.directory / str(entry.file)
        if not path.is_file() or file_sha256(path) != entry.sha256:
            return None
        return entry

    def record(self, entry: FileEntry) -> Journal:
        journal = replace(self, done=(*(e for e in self.done if e.name != entry.name), entry))
        journal.save()
        return journal

    def save(self) -> None:
        body = {"tenant_id": self.tenant_id,
                "started": {"tenant_clock": iso(self.started_tenant), "local": iso(self.started_local)},
                "done": [e.to_json() for e in self.done]}
        write_atomic(self.directory / JOURNAL, (json.dumps(body, indent=2) + "\n").encode("utf-8"))

    def remove(self) -> None:
        (self.directory / JOURNAL).unlink(missing_ok=True)
