"""The open gate on a READY tenant: the API clean-up, the GO certificate, the portal delete, the proof."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader

from closegate.closure.certificate import load_certificate
from closegate.remediation.journal import verify
from tests.closure.conftest import GRAPH_APP_ID, ReadyTenant, cli


def _key(path: Path) -> Path:
    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return path


def test_close_purges_disables_releases_itself_certifies_and_records_the_tenant_gone(
        ready_tenant: ReadyTenant, tmp_path: Path) -> None:
    emu, state = ready_tenant.emu, ready_tenant.emu.state
    out = tmp_path / "run"
    run = ready_tenant.audit(out)
    assert json.loads(run.read_text("utf-8"))["verdict"] == "READY"
    officer = _key(tmp_path / "officer.pem")
    signed = cli("signoff", "--run", str(run), "--by", "Carla Diaz", "--role", "Compliance officer",
                 "--sign-key", str(officer))
    assert signed.exit_code == 0, signed.output
    own_app_id = next(sp.app_id for sp in state.service_principals.values() if sp.display_name.startswith("closegate"))
    assert state.deletion_blockers() != []  # closegate's own principal is still there

    closed = cli("close", "--config", str(ready_tenant.config), "--run", str(run), "--confirm", ready_tenant.domain,
                 "--sign-key", str(officer))
    assert closed.exit_code == 0, closed.output
    text = " ".join(closed.output.split())
    assert "gate OPEN" in text and "Manage tenants > select Northwind Closing" in text
    assert "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/DirectoriesManagement.ReactView" in text
    assert "cannot sign in to this tenant any more" in text

    # What the API allows was done, and closegate's own registration went last: Entra would now accept the delete.
    assert [u for u in state.user_list if u.user_principal_name.startswith("leaver@")] == []
    graph = next(sp for sp in state.service_principals.values() if sp.app_id == GRAPH_APP_ID)
    assert graph.account_enabled is False
    own = [sp for sp in state.service_principals.values() if sp.app_id == own_app_id]
    assert own and all(sp.deleted_at is not None for sp in own)
    assert state.deletion_blockers() == []
    journal = verify(out / "closure-journal.jsonl")
    assert journal.records > 0 and journal.open_intents == ()

    certificate = load_certificate(out / "go-certificate.json")  # its id and signature verify
    assert certificate.signature is not None
    assert certificate.run_id == json.loads(run.read_text("utf-8"))["run_id"]
    assert certificate.tenant_id == emu.tenant_id
    assert [s["by"] for s in certificate.body["signoffs"]] == ["Carla Diaz"]
    assert certificate.body["signoffs"][0]["verification"] == "signature verified"
    assert certificate.body["final_step"]["own_app_deleted"] is True
    changed = {a["action_id"]: a["changed"] for a in certificate.body["final_step"]["actions"]}
    assert changed == {"purge_recycle_bin": 1, "disable_undeletable_service_principals": 1,
                       "delete_closegate_registration": 1}
    pdf = PdfReader(str(out / "go-certificate.pdf"))
    words = "".join((page.extract_text() or "").replace("\x00", "") for page in pdf.pages)
    flat = words.replace("\n", "")
    assert certificate.run_id in flat and emu.tenant_id in flat and certificate.certificate_id in flat
    assert "Northwind Closing" in words and "Carla Diaz" in words and "Compliance officer" in words
    assert "signature verified" in words

    # Before the portal delete the tenant still answers: a wait that runs out of time exits 3.
    early = cli("close", "--config", str(ready_tenant.config), "--run", str(run), "--wait", "--timeout-minutes", "0")
    assert early.exit_code == 3, early.output
    assert "the tenant exists" in early.output and not (out / "closure-evidence.json").exists()

    emu.operator.delete_tenant()  # the Global Administrator's portal step (no force: no blocker remains)
    waited = cli("close", "--config", str(ready_tenant.config), "--run", str(run), "--wait", "--poll-seconds", "0")
    assert waited.exit_code == 0, waited.output
    evidence = json.loads((out / "closure-evidence.json").read_text("utf-8"))
    assert evidence["tenant_id"] == emu.tenant_id and evidence["run_id"] == certificate.run_id
    assert evidence["go_certificate_id"] == certificate.certificate_id
    assert evidence["first_seen_gone"] == evidence["polls"][-1]["at"]
    assert evidence["aadsts_answer"]["status"] == 400 and "AADSTS90002" in evidence["aadsts_answer"]["raw"]
    assert "closure evidence:" in waited.output and "closure-evidence.json" in waited.output

    # Sign-in is impossible now: the tenant is gone.
    assert cli("audit", "--config", str(ready_tenant.config), "--out", str(tmp_path / "after")).exit_code == 2

    # Everything the closure wrote (and the backup it relied on) is readable by its owner only.
    written = [p for folder in (out, ready_tenant.config.parent / "backup") for p in folder.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"run.json", "signoffs.json", "close-audit.json", "closure-journal.jsonl",
                                         "closure-plan.json", "release-plan.json", "go-certificate.json",
                                         "go-certificate.pdf", "closure-evidence.json", "manifest.json"}
    assert [str(p) for p in written if p.stat().st_mode & 0o777 != 0o600] == []


def test_close_again_for_the_same_run_only_reports_the_certificate(ready_tenant: ReadyTenant, tmp_path: Path) -> None:
    run = ready_tenant.audit(tmp_path / "run")
    assert cli("signoff", "--run", str(run), "--by", "Carla Diaz", "--role", "Compliance officer").exit_code == 0
    first = cli("close", "--config", str(ready_tenant.config), "--run", str(run), "--confirm", ready_tenant.domain)
    assert first.exit_code == 0, first.output
    ready_tenant.emu.operator.clear_request_log()
    again = cli("close", "--config", str(ready_tenant.config), "--run", str(run), "--confirm", ready_tenant.domain)
    assert again.exit_code == 0 and "already ran" in again.output
    assert ready_tenant.emu.operator.request_log() == []


def test_keep_own_app_leaves_closegate_registered_and_tells_the_admin_to_delete_it_first(
        ready_tenant: ReadyTenant, tmp_path: Path) -> None:
    run = ready_tenant.audit(tmp_path / "run")
    assert cli("signoff", "--run", str(run), "--by", "Carla Diaz", "--role", "Compliance officer").exit_code == 0
    closed = cli("close", "--config", str(ready_tenant.config), "--run", str(run), "--confirm", ready_tenant.domain,
                 "--keep-own-app")
    assert closed.exit_code == 0, closed.output
    text = " ".join(closed.output.split())
    assert "was kept (--keep-own-app): delete it first" in text
    assert "App registrations > All applications > select closegate's registration > Delete" in text
    assert ready_tenant.emu.state.deletion_blockers() != []
