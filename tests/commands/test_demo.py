"""The main job end to end on the demo tenant: NOT READY, backup, plan, remediate, the simulated
portal steps, READY, a report that verifies, sign-offs, close (GO certificate), the simulated portal
delete, and the closure evidence."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from closegate.cli import main
from closegate.closure import signoffs as signoff_file
from closegate.closure.certificate import load_certificate


def test_demo_takes_the_demo_tenant_from_not_ready_to_ready_to_closed(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output[-3000:]
    before = json.loads((out / "1-audit-before" / "run.json").read_text("utf-8"))
    after = json.loads((out / "5-audit-after" / "run.json").read_text("utf-8"))
    assert before["verdict"] == "NOT_READY" and after["verdict"] == "READY"
    failing_before = {r["check_id"] for r in before["results"] if r["status"] == "FAIL" and r["blocking"]}
    assert {"CG-003", "CG-004", "CG-005", "CG-006", "CG-008", "CG-009", "CG-011"} <= failing_before
    # The app cannot delete a tenant; the closing admin named in the demo's closegate.toml can.
    cg001 = next(r for r in before["results"] if r["check_id"] == "CG-001")
    assert cg001["status"] == "PASS" and "the closing admin configured in closegate.toml" in cg001["message"]
    assert all(r["evidence"].get("closing_admin") for r in before["results"] if r["check_id"] in ("CG-003", "CG-004"))
    assert all(r["status"] in ("PASS", "NOT_APPLICABLE") for r in after["results"] if r["blocking"])
    for name in ("report.html", "report.pdf", "junit.xml"):
        assert (out / "5-audit-after" / name).stat().st_size > 0
    assert "SIMULATED" in result.output
    # Every journal of the run verifies: nothing was applied outside the hash chain.
    for journal in out.glob("*/journal.jsonl"):
        assert CliRunner().invoke(main, ["journal", "verify", str(journal)]).exit_code == 0
    # The close chain: sign-offs bound to the READY run, the GO certificate, then Entra's "tenant not found".
    closed = out / "5-audit-after"
    signoffs = signoff_file.for_run(signoff_file.load(closed), after["run_id"])
    assert signoffs and all(s.verification() is signoff_file.Verification.VERIFIED for s in signoffs)
    certificate = load_certificate(closed / "go-certificate.json")
    assert certificate.run_id == after["run_id"] and certificate.tenant_id == after["tenant"]["id"]
    assert [s["by"] for s in certificate.body["signoffs"]] == [s.by for s in signoffs]
    assert certificate.body["final_step"]["own_app_deleted"] is True
    assert (closed / "go-certificate.pdf").read_bytes().startswith(b"%PDF-")
    evidence = json.loads((closed / "closure-evidence.json").read_text("utf-8"))
    assert evidence["run_id"] == after["run_id"] and evidence["go_certificate_id"] == certificate.certificate_id
    assert evidence["first_seen_gone"] and "AADSTS90002" in evidence["aadsts_answer"]["raw"]
    assert CliRunner().invoke(main, ["journal", "verify", str(closed / "closure-journal.jsonl")]).exit_code == 0
    assert "SIMULATED (portal-only in real life): Entra admin center > Identity > Overview" in " ".join(result.output.split())
    # One mode for every file of the demo, the emulated tenant's own state included: owner-only.
    modes = {str(p.relative_to(out)): oct(p.stat().st_mode & 0o777) for p in out.rglob("*") if p.is_file()}
    assert modes and {path: mode for path, mode in modes.items() if mode != "0o600"} == {}
