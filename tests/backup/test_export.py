from __future__ import annotations

import gzip
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from closegate.backup import SOURCES, export_backup, verify_backup
from closegate.backup.jsonl import iter_records, scrub
from closegate.backup.manifest import MANIFEST, read_manifest
from closegate.emulator import Emulator
from closegate.errors import ConfigError
from closegate.graph import Clients


def test_a_backup_holds_every_source_and_verifies(tenant: Callable[[str], Emulator],
                                                   clients_for: Callable[[Emulator], Clients], backup_dir: Path) -> None:
    emu = tenant("demo")
    started = emu.state.clock.now().replace(microsecond=0)
    result = export_backup(clients_for(emu).graph, backup_dir)
    assert [e.name for e in result.manifest.files] == [s.name for s in SOURCES]
    users = result.manifest.entry("users")
    assert users is not None and users.objects == sum(1 for _ in emu.state.live_users())
    assert result.manifest.tenant_id == emu.tenant_id
    # the backup is dated by the tenant's clock when it started (Graph's Date header: whole seconds)
    assert started <= result.manifest.taken <= emu.state.clock.now()
    assert "does not copy mailbox, OneDrive or SharePoint content" in read_manifest(backup_dir).content_note
    check = verify_backup(backup_dir)
    assert check.ok, check.problems
    assert not (backup_dir / "progress.json").exists()


def test_a_second_backup_into_a_complete_one_needs_replace(tenant: Callable[[str], Emulator],
                                                           clients_for: Callable[[Emulator], Clients],
                                                           backup_dir: Path) -> None:
    graph = clients_for(tenant("ready")).graph
    export_backup(graph, backup_dir)
    with pytest.raises(ConfigError, match="already holds a complete backup"):
        export_backup(graph, backup_dir)
    assert export_backup(graph, backup_dir, replace=True).reused == ()


def test_an_interrupted_backup_resumes_without_refetching_completed_files(
        tenant: Callable[[str], Emulator], clients_for: Callable[[Emulator], Clients], backup_dir: Path) -> None:
    emu = tenant("demo")

    def stop_after_groups(entry, reused):  # type: ignore[no-untyped-def]
        if entry.name == "groups":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_backup(clients_for(emu).graph, backup_dir, on_file=stop_after_groups)
    assert not (backup_dir / MANIFEST).exists()
    (backup_dir / "group-members.jsonl.gz.part").write_bytes(b"half a file")  # cut off mid-write
    emu.operator.clear_request_log()

    result = export_backup(clients_for(emu).graph, backup_dir)

    paths = [r["path"].split("?")[0] for r in emu.operator.request_log()]
    for done in ("/v1.0/users", "/v1.0/groups", "/v1.0/domains", "/v1.0/subscribedSkus"):
        assert done not in paths
    assert "/v1.0/roleManagement/directory/roleAssignments" in paths
    assert result.reused == ("organization", "domains", "subscribed-skus", "company-subscriptions", "users", "groups")
    assert verify_backup(backup_dir).ok


def test_hostile_names_round_trip_byte_exact(tenant: Callable[[str], Emulator],
                                            clients_for: Callable[[Emulator], Clients], backup_dir: Path) -> None:
    emu = tenant("hostile")
    export_backup(clients_for(emu).graph, backup_dir)
    saved = {r["id"]: r for r in iter_records(backup_dir / "users.jsonl.gz")}
    expected = {u.id: u for u in emu.state.live_users()}
    assert saved.keys() == expected.keys()
    for user_id, user in expected.items():
        assert saved[user_id]["displayName"].encode("utf-8", "surrogatepass") == \
            user.display_name.encode("utf-8", "surrogatepass")
        assert saved[user_id]["userPrincipalName"] == user.user_principal_name
    assert any(ord(c) > 0xFFFF or c == "\u202e" for u in expected.values() for c in u.display_name)


def test_no_secret_value_reaches_any_backup_file(tenant: Callable[[str], Emulator],
                                                clients_for: Callable[[Emulator], Clients], backup_dir: Path) -> None:
    emu = tenant("demo")
    export_backup(clients_for(emu).graph, backup_dir)
    config = tomllib.loads(emu.config_path.read_text("utf-8"))
    secrets = [config["auth"]["client_secret"], config["emulator"]["readonly_client_secret"],
               config["emulator"]["certificate_pfx_password"]]
    for path in backup_dir.iterdir():
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{path.name} holds a secret"


def test_credentials_keep_their_metadata_and_lose_their_values() -> None:
    app = {"id": "a", "passwordCredentials": [{"keyId": "k1", "displayName": "ci", "endDateTime": "2030-01-01",
                                               "secretText": "s3cr3t", "hint": "s3c"}],
           "keyCredentials": [{"keyId": "k2", "type": "AsymmetricX509Cert", "key": "TUlJQ...",
                               "customKeyIdentifier": "AB12"}],
           "nested": {"secretText": "also"}}
    assert scrub(app) == {"id": "a", "passwordCredentials": [{"keyId": "k1", "displayName": "ci",
                                                               "endDateTime": "2030-01-01"}],
                          "keyCredentials": [{"keyId": "k2", "type": "AsymmetricX509Cert",
                                              "customKeyIdentifier": "AB12"}],
                          "nested": {}}
