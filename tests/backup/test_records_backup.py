"""What the backup keeps of records, holds and devices: BitLocker keys only on request and only encrypted,
the logs and inventories Graph shows, sign-ins as not available without the licence, and the holds
CG-019 falls back to once Graph stops showing them."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from closegate.backup import export_backup, read_backup, verify_backup
from closegate.backup.export import NOT_REQUESTED, Secrets
from closegate.backup.jsonl import iter_records
from closegate.backup.manifest import read_manifest
from closegate.backup.recorded import recorded_cases
from closegate.backup.secrets import decrypt_records, new_identity
from closegate.emulator import Emulator
from closegate.errors import ConfigError
from closegate.graph import Clients

KEYS = "bitlocker-recovery-keys"


def _everything_on_disk(directory: Path) -> bytes:
    """Every byte under `directory`, gzip files decompressed: where a key in clear would show."""
    out = b""
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        data = path.read_bytes()
        out += gzip.decompress(data) if path.name.endswith(".gz") else data
    return out


def test_bitlocker_keys_are_read_only_on_request_and_written_only_encrypted(
        tenant: Callable[[str], Emulator], clients_for: Callable[[Emulator], Clients], backup_dir: Path) -> None:
    emu = tenant("demo")
    identity, recipient = new_identity()
    announced: list[str] = []
    secrets = Secrets(include=True, recipient=recipient, on_read=lambda s: announced.append(s.name))
    result = export_backup(clients_for(emu).graph, backup_dir, secrets=secrets)
    assert announced == [KEYS]  # said before the first key was read
    entry = result.manifest.entry(KEYS)
    assert entry is not None and entry.recipient == recipient and entry.objects == 4
    ciphertext = (backup_dir / entry.file).read_bytes()
    assert ciphertext.startswith(b"age-encryption.org/v1")
    keys = {k.id: k.key for k in emu.state.records.bitlocker_keys}
    assert {r["id"]: r["key"] for r in decrypt_records(ciphertext, identity)} == keys
    disk = _everything_on_disk(backup_dir)
    assert not any(key.encode() in disk for key in keys.values())
    assert verify_backup(backup_dir).ok
    summary = read_backup(backup_dir, timedelta(days=7))
    assert summary is not None and summary.bitlocker_key_ids == frozenset(keys) and summary.recipient == recipient
    # Microsoft audits each read: the directory audit log now shows one "Read BitLocker key" per key.
    reads = [a for a in emu.state.records.audits if a.activity == "Read BitLocker key"]
    assert len(reads) == len(keys)


def test_without_the_flag_no_key_is_read_and_the_manifest_says_why(
        tenant: Callable[[str], Emulator], clients_for: Callable[[Emulator], Clients], backup_dir: Path) -> None:
    emu = tenant("demo")
    result = export_backup(clients_for(emu).graph, backup_dir)
    entry = result.manifest.entry(KEYS)
    assert entry is not None and entry.unavailable == NOT_REQUESTED
    assert not [a for a in emu.state.records.audits if a.activity == "Read BitLocker key"]
    assert not [e for e in emu.operator.request_log() if "$select=key" in e["path"].replace("%24", "$")]


def test_asking_for_keys_without_a_recipient_fails_before_anything_is_read(
        tenant: Callable[[str], Emulator], clients_for: Callable[[Emulator], Clients], backup_dir: Path) -> None:
    emu = tenant("demo")
    emu.operator.clear_request_log()
    with pytest.raises(ConfigError, match="needs \\[backup\\] recipient"):
        export_backup(clients_for(emu).graph, backup_dir, secrets=Secrets(include=True))
    with pytest.raises(ConfigError, match="not an age X25519 recipient"):
        export_backup(clients_for(emu).graph, backup_dir, secrets=Secrets(include=True, recipient="ssh-ed25519 AAAA"))
    assert [e for e in emu.operator.request_log() if "/v1.0/" in e["path"]] == []


def test_edited_ciphertext_does_not_verify(
        tenant: Callable[[str], Emulator], clients_for: Callable[[Emulator], Clients], backup_dir: Path) -> None:
    _, recipient = new_identity()
    export_backup(clients_for(tenant("demo")).graph, backup_dir, secrets=Secrets(include=True, recipient=recipient))
    path = backup_dir / f"{KEYS}.jsonl.gz.age"
    path.write_bytes(path.read_bytes()[:-1] + b"\0")
    check = verify_backup(backup_dir)
    assert not check.ok and any(p.startswith(f"{KEYS}.jsonl.gz.age: SHA-256") for p in check.problems)


def test_logs_devices_groups_and_holds_are_kept_and_sign_ins_need_the_licence(
        tenant: Callable[[str], Emulator], clients_for: Callable[[Emulator], Clients], backup_dir: Path) -> None:
    emu = tenant("demo")
    manifest = export_backup(clients_for(emu).graph, backup_dir).manifest
    kept = {e.name: e.objects for e in manifest.files if not e.unavailable}
    assert kept["devices"] == 5 and kept["autopilot-devices"] == 3 and kept["bitlocker-key-metadata"] == 4
    assert kept["directory-audits"] >= 1 and kept["sign-ins"] >= 1 and kept["mailbox-purposes"] >= 3
    owners = list(iter_records(backup_dir / "group-owners.jsonl.gz"))
    assert {o["groupId"] for o in owners} and all(o.get("userPrincipalName") for o in owners)
    assert read_manifest(backup_dir).entry("retention-labels").unavailable  # labels refuse app tokens
    recorded = recorded_cases(backup_dir, emu.tenant_id)
    assert recorded is not None
    holds = {h.display_name: h for c in recorded.cases for h in c.holds}
    assert holds["Fabrikam litigation hold"].active and not holds["HR investigation hold"].active
    assert holds["Fabrikam litigation hold"].sites == ("https://contoso.sharepoint.com/sites/finance",)
    assert recorded_cases(backup_dir, "another-tenant") is None


def test_sign_ins_are_recorded_as_not_available_without_entra_id_p1(
        tenant: Callable[[str], Emulator], clients_for: Callable[[Emulator], Clients], backup_dir: Path) -> None:
    manifest = export_backup(clients_for(tenant("ready")).graph, backup_dir).manifest
    entry = manifest.entry("sign-ins")
    assert entry is not None and "Authentication_RequestFromNonPremiumTenantOrB2CTenant" in entry.unavailable
    assert verify_backup(backup_dir).ok
