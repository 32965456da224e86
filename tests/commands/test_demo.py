"""The main job end to end on the demo tenant: NOT READY, backup, plan, remediate, the simulated
portal steps, READY, and a report that verifies."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from closegate.cli import main


def test_demo_takes_the_demo_tenant_from_not_ready_to_ready(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output[-3000:]
    before = json.loads((out / "1-audit-before" / "run.json").read_text("utf-8"))
    after = json.loads((out / "5-audit-after" / "run.json").read_text("utf-8"))
    assert before["verdict"] == "NOT_READY" and after["verdict"] == "READY"
    failing_before = {r["check_id"] for r in before["results"] if r["status"] == "FAIL" and r["blocking"]}
    assert {"CG-003", "CG-004", "CG-005", "CG-006", "CG-008", "CG-009", "CG-011"} <= failing_before
    assert all(r["status"] in ("PASS", "NOT_APPLICABLE") for r in after["results"] if r["blocking"])
    for name in ("report.html", "report.pdf", "junit.xml"):
        assert (out / "5-audit-after" / name).stat().st_size > 0
    assert "SIMULATED" in result.output
    # Every journal of the run verifies: nothing was applied outside the hash chain.
    for journal in out.glob("*/journal.jsonl"):
        assert CliRunner().invoke(main, ["journal", "verify", str(journal)]).exit_code == 0
