"""--log-file: JSON lines, one object per record, and never a secret or a token in the file."""

from __future__ import annotations

import json
import logging
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner

from closegate import logs
from closegate.cli import main
from closegate.config import load_settings

JWT = ("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20iLCJyb2xlcyI6W119"
       ".c2lnbmF0dXJlLW9mLXRoZS10b2tlbg")
SECRET = "Qx8~s3cr3t.value-that-must-never-appear"


@pytest.fixture(autouse=True)
def _detach() -> Iterator[None]:
    yield
    logs.configure(None)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_a_logged_config_and_a_token_bearing_request_leave_no_secret_in_the_file(tmp_path: Path) -> None:
    config = tmp_path / "closegate.toml"
    config.write_text(tomli_w.dumps({
        "tenant": {"id": "contoso.onmicrosoft.com"},
        "auth": {"method": "client_secret", "client_id": "11111111-2222-3333-4444-555555555555",
                 "client_secret": SECRET},
    }), encoding="utf-8")
    settings = load_settings(config, environ={})
    path = tmp_path / "closegate.log"
    logs.configure(path)
    log = logs.get_logger("test")
    log.info("loaded configuration", extra={"settings": settings, "raw": tomllib.loads(config.read_text())})
    log.info("request", extra={
        "method": "POST",
        "url": f"https://login.microsoftonline.com/t/oauth2/v2.0/token?client_secret={SECRET}&x=1",
        "headers": {"Authorization": f"Bearer {JWT}", "Content-Type": "application/x-www-form-urlencoded"},
        "body": f"grant_type=client_credentials&client_secret={SECRET}&client_assertion={JWT}",
        "response": {"access_token": JWT, "token_type": "Bearer", "expires_in": 3599},
    })
    log.info("token for %s is %s", "graph", JWT)
    log.warning("private key\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----")
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text
    assert "eyJ" not in text and "MIIEvQ" not in text
    records = lines(path)
    assert [r["message"] for r in records][:2] == ["loaded configuration", "request"]
    request = records[1]
    assert request["headers"]["Authorization"] == logs.REDACTED
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert request["response"]["expires_in"] == 3599 and request["response"]["access_token"] == logs.REDACTED
    assert "x=1" in request["url"]  # only the secret part of a URL goes
    assert records[0]["settings"]["tenant_id"] == "contoso.onmicrosoft.com"
    assert {"time", "level", "logger", "message"} <= set(records[0])


def test_a_remembered_secret_is_redacted_wherever_it_appears(tmp_path: Path) -> None:
    path = tmp_path / "closegate.log"
    logs.configure(path)
    logs.remember_secret("plain-looking-passphrase-42")
    logs.get_logger().info("opened the PFX with plain-looking-passphrase-42 for the app")
    assert "plain-looking-passphrase-42" not in path.read_text(encoding="utf-8")


def test_an_exception_traceback_is_scrubbed_too(tmp_path: Path) -> None:
    path = tmp_path / "closegate.log"
    logs.configure(path)
    try:
        raise RuntimeError(f"server echoed Authorization: Bearer {JWT}")
    except RuntimeError:
        logs.get_logger().exception("failed")
    record = lines(path)[0]
    assert "RuntimeError" in record["exception"] and "eyJ" not in path.read_text(encoding="utf-8")


def test_without_log_file_nothing_reaches_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    logs.get_logger().warning("nobody asked for a log")
    assert capsys.readouterr().err == ""


def test_the_log_file_is_private_to_the_operator(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "closegate.log"
    logs.configure(path)
    assert path.stat().st_mode & 0o077 == 0


def test_log_file_option_records_a_real_sign_in_and_graph_requests_without_secrets(
        emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    doc = tomllib.loads(emulator.config_path.read_text(encoding="utf-8"))
    path = tmp_path / "run.log"
    result = CliRunner().invoke(main, ["--log-file", str(path), "doctor", "--config", str(emulator.config_path)])
    assert result.exit_code in (0, 2), result.output
    text = path.read_text(encoding="utf-8")
    records = lines(path)
    assert records[0]["message"] == "command started" and "doctor" in records[0]["argv"]
    assert records[-1]["message"] == "command finished" and records[-1]["exit_code"] == result.exit_code
    assert any(r["logger"].startswith("urllib3") and "/v1.0/" in r["message"] for r in records)
    assert doc["auth"]["client_secret"] not in text and "eyJ" not in text
    assert logging.getLogger("closegate").handlers  # still the NullHandler; the file handler came and went


def test_a_failed_sign_in_is_logged_with_its_cause_and_without_the_secret(
        emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    doc = tomllib.loads(emulator.config_path.read_text(encoding="utf-8"))
    doc["auth"]["client_secret"] = SECRET
    config = tmp_path / "closegate.toml"
    config.write_text(tomli_w.dumps(doc), encoding="utf-8")
    path = tmp_path / "run.log"
    result = CliRunner().invoke(main, ["--log-file", str(path), "audit", "--config", str(config),
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text and "eyJ" not in text
    assert any(r["message"] == "could not run" and "AADSTS7000215" in r["cause"] for r in lines(path))
