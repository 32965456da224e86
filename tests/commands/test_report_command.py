from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console

from closegate.commands import report as report_command
from closegate.commands._rendering import rendering
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


def test_report_writes_every_object_list_by_default_and_names_the_folder_once(tmp_path: Path) -> None:
    run = tmp_path / "run.json"
    run.write_text(runs.demo(users=57).dumps(), encoding="utf-8")
    result = CliRunner().invoke(cli(), ["report", str(run)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "report-objects"
    assert {p.name for p in folder.iterdir()} == {"index.csv", "CG-004-users.csv", "CG-006-subscriptions.csv"}
    assert len((folder / "CG-004-users.csv").read_text("utf-8-sig").splitlines()) == 1 + 57
    assert f"wrote {folder}{os.sep} (3 CSV files, index.csv names them)" in result.stdout
    assert "CG-004-users.csv" not in result.stdout
    assert {"report.html", "report.pdf", "junit.xml"} <= {p.name for p in tmp_path.iterdir()}
    assert "rendering" not in result.stderr  # not a terminal: no progress (an untagged record is warned about)


def test_progress_lines_reach_a_terminal_and_nothing_reaches_a_pipe() -> None:
    screen = io.StringIO()
    with rendering(Console(file=screen, force_terminal=True, width=80)) as tell:
        tell("rendering report.pdf: laying out page 3")
    assert "laying out page 3" in screen.getvalue()
    piped = io.StringIO()
    with rendering(Console(file=piped, force_terminal=False)) as tell:
        tell("rendering report.pdf: laying out page 3")
    assert piped.getvalue() == ""


def test_report_on_a_real_terminal_says_while_the_pdf_renders(tmp_path: Path) -> None:
    """`script` gives the command a pseudo-terminal, as an operator's; the status line is transient,
    so it is in what the terminal received even though it is erased once the PDF is written."""
    script = shutil.which("script")
    assert script is not None, "util-linux script(1) is needed to give the command a terminal"
    run = tmp_path / "run.json"
    run.write_text(runs.demo().dumps(), encoding="utf-8")
    command = f"{sys.executable} -m closegate report {run} --format pdf"
    screen = subprocess.run([script, "-qec", command, "/dev/null"], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"}, check=False)
    assert screen.returncode == 0, screen.stdout + screen.stderr
    assert "rendering report.pdf" in screen.stdout
    assert "page" in screen.stdout.split("rendering report.pdf", 1)[1]  # which page is being laid out
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF-")
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
