from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate.closure.signoffs import SignOff, Verification, for_run, load
from closegate.errors import ConfigError, IntegrityError
from closegate.models import RunRecord
from closegate.records import SIGNATURE_FILE, read_record, verify_signature, write_record, write_signature
from closegate.reporting import render
from closegate.reporting.integrity import verify_html, verify_pdf
from tests.reporting import runs


def public_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def write_run(directory: Path, record: RunRecord) -> Path:
    """run.json as closegate writes it (tagged with the tests' record key)."""
    return write_record(record, directory)


def test_an_edited_run_record_is_detected(tmp_path: Path) -> None:
    path = write_run(tmp_path, runs.demo())
    assert read_record(path).run_id == runs.demo().run_id
    data = json.loads(path.read_text())
    data["results"][2]["status"] = "PASS"
    path.write_text(json.dumps(data))
    with pytest.raises(IntegrityError):
        read_record(path)


def test_a_file_that_is_no_run_record_is_unusable(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError):
        read_record(path)


def test_signature_verifies_and_detects_tampering_and_wrong_keys(tmp_path: Path) -> None:
    record = runs.ready()
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    write_signature(record, key, tmp_path)
    sig = tmp_path / SIGNATURE_FILE
    canonical, run_id = record.canonical_bytes(), record.run_id
    assert verify_signature(canonical, run_id, sig).ok
    assert verify_signature(canonical, run_id, sig, public_pem(key)).ok
    assert not verify_signature(canonical, run_id, sig, public_pem(other)).ok  # signed by someone else
    other_record = runs.demo()
    assert not verify_signature(other_record.canonical_bytes(), other_record.run_id, sig).ok
    data = json.loads(sig.read_text())
    data["public_key"] = base64.b64encode(other.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
    sig.write_text(json.dumps(data))
    assert not verify_signature(canonical, run_id, sig).ok  # key swapped in the file
    data["signature"] = base64.b64encode(other.sign(b"something else")).decode()
    sig.write_text(json.dumps(data))
    assert not verify_signature(canonical, run_id, sig).ok  # forged signature


def test_html_report_verifies_and_edits_are_detected(tmp_path: Path) -> None:
    record = runs.demo()
    (html,) = render(record, tmp_path, formats=("html",))
    assert verify_html(html, record, record.run_id, ()).ok
    original = html.read_text(encoding="utf-8")
    html.write_text(original.replace("NOT READY", "READY"), encoding="utf-8")
    assert not verify_html(html, record, record.run_id, ()).ok  # verdict edited, hash untouched
    html.write_text(original.replace(record.run_id, "0" * 64), encoding="utf-8")
    proof = verify_html(html, record, record.run_id, ())
    assert not proof.ok and "0" * 64 in proof.detail
    other = runs.ready()
    assert not verify_html(tmp_path / "report.html", other, other.run_id, ()).ok


def test_html_rendered_before_later_signoffs_still_verifies(tmp_path: Path) -> None:
    record = runs.ready()
    key = Ed25519PrivateKey.generate()
    first = SignOff(record.run_id, "Dana Compliance", "Compliance officer", "2026-03-01T13:00:00Z",
                    base64.b64encode(key.sign(record.run_id.encode())).decode(), public_pem(key))
    later = SignOff(record.run_id, "Sam CISO", "CISO", "2026-03-01T14:00:00Z")
    (html,) = render(record, tmp_path, formats=("html",), signoffs=(first,))
    assert verify_html(html, record, record.run_id, (first, later)).ok
    assert not verify_html(html, record, record.run_id, (later,)).ok  # shows a sign-off not on record
    text = html.read_text(encoding="utf-8")
    assert "Dana Compliance" in text and Verification.VERIFIED.value in text


def test_pdf_report_of_another_run_is_detected(tmp_path: Path) -> None:
    record, other = runs.cannot_determine(), runs.ready()
    (pdf,) = render(record, tmp_path / "a", formats=("pdf",))
    assert verify_pdf(pdf, record, record.run_id).ok
    assert not verify_pdf(pdf, other, other.run_id).ok
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(pdf.read_bytes()[: len(pdf.read_bytes()) // 3])
    assert not verify_pdf(damaged, record, record.run_id).ok


def test_signoffs_belong_only_to_their_run(tmp_path: Path) -> None:
    record = runs.demo()
    key = Ed25519PrivateKey.generate()
    good = {"run_id": record.run_id, "by": "A", "role": "CISO", "when": "2026-03-01T13:00:00Z",
            "signature": base64.b64encode(key.sign(record.run_id.encode())).decode(), "public_key": public_pem(key)}
    forged = {**good, "by": "B", "signature": base64.b64encode(key.sign(b"other run")).decode()}
    elsewhere = {**good, "run_id": "f" * 64, "by": "C"}
    (tmp_path / "signoffs.json").write_text(json.dumps([good, forged, elsewhere]))
    # Written by hand, so not by this installation: a report still shows them, saying so (the gate refuses).
    warned: list[str] = []
    mine = for_run(load(tmp_path, warn=warned.append), record.run_id)
    assert len(warned) == 3 and all("was not written here" in w for w in warned)
    assert [s.by for s in mine] == ["A", "B"]
    assert [s.verification() for s in mine] == [Verification.VERIFIED, Verification.INVALID]
    (tmp_path / "signoffs.json").write_text('{"not": "a list"}')
    with pytest.raises(ConfigError):
        load(tmp_path)
