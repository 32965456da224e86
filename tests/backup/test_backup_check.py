"""CG-002 against the emulator, through the real Tenant facade reading a real backup."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate.auth import MsalTokenProvider
from closegate.backup import export_backup, record_content_attestation, sign_manifest
from closegate.checks.backup_taken import backup_taken
from closegate.config import load_settings
from closegate.emulator import Emulator
from closegate.graph import Clients, connect
from closegate.models import Status
from closegate.tenant import Tenant
from tests.fakes import run_check


def _tenant(emu: Emulator, backup_dir: Path | None, public_key: Path | None = None) -> Tenant:
    settings = load_settings(emu.config_path)
    tokens = MsalTokenProvider(settings)
    clients = connect(settings, tokens, sleep=lambda s: None)
    return Tenant(clients.graph, clients.arm, tokens, backup_dir=backup_dir, backup_public_key=public_key)


def _public_pem(path: Path, key: Ed25519PrivateKey) -> Path:
    path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    return path


def _backed_up(tenant: Callable[[str], Emulator], clients_for: Callable[[Emulator], Clients], backup_dir: Path,
               *, attest: bool = True) -> Emulator:
    emu = tenant("demo")
    export_backup(clients_for(emu).graph, backup_dir)
    if attest:
        record_content_attestation(backup_dir, scopes=[], tool="Veeam for M365", location="s3://archive/contoso",
                                   by="Dana (GA)", taken=emu.state.clock.now())
    return emu


def test_passes_with_a_fresh_verified_covering_backup_and_attested_content(tenant, clients_for, backup_dir) -> None:  # type: ignore[no-untyped-def]
    emu = _backed_up(tenant, clients_for, backup_dir)
    result = run_check(backup_taken, _tenant(emu, backup_dir))
    assert result.status is Status.PASS, result.message
    assert result.evidence["content_attestations"][0]["location"] == "s3://archive/contoso"


def test_is_error_when_no_backup_is_configured(tenant) -> None:  # type: ignore[no-untyped-def]
    result = run_check(backup_taken, _tenant(tenant("demo"), None))
    assert result.status is Status.ERROR
    assert result.error["cause"] == "no backup configured"


def test_fails_when_stored_content_has_no_attestation(tenant, clients_for, backup_dir) -> None:  # type: ignore[no-untyped-def]
    emu = _backed_up(tenant, clients_for, backup_dir, attest=False)
    result = run_check(backup_taken, _tenant(emu, backup_dir))
    assert result.status is Status.FAIL
    assert "with no attestation of where it was backed up" in result.message
    assert result.evidence["content_not_attested_count"] > 0


def test_fails_when_the_backup_is_stale(tenant, clients_for, backup_dir) -> None:  # type: ignore[no-untyped-def]
    emu = _backed_up(tenant, clients_for, backup_dir)
    emu.operator.advance_clock(days=8)
    result = run_check(backup_taken, _tenant(emu, backup_dir))
    assert result.status is Status.FAIL
    assert "8 days old, over the 7-day limit" in result.message


def test_fails_listing_a_user_added_after_the_backup(tenant, clients_for, backup_dir) -> None:  # type: ignore[no-untyped-def]
    emu = _backed_up(tenant, clients_for, backup_dir)
    with emu.state.lock:
        template = next(emu.state.live_users())
        emu.state.add_user(replace(template, seq=emu.state.next_user_seq(), id="7d3c0000-0000-4000-8000-000000000001",
                                   user_principal_name="late.joiner@contoso.onmicrosoft.com",
                                   display_name="Late Joiner", mailbox_bytes=0, onedrive_bytes=0))
    result = run_check(backup_taken, _tenant(emu, backup_dir))
    assert result.status is Status.FAIL
    assert "1 users are not in the backup (late.joiner@contoso.onmicrosoft.com)" in result.message
    assert result.evidence["users_not_in_backup"][0]["id"] == "7d3c0000-0000-4000-8000-000000000001"


def test_fails_when_the_backup_was_tampered_with(tenant, clients_for, backup_dir) -> None:  # type: ignore[no-untyped-def]
    emu = _backed_up(tenant, clients_for, backup_dir)
    (backup_dir / "users.jsonl.gz").unlink()
    result = run_check(backup_taken, _tenant(emu, backup_dir))
    assert result.status is Status.FAIL
    assert "did not verify" in result.message
    assert "users.jsonl.gz: missing" in result.evidence["problems"]
    assert "users are not in the backup" in result.message  # a missing file covers no one


def test_a_scoped_attestation_covers_only_its_report(tenant, clients_for, backup_dir) -> None:  # type: ignore[no-untyped-def]
    emu = _backed_up(tenant, clients_for, backup_dir, attest=False)
    record_content_attestation(backup_dir, scopes=["mailbox"], tool="Veeam", location="s3://mail",
                               by="Dana (GA)", taken=emu.state.clock.now() - timedelta(hours=1))
    result = run_check(backup_taken, _tenant(emu, backup_dir))
    assert result.status is Status.FAIL
    assert {row["report"] for row in result.evidence["content_not_attested"]} <= {"onedrive", "sharepoint"}


def test_passes_when_the_configured_public_key_verifies_the_signature(tenant, clients_for, backup_dir,  # type: ignore[no-untyped-def]
                                                                      tmp_path) -> None:
    emu = _backed_up(tenant, clients_for, backup_dir)
    key = Ed25519PrivateKey.generate()
    sign_manifest(backup_dir, key)
    result = run_check(backup_taken, _tenant(emu, backup_dir, _public_pem(tmp_path / "signer.pub.pem", key)))
    assert result.status is Status.PASS, result.message
    assert result.message.startswith("a verified, signed backup")
    assert result.evidence["signature"] == {"public_key": str(tmp_path / "signer.pub.pem"), "signed": True,
                                            "valid": True}


def test_fails_naming_the_missing_signature_when_a_public_key_is_configured(tenant, clients_for,  # type: ignore[no-untyped-def]
                                                                            backup_dir, tmp_path) -> None:
    emu = _backed_up(tenant, clients_for, backup_dir)
    pub = _public_pem(tmp_path / "signer.pub.pem", Ed25519PrivateKey.generate())
    result = run_check(backup_taken, _tenant(emu, backup_dir, pub))
    assert result.status is Status.FAIL
    assert result.message == (f"the backup is not signed (no manifest.json.sig), but [backup] public_key {pub} "
                              "requires a signature")
    assert result.evidence["signature"]["signed"] is False


def test_fails_when_the_signature_is_from_another_key(tenant, clients_for, backup_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    emu = _backed_up(tenant, clients_for, backup_dir)
    sign_manifest(backup_dir, Ed25519PrivateKey.generate())
    pub = _public_pem(tmp_path / "signer.pub.pem", Ed25519PrivateKey.generate())
    result = run_check(backup_taken, _tenant(emu, backup_dir, pub))
    assert result.status is Status.FAIL
    assert f"the backup's signature (manifest.json.sig) does not verify with [backup] public_key {pub}" \
        in result.message
    assert result.evidence["signature"] == {"public_key": str(pub), "signed": True, "valid": False}


def test_without_a_public_key_a_signature_is_neither_required_nor_checked(tenant, clients_for,  # type: ignore[no-untyped-def]
                                                                          backup_dir) -> None:
    emu = _backed_up(tenant, clients_for, backup_dir)
    (backup_dir / "manifest.json.sig").write_text("not a signature\n")
    result = run_check(backup_taken, _tenant(emu, backup_dir))
    assert result.status is Status.PASS, result.message
    assert "signature" not in result.evidence


def test_is_error_when_the_configured_public_key_is_not_an_ed25519_key(tenant, clients_for, backup_dir,  # type: ignore[no-untyped-def]
                                                                       tmp_path) -> None:
    emu = _backed_up(tenant, clients_for, backup_dir)
    (tmp_path / "signer.pub.pem").write_text("not a key")
    result = run_check(backup_taken, _tenant(emu, backup_dir, tmp_path / "signer.pub.pem"))
    assert result.status is Status.ERROR
    assert result.error["cause"].startswith(f"cannot read the public key {tmp_path / 'signer.pub.pem'}")
