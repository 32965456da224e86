from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate.backup import export_backup, sign_manifest, verify_backup
from closegate.cli import main
from closegate.emulator import Emulator
from closegate.graph import Clients


@pytest.fixture
def taken(tenant: Callable[[str], Emulator], clients_for: Callable[[Emulator], Clients], backup_dir: Path) -> Path:
    export_backup(clients_for(tenant("demo")).graph, backup_dir)
    return backup_dir


def _pem(path: Path, key: Ed25519PrivateKey, public: bool = False) -> Path:
    if public:
        path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo))
    else:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return path


def test_one_flipped_byte_is_named(taken: Path) -> None:
    path = taken / "users.jsonl.gz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    problems = verify_backup(taken).problems
    assert len(problems) == 1 and problems[0].startswith("users.jsonl.gz: SHA-256")


def test_a_removed_file_is_named(taken: Path) -> None:
    (taken / "groups.jsonl.gz").unlink()
    assert verify_backup(taken).problems == ("groups.jsonl.gz: missing",)


def test_an_edited_count_in_the_manifest_is_named(taken: Path) -> None:
    manifest = json.loads((taken / "manifest.json").read_text())
    entry = next(e for e in manifest["files"] if e["name"] == "users")
    entry["objects"] += 1
    (taken / "manifest.json").write_text(json.dumps(manifest))
    assert verify_backup(taken).problems == (f"users.jsonl.gz: holds {entry['objects'] - 1} objects, "
                                             f"the manifest says {entry['objects']}",)


def test_a_manifest_entry_removed_is_named(taken: Path) -> None:
    manifest = json.loads((taken / "manifest.json").read_text())
    manifest["files"] = [e for e in manifest["files"] if e["name"] != "users"]
    (taken / "manifest.json").write_text(json.dumps(manifest))
    assert verify_backup(taken).problems == ("manifest.json: no entry for users",)


def test_a_manifest_pointing_elsewhere_is_refused(taken: Path) -> None:
    manifest = json.loads((taken / "manifest.json").read_text())
    next(e for e in manifest["files"] if e["name"] == "users")["file"] = "../../etc/passwd"
    (taken / "manifest.json").write_text(json.dumps(manifest))
    assert "instead of 'users.jsonl.gz'" in verify_backup(taken).problems[0]


def test_a_signed_manifest_verifies_and_any_edit_breaks_the_signature(taken: Path, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    sign_manifest(taken, key)
    assert verify_backup(taken, key.public_key()).ok
    assert verify_backup(taken, Ed25519PrivateKey.generate().public_key()).problems[0].startswith(
        "manifest.json.sig: does not match")
    text = (taken / "manifest.json").read_text()
    (taken / "manifest.json").write_text(text.replace('"tenant_id": "', '"tenant_id": "0'))
    assert any(p.startswith("manifest.json.sig") for p in verify_backup(taken, key.public_key()).problems)


def test_verify_command_exits_non_zero_with_one_line_per_problem(taken: Path, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    sign_manifest(taken, key)
    pub = _pem(tmp_path / "pub.pem", key, public=True)
    ok = CliRunner().invoke(main, ["backup", "verify", str(taken), "--pubkey", str(pub)])
    assert ok.exit_code == 0 and "signature valid" in ok.output
    (taken / "domains.jsonl.gz").unlink()
    bad = CliRunner().invoke(main, ["backup", "verify", str(taken), "--pubkey", str(pub)])
    assert bad.exit_code == 1
    assert "domains.jsonl.gz: missing" in bad.output


def test_backup_command_writes_a_signed_backup_and_says_content_is_not_copied(
        tenant: Callable[[str], Emulator], tmp_path: Path) -> None:
    emu = tenant("ready")
    key = _pem(tmp_path / "sign.pem", Ed25519PrivateKey.generate())
    out = tmp_path / "cli-backup"
    result = CliRunner().invoke(main, ["backup", "--out", str(out), "--config", str(emu.config_path),
                                       "--sign-key", str(key)])
    assert result.exit_code == 0, result.output
    assert "does not copy mailbox, OneDrive or SharePoint content" in result.output
    assert (out / "manifest.json.sig").exists()
    assert verify_backup(out).notes[0].startswith("manifest.json.sig present but not checked")
