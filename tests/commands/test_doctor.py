"""`closegate doctor` against the emulator: who, where, and exactly which permission is missing."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import click
import pytest
import tomli_w
from click.testing import CliRunner

from closegate import permissions
from closegate.auth import MsalTokenProvider, token_claims
from closegate.commands import doctor
from closegate.config import load_settings
from closegate.permissions import PermissionNeed


@pytest.fixture
def cli() -> click.Group:
    @click.group()
    def group() -> None:
        """test group"""

    doctor.register(group)
    return group


def variant(emulator, tmp_path: Path, **auth: str) -> Path:
    doc = tomllib.loads(emulator.config_path.read_text())
    doc["auth"] = auth
    path = tmp_path / "closegate.toml"
    path.write_text(tomli_w.dumps(doc))
    return path


def test_doctor_is_listed_in_the_cli():
    from closegate.cli import COMMAND_MODULES

    assert "closegate.commands.doctor" in COMMAND_MODULES


def satisfiable_needs(purpose: str) -> tuple[PermissionNeed, ...]:
    """Needs the emulator's read-write app satisfies, one directly and one through a higher permission."""
    if purpose == "audit":
        return (PermissionNeed("graph", "Policy.Read.All", (), ("CG-009",)),
                PermissionNeed("graph", "User.Read.All", ("User.ReadWrite.All",), ("CG-001",)),
                PermissionNeed("arm", "Microsoft.Resources/subscriptions/read", (), ("CG-012",)))
    return (PermissionNeed("graph", "User.DeleteRestore.All", (), ("CG-001.delete_users",)),)


def test_app_with_every_permission_is_ready(cli, emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(permissions, "needed", satisfiable_needs)
    result = CliRunner().invoke(cli, ["doctor", "--config", str(emulator.config_path)])
    assert result.exit_code == 0, result.output
    org = tomllib.loads(emulator.config_path.read_text())["tenant"]["id"]
    assert f"id {org}, cloud custom" in result.output
    assert "caller    app closegate" in result.output and "signed in with client secret" in result.output
    assert "azure     yes" in result.output
    assert result.output.rstrip().endswith("ready: nothing missing")


def test_json_output_lists_needs_and_nothing_missing(cli, emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(permissions, "needed", satisfiable_needs)
    result = CliRunner().invoke(cli, ["doctor", "--config", str(emulator.config_path), "--json"])
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["missing"] == []
    assert data["caller_kind"] == "app" and "Policy.Read.All" in data["granted"]
    assert {n["purpose"] for n in data["needs"]} == {"audit", "remediate"}
    assert all(n["satisfied"] for n in data["needs"])


def test_the_real_catalog_verdict_matches_permissions_missing(cli, emulator, monkeypatch, tmp_path):
    """Whatever the checks and actions declare today, doctor's exit code and list agree with it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    settings = load_settings(emulator.config_path, environ={})
    tokens = MsalTokenProvider(settings)
    granted = {*token_claims(tokens.token(settings.cloud.graph_resource))["roles"], permissions.ARM_ACCESS}
    expected = {f"{n.resource}:{n.permission}" for purpose in ("audit", "remediate")
                for n in permissions.missing(frozenset(granted), purpose)}
    result = CliRunner().invoke(cli, ["doctor", "--config", str(emulator.config_path), "--json"])
    data = json.loads(result.output)
    assert set(data["missing"]) == expected
    assert result.exit_code == (2 if expected else 0)


def test_a_missing_permission_exits_2_naming_it_and_how_to_grant_it(cli, emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    extra = load_settings(emulator.config_path, environ={}).emulator
    config = variant(emulator, tmp_path, method="client_secret", client_id=extra["readonly_client_id"],
                     client_secret=extra["readonly_client_secret"])

    def needed(purpose: str) -> tuple[PermissionNeed, ...]:
        if purpose == "remediate":
            return (PermissionNeed("graph", "Policy.ReadWrite.AuthenticationMethod", (), ("CG-009.disable_mfa",)),)
        return (PermissionNeed("graph", "User.Read.All", ("Directory.Read.All",), ("CG-001",)),)

    monkeypatch.setattr(permissions, "needed", needed)
    result = CliRunner().invoke(cli, ["doctor", "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert "missing graph:Policy.ReadWrite.AuthenticationMethod, needed by CG-009.disable_mfa" in result.output
    assert "grant admin consent" in result.output and extra["readonly_client_id"] in result.output
    assert "audit     1 of 1 required permission(s) present" in result.output
    assert extra["readonly_client_secret"] not in result.output


def test_a_signed_in_administrator_sees_their_roles(cli, emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    extra = load_settings(emulator.config_path, environ={}).emulator
    config = variant(emulator, tmp_path, method="device_code", client_id=extra["public_client_id"])
    # Sign in once as the operator would at a terminal; doctor then reuses the saved sign-in.
    MsalTokenProvider(load_settings(config), prompt=lambda p: emulator.operator.approve_device_code(p.user_code)) \
        .token("https://graph.microsoft.com")
    result = CliRunner().invoke(cli, ["doctor", "--config", str(config)])
    assert "caller    user admin@" in result.output, result.output
    assert "Global Administrator" in result.output
    assert "signed in with device code (admin@" in result.output


def test_configuration_errors_are_one_line_and_exit_2(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("AZURE_TENANT_ID", raising=False)
    bad = tmp_path / "closegate.toml"
    bad.write_text('[tenant]\nid = "nope"\n')
    result = CliRunner().invoke(cli, ["doctor", "--config", str(bad)])
    assert result.exit_code == 2
    assert "neither a GUID nor a domain" in result.output and "Traceback" not in result.output


def _b2c_needs(purpose: str) -> tuple[PermissionNeed, ...]:
    if purpose == "remediate":
        return ()
    return (PermissionNeed("graph", "User.Read.All", ("User.ReadWrite.All",), ("CG-001",)),
            PermissionNeed("graph", "IdentityUserFlow.Read.All", (), ("CG-016",), "B2C tenants only"))


def test_b2c_only_permissions_are_shown_only_to_a_b2c_tenant(cli, emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(permissions, "needed", _b2c_needs)
    result = CliRunner().invoke(cli, ["doctor", "--config", str(emulator.config_path), "--json"])
    assert result.exit_code == 0, result.output  # a workforce tenant: the B2C need is none of its business
    assert "IdentityUserFlow.Read.All" not in result.output


def test_a_b2c_tenant_fails_on_a_missing_b2c_permission(cli, emulator_factory, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(permissions, "needed", _b2c_needs)
    b2c = emulator_factory("b2c")
    extra = load_settings(b2c.config_path, environ={}).emulator
    config = variant(b2c, tmp_path, method="client_secret", client_id=extra["readonly_client_id"],
                     client_secret=extra["readonly_client_secret"])
    result = CliRunner().invoke(cli, ["doctor", "--config", str(config), "--json"])
    data = json.loads(result.output.split("\nclosegate doctor:")[0])  # the one stderr line follows the JSON
    assert "IdentityUserFlow.Read.All" not in data["granted"]  # the read-only app has no B2C reads
    assert result.exit_code == 2 and data["missing"] == ["graph:IdentityUserFlow.Read.All"]


def test_an_empty_subscription_list_is_not_azure_access(cli, emulator_factory, monkeypatch, tmp_path):
    from closegate.emulator.builder import ScenarioBuilder

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    emu = emulator_factory(scenario=ScenarioBuilder("Fabrikam").without_azure_access())
    result = CliRunner().invoke(cli, ["doctor", "--config", str(emu.config_path)])
    assert "azure     no: 0 Azure subscription(s) visible, which proves nothing" in result.output, result.output
    assert "elevate access" in result.output and "CG-011 and CG-027 cannot pass" in result.output
    assert result.exit_code == 2  # the Azure reads CG-011 and CG-027 need are missing until then
