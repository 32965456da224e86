"""Every file closegate writes in an output folder is readable by its owner only (0600).

Run records, plans, journals, sign-offs, reports and backups describe a tenant and its closure; the
journal and the backup files used to be 0644. The demo (tests/commands/test_demo.py) and a closure
that opens the gate (tests/closure/test_close_opens.py) assert the same over everything they write.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from closegate.cli import main
from closegate.emulator import Emulator


def _modes(*folders: Path) -> dict[str, str]:
    return {str(p): oct(p.stat().st_mode & 0o777) for folder in folders for p in folder.rglob("*") if p.is_file()}


def test_audit_backup_plan_remediate_signoff_report_and_close_write_owner_only_files(
        emulator_factory: Callable[..., Emulator], tmp_path: Path) -> None:
    emu = emulator_factory("demo")
    config, out, backup = str(emu.config_path), tmp_path / "out", tmp_path / "backup"

    def run(*args: str, expect: tuple[int, ...] = (0,)) -> Any:
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code in expect, result.output
        return result

    run("--log-file", str(tmp_path / "logs" / "closegate.log"), "audit", "--config", config, "--out", str(out),
        expect=(1,))
    run("backup", "--config", config, "--out", str(backup))
    run("backup", "attest", "--out", str(backup), "--tool", "M365 Backup", "--location", "vault", "--by", "Dana")
    run("attest", "CG-015", "--by", "Dana", "--statement", "nothing due", "--config", config)
    run("plan", "--config", config, "--run", str(out / "run.json"), "--out", str(out))
    domain = json.loads((out / "plan.json").read_text("utf-8"))["primary_domain"]
    run("remediate", "--config", config, "--plan", str(out / "plan.json"), "--apply", "--confirm",
        domain, "--step", "4", expect=(0, 1))
    run("signoff", "--run", str(out / "run.json"), "--by", "Carla Diaz", "--role", "Compliance officer")
    run("report", str(out / "run.json"))
    run("close", "--config", config, "--run", str(out / "run.json"), "--confirm", domain, expect=(1,))
    modes = _modes(out, backup, tmp_path / "logs")
    kept = emu.config_path.parent / "attestations.json"  # kept with the configuration (closegate.attestations)
    modes[str(kept)] = oct(kept.stat().st_mode & 0o777)
    for name in ("run.json", "report.html", "report.pdf", "junit.xml", "plan.json", "journal.jsonl",
                 "signoffs.json", "close-audit.json"):
        assert str(out / name) in modes, name
    assert any("/backup/" in path for path in modes)
    assert {path: mode for path, mode in modes.items() if mode != "0o600"} == {}
