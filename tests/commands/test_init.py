"""`closegate init`: a commented closegate.toml that loads, never holds a secret, and is never clobbered."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from closegate.cli import main
from closegate.config import load_settings

TENANT = "contoso.onmicrosoft.com"
CLIENT = "11111111-2222-3333-4444-555555555555"
SECRET = "s3cr3t~value.from-the-environment"


def init(tmp_path: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["init", "--out", str(tmp_path / "closegate.toml"), *args], input=input,
                              catch_exceptions=False)


def test_writes_a_commented_config_that_loads_and_points_at_the_environment_for_the_secret(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SECRET)
    result = init(tmp_path, "--tenant", TENANT, "--client-id", CLIENT)
    assert result.exit_code == 0, result.output
    path = tmp_path / "closegate.toml"
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text and SECRET not in result.output
    assert "AZURE_CLIENT_SECRET" in text and "client_secret =" not in text
    doc = tomllib.loads(text)
    assert doc["tenant"] == {"id": TENANT, "cloud": "global"}
    assert doc["auth"] == {"method": "client_secret", "client_id": CLIENT}
    assert doc["audit"]["max_age_minutes"] == 15 and doc["backup"] == {"dir": "backup", "max_age_days": 7}
    assert doc["signoff"]["required"] == 1
    assert '# closing_admin = "' in text  # offered, commented: only the administrator knows who deletes
    assert '# public_key = "signer.pub.pem"' in text  # offered, commented: signing the backup is a choice
    assert sum(1 for line in text.splitlines() if "#" in line) >= 10  # every value is explained
    settings = load_settings(path, environ={"AZURE_CLIENT_SECRET": SECRET})
    assert settings.tenant_id == TENANT and settings.auth.client_secret is not None
    assert settings.backup_dir == tmp_path / "backup"
    assert "AZURE_CLIENT_SECRET" in result.output and "closegate doctor" in result.output


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "closegate.toml"
    path.write_text("# mine\n", encoding="utf-8")
    result = init(tmp_path, "--tenant", TENANT, "--client-id", CLIENT)
    assert result.exit_code == 2 and "--force" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert path.read_text(encoding="utf-8") == "# mine\n"
    forced = init(tmp_path, "--tenant", TENANT, "--client-id", CLIENT, "--force")
    assert forced.exit_code == 0 and "[tenant]" in path.read_text(encoding="utf-8")


def test_a_bad_tenant_writes_nothing_and_says_why_in_one_line(tmp_path: Path) -> None:
    result = init(tmp_path, "--tenant", "not a tenant", "--client-id", CLIENT)
    assert result.exit_code == 2 and "neither a GUID nor a domain" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "closegate.toml").exists() and list(tmp_path.iterdir()) == []


def test_a_bad_client_id_writes_nothing(tmp_path: Path) -> None:
    result = init(tmp_path, "--tenant", TENANT, "--client-id", "my-app")
    assert result.exit_code == 2 and "not a GUID" in result.stderr
    assert not (tmp_path / "closegate.toml").exists()


def certificate(tmp_path: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "closegate")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    path = tmp_path / "app.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_certificate_auth_records_the_path_relative_to_the_file_and_loads(tmp_path: Path) -> None:
    pem = certificate(tmp_path)
    result = init(tmp_path, "--tenant", "0badf00d-0000-4000-8000-000000000000", "--client-id", CLIENT,
                  "--auth", "certificate", "--certificate", str(pem), "--cloud", "usgov", "--signoffs", "2")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "closegate.toml").read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    assert doc["auth"]["certificate_path"] == "app.pem" and "PRIVATE KEY" not in text
    assert doc["tenant"]["cloud"] == "usgov" and doc["signoff"]["required"] == 2
    settings = load_settings(tmp_path / "closegate.toml", environ={})
    assert settings.auth.method == "certificate" and settings.auth.certificate_path == pem.resolve()
    assert settings.cloud.authority_host == "https://login.microsoftonline.us"


def test_certificate_auth_needs_a_certificate(tmp_path: Path) -> None:
    result = init(tmp_path, "--tenant", TENANT, "--client-id", CLIENT, "--auth", "certificate")
    assert result.exit_code == 2 and "--certificate" in result.stderr


def test_device_code_config_loads_without_any_credential(tmp_path: Path) -> None:
    result = init(tmp_path, "--tenant", TENANT, "--client-id", CLIENT, "--auth", "device_code")
    assert result.exit_code == 0, result.output
    settings = load_settings(tmp_path / "closegate.toml", environ={})
    assert settings.auth.method == "device_code"
    assert "public client flows" in (tmp_path / "closegate.toml").read_text(encoding="utf-8")


def test_prompts_for_tenant_and_client_id_when_not_given(tmp_path: Path) -> None:
    result = init(tmp_path, input=f"{TENANT}\n{CLIENT}\n")
    assert result.exit_code == 0, result.output
    assert tomllib.loads((tmp_path / "closegate.toml").read_text(encoding="utf-8"))["auth"]["client_id"] == CLIENT


def test_init_never_takes_a_secret_on_the_command_line() -> None:
    from closegate.cli import main as group

    options = {opt for param in group.commands["init"].params for opt in getattr(param, "opts", [])}
    assert not any("secret" in opt or "password" in opt for opt in options)


def test_without_a_terminal_a_missing_answer_is_one_line_naming_the_options(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", "--out", str(tmp_path / "closegate.toml")], input="")
    assert result.exit_code == 2
    assert "Aborted" not in result.output
    assert "got no answer" in result.stderr and "--tenant TENANT --client-id APP_ID" in result.stderr
    assert not (tmp_path / "closegate.toml").exists()
