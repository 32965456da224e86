"""Application and service principal owners are exported from Graph's owners lists, not marked unavailable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from closegate.backup import export_backup
from closegate.backup.jsonl import iter_records
from closegate.emulator import Emulator
from closegate.graph import Clients


def test_owner_files_hold_every_owner_with_its_parent(tenant: Callable[[str], Emulator],
                                                      clients_for: Callable[[Emulator], Clients],
                                                      backup_dir: Path) -> None:
    emu = tenant("demo")
    result = export_backup(clients_for(emu).graph, backup_dir)
    state = emu.state
    for name, link, table in (("application-owners", "applicationId", state.applications),
                              ("service-principal-owners", "servicePrincipalId", state.service_principals)):
        entry = result.manifest.entry(name)
        assert entry is not None and entry.file and not entry.unavailable, entry
        saved = sorted((r[link], r["id"]) for r in iter_records(backup_dir / entry.file))
        expected = sorted((oid, owner) for oid, rec in table.items() if rec.deleted_at is None
                          for owner in rec.owner_ids)
        assert saved == expected and entry.objects == len(expected) > 0
