"""The legal sign-off: a person in a legal role accepts a run's active legal holds (CG-019), and the gate
counts it for that check only; it is never one of the required approvals."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate.attestations import Attestation
from closegate.cli import main
from closegate.closure import signoffs as signoff_file
from closegate.closure.signoffs import LEGAL, SignoffRequirement, Verification, append_signoff, make_signoff
from closegate.commands.audit import write_run
from closegate.errors import ConfigError
from closegate.facts import CALLER
from closegate.facts_records import EdiscoveryCase, HoldPolicy, Listing
from closegate.gate import decide
from closegate.models import RunRecord
from closegate.registry import catalog
from closegate.reporting.html import render_html
from closegate.runner import RunSettings, run
from tests.closure.policies import unsigned_allowed
from tests.fakes import ATTESTED_READY, NOW, BackedUpTenant, user

FULL = catalog(plugins=False)
HOLD = HoldPolicy("h1", "Fabrikam litigation hold", True, "success", ("grace@contoso.com",))
HELD = Listing((EdiscoveryCase("c1", "Fabrikam v. Contoso", "active", holds=(HOLD,)),))
SIGNED = tuple(Attestation(i, "checked", "Dana", NOW - timedelta(hours=1)) for i in ATTESTED_READY if i != "CG-019")


def _record(**facts: object) -> RunRecord:
    tenant = BackedUpTenant()
    tenant = tenant.with_(caller=replace(tenant.value(CALLER), kind="app"), **{"ediscovery_cases": HELD, **facts})
    return run(tenant, FULL, RunSettings(clock=lambda: NOW, attestations=SIGNED))


def _reasons(record: RunRecord, *signoffs: object) -> tuple[str, ...]:
    requirement = SignoffRequirement(signoffs, 1)  # type: ignore[arg-type]
    return decide(record, FULL, now=NOW + timedelta(minutes=1), max_age=timedelta(minutes=15), attestations=SIGNED,
                  signoffs=requirement).reasons


def _approver(record: RunRecord) -> object:
    return make_signoff(record, "Carla Diaz", "Compliance officer", NOW)


def test_the_gate_accepts_the_failing_legal_hold_check_only_with_a_legal_sign_off() -> None:
    record = _record()
    assert record.result("CG-019").status.value == "FAIL" and record.result("CG-019").legal_signoff
    (reason,) = _reasons(record, _approver(record))
    assert reason.startswith("CG-019 failed: 1 legal holds") and "closegate signoff --legal" in reason
    counsel = make_signoff(record, "Ada Lovelace", "General counsel", NOW, category=LEGAL)
    assert _reasons(record, _approver(record), counsel) == ()


def test_a_legal_sign_off_accepts_no_other_failure_and_is_not_a_required_approval() -> None:
    record = _record(users=(user("admin@contoso.onmicrosoft.com"), user("bob@contoso.com")))
    counsel = make_signoff(record, "Ada Lovelace", "General counsel", NOW, category=LEGAL)
    reasons = _reasons(record, counsel)
    assert any(r.startswith("CG-004 failed") for r in reasons)
    assert any(r.startswith("0 of 1 required sign-offs") for r in reasons)
    assert not any(r.startswith("CG-019") for r in reasons)


def test_an_approval_cannot_be_relabelled_as_a_legal_sign_off() -> None:
    record = _record()
    approval = make_signoff(record, "Carla Diaz", "Compliance officer", NOW, Ed25519PrivateKey.generate())
    relabelled = replace(approval, category=LEGAL)
    assert approval.verification() is Verification.VERIFIED
    assert relabelled.verification() is Verification.INVALID
    assert SignoffRequirement((relabelled,), 1).legal(record.run_id, NOW) == ()
    assert base64.b64decode(approval.signature) != base64.b64decode(
        make_signoff(record, "Carla Diaz", "x", NOW, Ed25519PrivateKey.generate(), category=LEGAL).signature)


def test_one_person_may_approve_and_sign_for_legal_once_each(tmp_path: Path) -> None:
    record = _record()
    append_signoff(tmp_path, _approver(record))  # type: ignore[arg-type]
    append_signoff(tmp_path, make_signoff(record, "Carla Diaz", "General counsel", NOW, category=LEGAL))
    with pytest.raises(ConfigError, match="already signed a legal sign-off of run"):
        append_signoff(tmp_path, make_signoff(record, "carla  diaz", "Counsel", NOW, category=LEGAL))
    assert [s.category for s in signoff_file.load(tmp_path)] == ["", "legal"]


def test_signoff_legal_names_the_holds_it_accepts_and_refuses_a_run_without_any(tmp_path: Path) -> None:
    record = _record()
    path = write_run(record, tmp_path / "held", reports=False)
    config = str(unsigned_allowed(tmp_path / "config"))
    result = CliRunner().invoke(main, ["signoff", "--legal", "--config", config, "--run", str(path), "--by",
                                       "Ada Lovelace", "--role", "General counsel"])
    assert result.exit_code == 0, result.output
    assert "'Fabrikam litigation hold' (case 'Fabrikam v. Contoso')" in result.output
    (signoff,) = signoff_file.load(path.parent)
    assert signoff.is_legal and signoff.run_id == record.run_id
    clean = write_run(_record(ediscovery_cases=Listing()), tmp_path / "clean", reports=False)
    refused = CliRunner().invoke(main, ["signoff", "--legal", "--config", config, "--run", str(clean), "--by", "Ada",
                                        "--role", "Counsel"])
    assert refused.exit_code == 2 and "no active legal hold for a legal sign-off to accept" in refused.output


def test_the_report_names_the_holds_on_the_sign_off_page_and_the_legal_sign_off_once_recorded() -> None:
    record = _record()
    counsel = make_signoff(record, "Ada Lovelace", "General counsel", NOW, category=LEGAL)
    blank = render_html(record)
    assert "Legal sign-off (CG-019)" in blank and "&#39;Fabrikam litigation hold&#39;" in blank
    assert "A legal sign-off bound to this run may accept CG-019" in blank
    signed = render_html(record, signoffs=(counsel,))
    assert "Legal sign-offs bound to run" in signed and "Ada Lovelace" in signed
    # Records and legal is a section of its own, right after the backup step
    assert blank.index('id="step-0"') < blank.index('id="records"') < blank.index('id="step-1"')
