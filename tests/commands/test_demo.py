"""The main job end to end on the demo tenant: NOT READY, backup, plan, remediate, the simulated
portal steps, READY, a report that verifies, sign-offs, close (GO certificate), the simulated portal
delete, and the closure evidence."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from closegate.cli import main
from closegate.closure import signoffs as signoff_file
from closegate.closure.certificate import load_certificate
from closegate.emulator.records_devices import BitLockerKeyRecord
from closegate.emulator.scenarios import load_scenario


def _demo_keys() -> list[BitLockerKeyRecord]:
    """The demo tenant's BitLocker recovery keys, as the emulator holds them (the Microsoft side)."""
    return list(load_scenario("demo").records.bitlocker_keys)


# The whole workflow end to end renders a dozen PDFs: minutes on a loaded 2-core machine, ~1 min idle.
@pytest.mark.timeout(900)
def test_demo_takes_the_demo_tenant_from_not_ready_to_ready_to_closed(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output[-3000:]
    before = json.loads((out / "1-audit-before" / "run.json").read_text("utf-8"))
    after = json.loads((out / "4-audit-after" / "run.json").read_text("utf-8"))
    # The demo tenant's active legal hold stays: the final run fails on it alone (CG-019, kept by the
    # backup once Graph no longer shows it), and General Counsel's legal sign-off lets the gate open.
    assert before["verdict"] == "NOT_READY" and after["verdict"] == "NOT_READY"
    failing_before = {r["check_id"] for r in before["results"] if r["status"] == "FAIL" and r["blocking"]}
    assert {"CG-003", "CG-004", "CG-005", "CG-006", "CG-008", "CG-009", "CG-011"} <= failing_before
    # The app cannot delete a tenant; the closing admin named in the demo's closegate.toml can.
    cg001 = next(r for r in before["results"] if r["check_id"] == "CG-001")
    assert cg001["status"] == "PASS" and "the closing admin configured in closegate.toml" in cg001["message"]
    assert all(r["evidence"].get("closing_admin") for r in before["results"] if r["check_id"] in ("CG-003", "CG-004"))
    unmet = {r["check_id"]: r for r in after["results"] if r["blocking"] and r["status"] not in ("PASS", "NOT_APPLICABLE")}
    assert list(unmet) == ["CG-019"] and "Fabrikam litigation hold" in unmet["CG-019"]["message"]
    assert "the backup taken" in unmet["CG-019"]["evidence"]["source"]  # Graph refused once the licence was gone
    released = unmet["CG-019"]["evidence"]["released_holds"]
    assert [h["hold"] for h in released] == ["HR investigation hold"]
    for name in ("report.html", "report.pdf", "junit.xml"):
        assert (out / "4-audit-after" / name).stat().st_size > 0
    assert "SIMULATED" in result.output
    # Every journal of the run verifies: nothing was applied outside the hash chain.
    for journal in out.glob("*/journal.jsonl"):
        assert CliRunner().invoke(main, ["journal", "verify", str(journal)]).exit_code == 0
    # The close chain: sign-offs bound to the READY run, the GO certificate, then Entra's "tenant not found".
    closed = out / "4-audit-after"
    signoffs = signoff_file.for_run(signoff_file.load(closed), after["run_id"])
    assert signoffs and all(s.verification() is signoff_file.Verification.VERIFIED for s in signoffs)
    legal = [s for s in signoffs if s.is_legal]
    assert [(s.by, s.role) for s in legal] == [("Ada Lovelace", "General counsel")]
    certificate = load_certificate(closed / "go-certificate.json")
    assert certificate.run_id == after["run_id"] and certificate.tenant_id == after["tenant"]["id"]
    assert [s["by"] for s in certificate.body["signoffs"]] == [s.by for s in signoffs if not s.is_legal]
    assert [s["by"] for s in certificate.body["legal_signoffs"]] == ["Ada Lovelace"]
    assert certificate.body["accepted_by_legal_signoff"] == ["CG-019"]
    assert "Legal sign-off (CG-019)" in (closed / "report.html").read_text("utf-8")
    # The BitLocker keys are in the backup, encrypted: never in clear on disk or in the output.
    keys = [k.key for k in _demo_keys()]
    assert keys and not any(k in result.output for k in keys)
    for path in (p for p in out.rglob("*") if p.is_file() and "tenant" not in p.relative_to(out).parts[:1]):
        data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        assert not any(k.encode() in data for k in keys), path
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


def test_demo_refuses_a_folder_it_did_not_make_and_deletes_nothing(tmp_path: Path) -> None:
    mine = tmp_path / "work"
    mine.mkdir()
    (mine / "notes.txt").write_text("a user's file", encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", "--out", str(mine)])
    assert result.exit_code == 2
    assert "not an earlier demo's output" in result.output and "--out" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "a user's file"
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def test_demo_replaces_only_an_earlier_demo_output(tmp_path: Path) -> None:
    from closegate.commands.demo import MARKER, _clear

    earlier = tmp_path / "demo-output"
    (earlier / "1-audit-before").mkdir(parents=True)
    (earlier / "1-audit-before" / "run.json").write_text("{}", encoding="utf-8")
    (earlier / MARKER).write_text("closegate demo output\n", encoding="utf-8")
    _clear(earlier)
    assert sorted(p.name for p in earlier.iterdir()) == [MARKER]
    empty = tmp_path / "empty"
    empty.mkdir()
    _clear(empty)
    assert (empty / MARKER).is_file()
