"""`backup --replace` keeps a complete backup on disk at every moment, and keeps its content attestations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate.attestations import FILE_NAME as ATTESTATIONS
from closegate.backup import export_backup, record_content_attestation, verify_backup
from closegate.backup.content import content_attestations
from closegate.backup.manifest import MANIFEST, FileEntry, read_manifest
from closegate.emulator import Emulator
from closegate.errors import ConfigError, Throttled
from closegate.graph import Clients

REPLACED_AT = datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc)


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture
def emu(tenant: Callable[[str], Emulator]) -> Emulator:
    return tenant("demo")


@pytest.fixture
def graph(emu: Emulator, clients_for: Callable[[Emulator], Clients]):  # type: ignore[no-untyped-def]
    return clients_for(emu).graph


@pytest.fixture
def attested(emu: Emulator, graph, backup_dir: Path) -> Path:  # type: ignore[no-untyped-def]
    export_backup(graph, backup_dir)
    record_content_attestation(backup_dir, scopes=["mailbox"], tool="Veeam for M365", location="s3://archive/mail",
                               by="Dana (GA)", taken=emu.state.clock.now())
    return backup_dir


def _stop_after_groups(entry: FileEntry, reused: bool) -> None:
    if entry.name == "groups":
        raise KeyboardInterrupt


def test_an_interrupted_replace_leaves_the_old_backup_intact_and_verifying(graph, attested: Path) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(attested)
    with pytest.raises(KeyboardInterrupt):
        export_backup(graph, attested, replace=True, on_file=_stop_after_groups)
    assert _snapshot(attested) == before
    assert verify_backup(attested).ok
    assert (attested.parent / "backup.replacing" / "progress.json").exists()  # the new one, unfinished, beside it


def test_a_replace_that_fails_on_graph_leaves_the_old_backup_in_place(emu: Emulator, graph, attested: Path) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(attested)
    emu.operator.set_faults("503=1.0")
    with pytest.raises(Throttled):
        export_backup(graph, attested, replace=True)
    emu.operator.set_faults("")
    assert _snapshot(attested) == before and verify_backup(attested).ok


def test_a_completed_replace_verifies_keeps_attestations_and_the_old_backup(graph, attested: Path) -> None:  # type: ignore[no-untyped-def]
    old_manifest = (attested / MANIFEST).read_bytes()
    with pytest.raises(KeyboardInterrupt):
        export_backup(graph, attested, replace=True, on_file=_stop_after_groups)  # its leftover is cleared

    result = export_backup(graph, attested, replace=True, clock=lambda: REPLACED_AT)

    assert verify_backup(attested).ok
    assert result.reused == ()  # a replace is a new backup, never a resumed leftover
    assert read_manifest(attested).started_local == REPLACED_AT
    assert [c.location for c in content_attestations(attested)] == ["s3://archive/mail"]
    assert result.previous == attested.parent.resolve() / "backup.previous-20250301T093000Z"
    assert (result.previous / MANIFEST).read_bytes() == old_manifest and verify_backup(result.previous).ok
    assert (result.previous / ATTESTATIONS).exists()
    assert not (attested.parent / "backup.replacing").exists()


def test_a_signed_replace_lands_signed(graph, attested: Path) -> None:  # type: ignore[no-untyped-def]
    key = Ed25519PrivateKey.generate()
    result = export_backup(graph, attested, replace=True, sign_key=key)
    assert result.signature == attested / "manifest.json.sig"
    assert verify_backup(attested, key.public_key()).ok


def test_a_directory_the_operator_named_like_the_staging_one_is_never_deleted(graph, attested: Path) -> None:  # type: ignore[no-untyped-def]
    mine = attested.parent / "backup.replacing"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="is not a closegate backup being replaced"):
        export_backup(graph, attested, replace=True)
    assert (mine / "notes.txt").read_text() == "keep me"
