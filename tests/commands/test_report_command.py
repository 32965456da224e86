from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate.commands import report as report_command
from tests.reporting import runs


def cli() -> click.Group:
    group = click.Group("closegate")
    report_command.register(group)
    return group


def write_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return key


def test_report_then_verify_round_trip(tmp_path: Path) -> None:
    run = tmp_path / "run.json"
    run.write_text(runs.cannot_determine().dumps(), encoding="utf-8")
    write_key(tmp_path / "key.pem")
    result = CliRunner().invoke(cli(), ["report", str(run), "--format", "html,junit", "--sign-key",
                                        str(tmp_path / "key.pem"), "--page-size", "letter"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in tmp_path.iterdir()} >= {"report.html", "junit.xml", "run.json.sig"}
    verified = CliRunner().invoke(cli(), ["verify", str(run), "--report", str(tmp_path / "report.html"), "--json"])
    assert verified.exit_code == 0, verified.output
    body = json.loads(verified.output)
    assert body["verified"] and body["run_id"] == runs.cannot_determine().run_id and len(body["proofs"]) == 3


def test_verify_exits_1_naming_the_tampered_file(tmp_path: Path) -> None:
    run = tmp_path / "run.json"
    run.write_text(runs.demo().dumps(), encoding="utf-8")
    assert CliRunner().invoke(cli(), ["report", str(run), "--format", "html"]).exit_code == 0
    html = tmp_path / "report.html"
    html.write_text(html.read_text(encoding="utf-8").replace("NOT READY", "READY"), encoding="utf-8")
    result = CliRunner().invoke(cli(), ["verify", str(run), "--report", str(html)])
    assert result.exit_code == 1
    assert f"MISMATCH {html}: the HTML report was edited" in result.output
    run.write_text(run.read_text().replace('"remaining": 57', '"remaining": 0'))
    assert CliRunner().invoke(cli(), ["verify", str(run)]).exit_code == 1


def test_verify_with_the_wrong_public_key_fails(tmp_path: Path) -> None:
    run = tmp_path / "run.json"
    run.write_text(runs.ready().dumps(), encoding="utf-8")
    write_key(tmp_path / "signer.pem")
    other = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "other.pub").write_bytes(other)
    CliRunner().invoke(cli(), ["report", str(run), "--format", "junit", "--sign-key", str(tmp_path / "signer.pem")])
    assert CliRunner().invoke(cli(), ["verify", str(run)]).exit_code == 0
    assert CliRunner().invoke(cli(), ["verify", str(run), "--public-key", str(tmp_path / "other.pub")]).exit_code == 1


def test_unusable_input_exits_2(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli(), ["verify", str(tmp_path / "missing.json")]).exit_code == 2
    (tmp_path / "run.json").write_text("[]")
    assert CliRunner().invoke(cli(), ["verify", str(tmp_path / "run.json")]).exit_code == 2
    assert CliRunner().invoke(cli(), ["report", str(tmp_path / "run.json")]).exit_code == 2


def _damaged_pdf(path: Path) -> Path:
    """A PDF whose every cross-reference offset is wrong: pypdf warns once per object while reading it."""
    import io
    import re

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(30):
        writer.add_blank_page(200, 200)
    buffer = io.BytesIO()
    writer.write(buffer)
    data = buffer.getvalue()
    cut = data.rfind(b"\nxref\n")
    table = re.sub(rb"(\d{10}) 00000 n", lambda m: b"%010d 00000 n" % (int(m.group(1)) + 7), data[cut:])
    path.write_bytes(data[:cut] + table)
    return path


def test_verify_of_a_damaged_pdf_says_so_in_one_line_without_the_libraries_warnings(tmp_path: Path) -> None:
    # A subprocess: inside pytest, its log capture stands in for Python's last-resort stderr handler.
    import os
    import subprocess
    import sys

    run = tmp_path / "run.json"
    run.write_text(runs.demo().dumps(), encoding="utf-8")
    damaged = [_damaged_pdf(tmp_path / "damaged.pdf"), tmp_path / "truncated.pdf"]
    damaged[1].write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstartxref\n9\n%%EOF\n")
    for pdf in damaged:
        result = subprocess.run([sys.executable, "-m", "closegate", "verify", str(run), "--report", str(pdf)],
                                capture_output=True, text=True, check=False, env={**os.environ, "LC_ALL": "C.UTF-8"},
                                timeout=120)
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith(f"MISMATCH {pdf}: ") and result.stderr.count("\n") == 1, result.stderr
