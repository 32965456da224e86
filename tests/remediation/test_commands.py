"""`closegate journal verify` and `closegate plan` through the CLI."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from closegate.cli import main
from closegate.remediation.journal import Journal


def test_journal_verify_passes_reports_a_torn_tail_and_repairs_it(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with Journal(path) as j:
        j.append([{"type": "intent", "op": "a"}, {"type": "result", "op": "a", "outcome": "applied", "final": True}])
    with path.open("ab") as f:
        f.write(b'{"type":"int')
    result = CliRunner().invoke(main, ["journal", "verify", str(path)])
    assert result.exit_code == 0 and "torn final record" in result.output
    result = CliRunner().invoke(main, ["journal", "verify", str(path), "--repair"])
    assert result.exit_code == 0 and "cut off, each noted" in result.output


def test_journal_verify_fails_on_a_broken_chain(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with Journal(path) as j:
        j.append([{"type": "intent", "op": "a"}, {"type": "intent", "op": "b"}])
    lines = path.read_text().splitlines()
    path.write_text("\n".join(reversed(lines)) + "\n")
    result = CliRunner().invoke(main, ["journal", "verify", str(path)])
    assert result.exit_code == 1 and "does not verify" in result.output


def test_plan_command_writes_a_bound_plan(emulator_factory, tmp_path: Path) -> None:  # noqa: ANN001
    from tests.remediation.conftest import small_tenant

    builder = small_tenant()
    emu = emulator_factory(builder)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["plan", "--config", str(emu.config_path), "--out", str(out),
                                       "--closing-admin", builder.admin_upn])
    assert result.exit_code == 0, result.output
    assert (out / "plan.json").exists() and (out / "run.json").exists()
    assert "delete_users" in result.output
    unknown = CliRunner().invoke(main, ["plan", "--config", str(emu.config_path), "--out", str(out),
                                      "--closing-admin", "nobody@example.com"])
    assert unknown.exit_code == 2 and "nobody@example.com, the closing admin named with --closing-admin, is not one" \
        in " ".join(unknown.output.split())
