"""The pure gate's tenant and confirmation conditions, and the GO certificate's integrity."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate.attestations import Attestation
from closegate.closure.certificate import issue, load_certificate, write_certificate
from closegate.closure.final_step import ActionSummary, FinalStep
from closegate.closure.signoffs import SignoffRequirement, make_signoff
from closegate.errors import IntegrityError
from closegate.gate import LiveTenant, decide
from closegate.models import RunRecord
from closegate.registry import catalog
from closegate.reporting.go_certificate import render_go_certificate_pdf
from closegate.runner import RunSettings, run
from tests.fakes import ATTESTED_READY, NOW, BackedUpTenant

FULL = catalog(plugins=False)
SIGNED = tuple(Attestation(i, "checked", "Dana", NOW - timedelta(hours=1)) for i in ATTESTED_READY)
LATER = NOW + timedelta(minutes=1)


def _record() -> RunRecord:
    return run(BackedUpTenant(), FULL, RunSettings(clock=lambda: NOW, attestations=SIGNED))


def _decide(record: RunRecord, **kw: object) -> tuple[str, ...]:
    return decide(record, FULL, now=LATER, max_age=timedelta(minutes=15), attestations=SIGNED, **kw).reasons  # type: ignore[arg-type]


def test_the_gate_opens_only_for_the_tenant_of_the_run_and_its_typed_domain() -> None:
    record = _record()
    live = LiveTenant(record.tenant.id, record.tenant.primary_domain)
    signed = SignoffRequirement((make_signoff(record, "Carla Diaz", "Compliance officer", NOW),), 1)
    assert _decide(record, live=live, signoffs=signed, confirmation=f" {live.primary_domain.upper()} ") == ()
    assert _decide(record, live=live, signoffs=signed) == ()  # not asked yet: the prompt comes once all else holds
    (wrong,) = _decide(record, live=LiveTenant("another", live.primary_domain), signoffs=signed)
    assert wrong.startswith(f"the run is of tenant {record.tenant.id}, but closegate is signed in to tenant another")
    (typo,) = _decide(record, live=live, signoffs=signed, confirmation="contoso.co")
    assert typo == f"the confirmation typed does not match the tenant's primary domain {live.primary_domain}"


def test_a_confirmation_without_a_re_read_tenant_keeps_the_gate_shut() -> None:
    assert _decide(_record(), confirmation="contoso.com") == (
        "the confirmation cannot be checked without re-reading the tenant's primary domain",)


def _certificate(tmp_path: Path, key: Ed25519PrivateKey | None) -> Path:
    record = _record()
    signoff = make_signoff(record, "Carla Diaz", "Compliance officer", NOW, key)
    final = FinalStep("portal-handoff", (ActionSummary("purge_recycle_bin", "Purge", 2, 2, 0, 0, 0),),
                      str(tmp_path / "closure-journal.jsonl"), "ab" * 32, ("cd" * 32,),
                      "closegate deleted its own registration", True, ("Sign in", "Delete"))
    certificate = issue(record, (signoff,), 1, final, issued=LATER, max_age_minutes=15, key=key)
    json_path, pdf_path = write_certificate(certificate, tmp_path, render_go_certificate_pdf(certificate.to_json()))
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    return json_path


@pytest.mark.parametrize("signed", [True, False])
def test_a_go_certificate_reads_back_and_refuses_any_edit(tmp_path: Path, signed: bool) -> None:
    path = _certificate(tmp_path, Ed25519PrivateKey.generate() if signed else None)
    certificate = load_certificate(path)
    assert certificate.body["decision"] == "GO" and (certificate.signature is not None) is signed
    data = json.loads(path.read_text("utf-8"))
    data["signoffs"][0]["by"] = "Mallory"
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(IntegrityError, match="changed after it was issued"):
        load_certificate(path)


def test_a_go_certificate_with_a_foreign_signature_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    foreign = json.loads(_certificate(other, Ed25519PrivateKey.generate()).read_text("utf-8"))["signature"]
    path = _certificate(tmp_path, Ed25519PrivateKey.generate())
    data = json.loads(path.read_text("utf-8"))
    data["signature"]["value"] = foreign["value"]  # a real signature, by another key, of other bytes
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(IntegrityError, match="signature that does not verify"):
        load_certificate(path)
