"""Arguments that are not valid UTF-8 are refused in one line, exit 2, before anything is written.

A shell passes bytes; Python hands undecodable ones to closegate as lone surrogates (surrogateescape),
which no JSON file, report or log can hold. `attest --by $'\\xed\\xa0\\x80x'` used to crash with a
traceback and leave a temporary file behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from closegate.cli import main
from closegate.commands.audit import write_run
from closegate.registry import catalog
from closegate.runner import RunSettings, run
from tests.fakes import NOW, BackedUpTenant

BAD = b"\xed\xa0\x80x".decode("utf-8", "surrogateescape")  # an encoded surrogate: never valid UTF-8


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("args", [
    ("attest", "CG-015", "--by", BAD, "--statement", "nothing due", "--config", "{out}/closegate.toml"),
    ("attest", "CG-015", "--by", "Dana", "--statement", BAD, "--config", "{out}/closegate.toml"),
    ("signoff", "--run", "{run}", "--by", BAD, "--role", "Compliance officer"),
    ("signoff", "--run", "{run}", "--by", "Carla Diaz", "--role", BAD),
    ("backup", "attest", "--out", "{out}", "--tool", BAD, "--location", "vault", "--by", "Dana"),
])
def test_an_argument_that_is_not_utf8_is_refused_in_one_line_and_nothing_is_written(
        tmp_path: Path, args: tuple[str, ...]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "closegate.toml").write_text('[tenant]\nid = "contoso.onmicrosoft.com"\n', "utf-8")
    record = write_run(run(BackedUpTenant(), catalog(plugins=False), RunSettings(clock=lambda: NOW)), out,
                       reports=False)
    before = _files(tmp_path)
    result = CliRunner().invoke(main, [a.format(out=out, run=record) for a in args])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "is not valid UTF-8" in lines[0] and "nothing was written" in lines[0]
    assert "[U+DCED][U+DCA0][U+DC80]x" in lines[0]  # shown, never echoed raw
    assert _files(tmp_path) == before  # no attestations, no sign-off, no .tmp


def test_the_real_command_line_refuses_undecodable_bytes(tmp_path: Path) -> None:
    """Through the shell's bytes, as the issue typed it: no traceback, exit 2, no file."""
    by = os.fsdecode(b"\xed\xa0\x80x")
    result = subprocess.run([sys.executable, "-m", "closegate", "attest", "CG-015", "--by", by, "--statement", "s",
                             "--config", str(tmp_path / "closegate.toml")], capture_output=True, text=True, check=False,
                            env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()
