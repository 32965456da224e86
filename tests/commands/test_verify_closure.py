"""`closegate verify go-certificate.json` and `closure-evidence.json`: the certificate's own id and
signature, its binding to the run, the sign-offs and its (PAdES-signed) PDF, and the evidence's binding
to the certificate; each break is one MISMATCH line."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate.closure.certificate import issue, write_certificate
from closegate.closure.evidence import ClosureEvidence, Observation, WaitResult, write_evidence
from closegate.closure.final_step import ActionSummary, FinalStep
from closegate.closure.signoffs import append_signoff, make_signoff
from closegate.commands.audit import write_run
from closegate.keys import fingerprint
from closegate.reporting.go_certificate import render_go_certificate_pdf, sign_go_certificate_pdf
from tests.commands.signing_setup import Setup, cli, make_setup, ready_record
from tests.fakes import NOW

LATER = NOW + timedelta(minutes=1)


@dataclass(frozen=True)
class Closed:
    folder: Path
    key: Ed25519PrivateKey


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    return make_setup(tmp_path_factory.mktemp("closure"))


def _closed(setup: Setup, folder: Path) -> Closed:
    """What `close` leaves: run, sign-off, GO certificate (Ed25519-signed JSON, PAdES-signed PDF), evidence."""
    record = ready_record()
    write_run(record, folder, reports=False)
    key = Ed25519PrivateKey.generate()
    signoff = make_signoff(record, "Carla Diaz", "Compliance officer", NOW, Ed25519PrivateKey.generate())
    append_signoff(folder, signoff)
    final = FinalStep("portal-handoff", (ActionSummary("purge_recycle_bin", "Purge", 2, 2, 0, 0, 0),),
                      str(folder / "closure-journal.jsonl"), "ab" * 32, ("cd" * 32,),
                      "closegate deleted its own registration", True, ("Sign in", "Delete"))
    certificate = issue(record, (signoff,), 1, final, issued=LATER, max_age_minutes=15, key=key)
    pdf = sign_go_certificate_pdf(render_go_certificate_pdf(certificate.to_json()), certificate.to_json(),
                                  setup.pki.closegate.identity, signing_time=LATER)
    write_certificate(certificate, folder, pdf)
    gone = Observation(LATER + timedelta(hours=1), 400, True, "AADSTS90002: tenant not found",
                       '{"error_codes":[90002]}')
    write_evidence(ClosureEvidence(certificate.tenant_id, certificate.run_id, certificate.certificate_id,
                                   hashlib.sha256(pdf).hexdigest(), "https://login.example/{tenant}/v2.0",
                                   WaitResult(True, (gone,))), folder)
    return Closed(folder, key)


def _verify(setup: Setup, path: Path) -> tuple[int, str]:
    result = cli("verify", str(path), "--config", str(setup.config()))
    return result.exit_code, result.output


def test_a_go_certificate_verifies_with_everything_it_is_bound_to(setup: Setup, tmp_path: Path) -> None:
    closed = _closed(setup, tmp_path)
    code, output = _verify(setup, tmp_path / "go-certificate.json")
    assert code == 0, output
    assert f"signed with Ed25519 key {fingerprint(closed.key)}" in output
    assert "bound to run" in output and "sign-off(s) is recorded for its run" in output
    assert "1 valid signature(s)" in output and "closure evidence" in output
    assert "schema version" not in output
    code, output = _verify(setup, tmp_path / "closure-evidence.json")
    assert code == 0 and "first seen gone" in output, output


def test_the_certificate_pdf_shows_the_signing_key_by_its_fingerprint_not_its_base64(setup: Setup,
                                                                                      tmp_path: Path) -> None:
    from closegate.keys import public_key_text
    from closegate.reporting.go_certificate import render_go_certificate_html

    closed = _closed(setup, tmp_path)
    html = render_go_certificate_html(json.loads((tmp_path / "go-certificate.json").read_text("utf-8")))
    assert fingerprint(closed.key) in html and public_key_text(closed.key) not in html


def _edit_json(path: Path, change: object) -> None:
    data = json.loads(path.read_text("utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data), "utf-8")


@pytest.mark.parametrize(("case", "expected"), [
    ("certificate edited", "was changed after it was issued"),
    ("run replaced", "the certificate is of run"),
    ("PDF replaced", "the PDF is not GO certificate"),
    ("evidence edited", "the closure evidence was changed after it was written"),
    ("sign-off missing", "names sign-off(s) not recorded"),
])
def test_each_break_of_the_closure_documents_is_one_mismatch_line(setup: Setup, tmp_path: Path, case: str,
                                                                 expected: str) -> None:
    folder = _closed(setup, tmp_path / "closed").folder
    if case == "certificate edited":
        _edit_json(folder / "go-certificate.json", lambda d: d.update(verdict="NOT_READY"))
    elif case == "run replaced":
        write_run(ready_record(clock=lambda: NOW + timedelta(minutes=2)), folder, reports=False)
    elif case == "PDF replaced":
        other = _closed(setup, tmp_path / "other").folder
        (folder / "go-certificate.pdf").write_bytes((other / "go-certificate.pdf").read_bytes())
    elif case == "evidence edited":
        _edit_json(folder / "closure-evidence.json", lambda d: d.update(first_seen_gone="2020-01-01T00:00:00Z"))
    else:
        (folder / "signoffs.json").unlink()
    target = folder / ("closure-evidence.json" if case == "evidence edited" else "go-certificate.json")
    code, output = _verify(setup, target)
    mismatches = [line for line in output.splitlines() if line.startswith("MISMATCH")]
    assert code == 1 and mismatches and expected in mismatches[0], output
