"""Every way a run can fail before it starts: exit 2, ONE line on stderr naming cause and fix, no secret.

Each case is a real configuration problem against the emulator (or a closed port), run through the
real `closegate` command group with CliRunner, the way an administrator meets it.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from closegate.cli import main

WRONG_SECRET = "wrong-secret-Zx81~qQ0.never-valid"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No ambient credentials or token cache: only what each case configures.
    for name in ("AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_CERTIFICATE_PATH",
                 "AZURE_CLIENT_CERTIFICATE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def emulator_doc(emulator: Any) -> dict[str, Any]:
    return tomllib.loads(emulator.config_path.read_text(encoding="utf-8"))


def write(tmp_path: Path, doc: dict[str, Any], name: str = "closegate.toml") -> Path:
    path = tmp_path / name
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    return path


def secrets_of(emulator: Any) -> list[str]:
    doc = emulator_doc(emulator)
    values = [doc["auth"].get("client_secret", ""), doc["emulator"].get("readonly_client_secret", ""),
              doc["emulator"].get("certificate_pfx_password", ""), WRONG_SECRET]
    return [v for v in values if v]


def assert_cannot_run(result: Result, *, mentions: tuple[str, ...], secrets: list[str]) -> str:
    """Exit 2, exactly one non-empty stderr line that names the cause (and a fix), and no secret anywhere."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    line = lines[0]
    for word in mentions:
        assert word.lower() in line.lower(), line
    assert ": " in line  # "closegate: cause: fix"
    for secret in secrets:
        assert secret not in result.stdout and secret not in result.stderr
    assert "Traceback" not in result.stderr
    return line


def self_signed(tmp_path: Path, *, expired: bool, name: str) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.timezone.utc)
    start, end = ((now - dt.timedelta(days=30), now - dt.timedelta(days=1)) if expired
                  else (now - dt.timedelta(days=1), now + dt.timedelta(days=30)))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "closegate test app")])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .sign(key, hashes.SHA256()))
    path = tmp_path / name
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
                     + cert.public_bytes(serialization.Encoding.PEM))
    return path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- configuration -----------------------------------------------------------------------------


def test_missing_config_file(tmp_path: Path) -> None:
    line = assert_cannot_run(run("audit", "--config", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")),
                             mentions=("does not exist", "closegate init"), secrets=[])
    assert "nope.toml" in line


def test_no_configuration_anywhere_names_the_file_looked_for_and_no_made_up_option(tmp_path: Path) -> None:
    line = assert_cannot_run(run("audit", "--out", str(tmp_path / "o")), mentions=("no configuration found",
                             "closegate.toml", "AZURE_TENANT_ID", "closegate init"), secrets=[])
    assert str(tmp_path / "closegate.toml") in line
    assert "--tenant " not in line.replace("init --tenant", "")  # audit has no --tenant option


def test_a_check_both_selected_and_skipped_is_refused(tmp_path: Path) -> None:
    line = assert_cannot_run(run("audit", "--only", "CG-001,CG-004", "--skip", "cg-004"),
                             mentions=("CG-004", "both", "--only", "--skip"), secrets=[])
    assert "CG-001" not in line


def test_verifying_a_backup_folder_that_is_not_there(tmp_path: Path) -> None:
    assert_cannot_run(run("backup", "verify", str(tmp_path / "no-such-backup")),
                      mentions=("no backup folder", "no-such-backup"), secrets=[])


def test_a_pdf_given_as_the_run_record_says_so_in_one_line(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%broken\n")
    for args in (("verify", str(pdf)), ("report", str(pdf)), ("signoff", "--run", str(pdf), "--by", "A", "--role", "B")):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        text = " ".join(result.output.split())
        assert "is a PDF report, not a run record" in text and "--report" in text and "Traceback" not in text


def test_malformed_toml(tmp_path: Path) -> None:
    path = tmp_path / "closegate.toml"
    path.write_text('[tenant]\nid = "contoso.onmicrosoft.com\n', encoding="utf-8")
    assert_cannot_run(run("audit", "--config", str(path)), mentions=("not valid TOML", "fix"), secrets=[])


def test_unknown_key(emulator: Any, tmp_path: Path) -> None:
    doc = emulator_doc(emulator)
    doc["auth"]["clientsecret"] = "typo"
    assert_cannot_run(run("doctor", "--config", str(write(tmp_path, doc))),
                      mentions=("unknown key", "clientsecret", "[auth]"), secrets=secrets_of(emulator))


def test_bad_tenant_id(emulator: Any, tmp_path: Path) -> None:
    doc = emulator_doc(emulator)
    doc["tenant"]["id"] = "not a tenant!"
    assert_cannot_run(run("plan", "--config", str(write(tmp_path, doc)), "--out", str(tmp_path / "o")),
                      mentions=("neither a GUID nor a domain", "Tenant ID"), secrets=secrets_of(emulator))


# -- sign-in -----------------------------------------------------------------------------------


def test_wrong_secret(emulator: Any, tmp_path: Path) -> None:
    doc = emulator_doc(emulator)
    doc["auth"]["client_secret"] = WRONG_SECRET
    assert_cannot_run(run("audit", "--config", str(write(tmp_path, doc)), "--out", str(tmp_path / "o")),
                      mentions=("AADSTS7000215", "secret"), secrets=secrets_of(emulator))


def test_unknown_tenant(emulator: Any, tmp_path: Path) -> None:
    doc = emulator_doc(emulator)
    doc["tenant"]["id"] = "0badf00d-0000-4000-8000-000000000000"
    assert_cannot_run(run("doctor", "--config", str(write(tmp_path, doc))),
                      mentions=("AADSTS90002", "tenant"), secrets=secrets_of(emulator))


def test_expired_certificate(emulator: Any, tmp_path: Path) -> None:
    doc = emulator_doc(emulator)
    doc["auth"] = {"method": "certificate", "client_id": doc["emulator"]["certificate_client_id"],
                   "certificate_path": str(self_signed(tmp_path, expired=True, name="expired.pem"))}
    assert_cannot_run(run("audit", "--config", str(write(tmp_path, doc)), "--out", str(tmp_path / "o")),
                      mentions=("expired", "new certificate"), secrets=secrets_of(emulator))


def test_certificate_not_registered_for_the_app(emulator: Any, tmp_path: Path) -> None:
    doc = emulator_doc(emulator)
    doc["auth"] = {"method": "certificate", "client_id": doc["emulator"]["certificate_client_id"],
                   "certificate_path": str(self_signed(tmp_path, expired=False, name="other.pem"))}
    assert_cannot_run(run("doctor", "--config", str(write(tmp_path, doc))),
                      mentions=("AADSTS700027", "certificate"), secrets=secrets_of(emulator))


def test_no_network_to_the_authority(emulator: Any, tmp_path: Path) -> None:
    doc = emulator_doc(emulator)
    dead = f"https://127.0.0.1:{closed_port()}"
    doc["cloud"]["authority_host"] = dead
    assert_cannot_run(run("audit", "--config", str(write(tmp_path, doc)), "--out", str(tmp_path / "o")),
                      mentions=("cannot reach the sign-in service", "connectivity"), secrets=secrets_of(emulator))


# -- permissions -------------------------------------------------------------------------------


def readonly(emulator: Any, tmp_path: Path) -> Path:
    doc = emulator_doc(emulator)
    doc["auth"] = {"method": "client_secret", "client_id": doc["emulator"]["readonly_client_id"],
                   "client_secret": doc["emulator"]["readonly_client_secret"]}
    return write(tmp_path, doc)


def test_doctor_with_a_read_only_app_names_the_missing_permissions(emulator: Any, tmp_path: Path) -> None:
    result = run("doctor", "--config", str(readonly(emulator, tmp_path)))
    line = assert_cannot_run(result, mentions=("missing", "grant"), secrets=secrets_of(emulator))
    assert "Write" in line  # a *.ReadWrite.* permission the read-only app lacks
    assert "ready: nothing missing" not in result.stdout


def test_remediate_apply_with_a_read_only_app_refuses_before_changing_anything(
        emulator_factory: Callable[..., Any], tmp_path: Path) -> None:
    emu = emulator_factory("demo")
    config = readonly(emu, tmp_path)
    planned = run("plan", "--config", str(config), "--out", str(tmp_path / "out"))
    assert planned.exit_code == 0, planned.output
    before = len(emu.state.users)
    plan = json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))
    result = run("remediate", "--config", str(config), "--plan", str(tmp_path / "out" / "plan.json"), "--apply",
                 "--confirm", plan["primary_domain"])
    assert_cannot_run(result, mentions=("permission", "grant"), secrets=secrets_of(emu))
    assert len(emu.state.users) == before
