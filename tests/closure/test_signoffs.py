"""Sign-offs are bound to one run's hash: recording them, and which of them count for the gate."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate.cli import main
from closegate.closure import signoffs as signoff_file
from closegate.closure.signoffs import SignoffRequirement, Verification, append_signoff, make_signoff
from closegate.commands.audit import write_run
from closegate.models import RunRecord
from closegate.registry import catalog
from closegate.runner import RunSettings, run
from tests.closure.policies import unsigned_allowed
from tests.fakes import NOW, BackedUpTenant
from tests.test_gate import SIGNED

FULL = catalog(plugins=False)


def _record(**changes: object) -> RunRecord:
    """A READY run (what an approver may approve); `changes` make it another run."""
    settings = RunSettings(clock=lambda: NOW, attestations=SIGNED)
    return run(BackedUpTenant(), FULL, replace(settings, **changes))  # type: ignore[arg-type]


def _run_file(tmp_path: Path) -> tuple[RunRecord, Path]:
    record = _record()
    return record, write_run(record, tmp_path, reports=False)


def test_a_signed_sign_off_verifies_and_is_bound_to_the_run() -> None:
    record = _record()
    signoff = make_signoff(record, "Carla Diaz", "Compliance officer", NOW, Ed25519PrivateKey.generate())
    assert signoff.run_id == record.run_id and signoff.verification() is Verification.VERIFIED
    assert SignoffRequirement((signoff,), 1).reasons(record.run_id, NOW) == ()


def test_a_sign_off_of_another_run_does_not_count() -> None:
    record, other = _record(), _record(skip={"CG-018"})
    assert record.run_id != other.run_id
    signoff = make_signoff(other, "Carla Diaz", "Compliance officer", NOW)
    (reason,) = SignoffRequirement((signoff,), 1).reasons(record.run_id, NOW)
    assert reason.startswith(f"0 of 1 required sign-offs are bound to run {record.run_id[:16]}")
    assert "1 sign-off(s) of other runs do not count" in reason


def test_a_signature_that_does_not_verify_does_not_count() -> None:
    record = _record()
    genuine = make_signoff(record, "Carla Diaz", "Compliance officer", NOW, Ed25519PrivateKey.generate())
    forged = replace(genuine, public_key=make_signoff(record, "x", "y", NOW, Ed25519PrivateKey.generate()).public_key)
    assert forged.verification() is Verification.INVALID
    (reason,) = SignoffRequirement((forged,), 1).reasons(record.run_id, NOW)
    assert "signature does not verify: Carla Diaz" in reason


def test_distinct_means_distinct_people_and_distinct_keys() -> None:
    record, key = _record(), Ed25519PrivateKey.generate()
    same_person = (make_signoff(record, "Carla Diaz", "Compliance", NOW), make_signoff(record, " carla  diaz", "CISO", NOW))
    same_key = (make_signoff(record, "Carla Diaz", "Compliance", NOW, key),
                make_signoff(record, "Sam Okafor", "Security", NOW, key))
    for pair in (same_person, same_key):
        assert len(SignoffRequirement(pair, 2).counted(record.run_id, NOW)) == 1
    two = (same_person[0], make_signoff(record, "Sam Okafor", "Security", NOW))
    assert SignoffRequirement(two, 2).reasons(record.run_id, NOW) == ()


def test_a_sign_off_dated_in_the_future_does_not_count() -> None:
    record = _record()
    later = make_signoff(record, "Carla Diaz", "Compliance officer", NOW + timedelta(hours=1))
    assert "dated in the future: Carla Diaz" in SignoffRequirement((later,), 1).reasons(record.run_id, NOW)[0]


def test_no_sign_off_is_needed_when_none_is_required() -> None:
    assert SignoffRequirement((), 0).reasons(_record().run_id, NOW) == ()


def test_signoff_command_appends_a_sign_off_that_the_reports_read(tmp_path: Path) -> None:
    record, path = _run_file(tmp_path)
    config = str(unsigned_allowed(tmp_path / "config"))
    for name in ("Carla Diaz", "Sam Okafor"):
        result = CliRunner().invoke(main, ["signoff", "--config", config, "--run", str(path), "--by", name,
                                           "--role", "Approver"])
        assert result.exit_code == 0, result.output
        assert f"approved run {record.run_id}" in result.output
    recorded = signoff_file.for_run(signoff_file.load(tmp_path), record.run_id)
    assert [s.by for s in recorded] == ["Carla Diaz", "Sam Okafor"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config", "run.json", "signoffs.json"]


def test_signoff_command_refuses_an_edited_run_record(tmp_path: Path) -> None:
    _, path = _run_file(tmp_path)
    data = json.loads(path.read_text("utf-8"))
    data["results"][0]["status"] = "PASS" if data["results"][0]["status"] != "PASS" else "FAIL"
    path.write_text(json.dumps(data), "utf-8")
    result = CliRunner().invoke(main, ["signoff", "--run", str(path), "--by", "Carla Diaz", "--role", "Approver"])
    assert result.exit_code == 2
    assert "changed after it was written" in result.output
    assert not (tmp_path / "signoffs.json").exists()


def test_the_same_person_cannot_sign_the_same_run_twice(tmp_path: Path) -> None:
    record, path = _run_file(tmp_path)
    append_signoff(tmp_path, make_signoff(record, "Carla Diaz", "Compliance officer", NOW))
    result = CliRunner().invoke(main, ["signoff", "--config", str(unsigned_allowed(tmp_path / "config")), "--run",
                                       str(path), "--by", "Carla Diaz", "--role", "Approver"])
    assert result.exit_code == 2 and "already signed off" in result.output
    assert len(signoff_file.load(tmp_path)) == 1


def _private_pem(path: Path) -> Path:
    key = Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


def test_signoff_signs_with_sign_key_like_report_backup_and_close(tmp_path: Path) -> None:
    record, path = _run_file(tmp_path / "run")
    key = _private_pem(tmp_path / "carla.pem")
    result = CliRunner().invoke(main, ["signoff", "--run", str(path), "--by", "Carla Diaz", "--role", "Approver",
                                       "--sign-key", str(key)])
    assert result.exit_code == 0, result.output
    (signoff,) = signoff_file.for_run(signoff_file.load(path.parent), record.run_id)
    assert signoff.verification() is Verification.VERIFIED


def test_the_old_key_option_still_signs_but_is_not_listed(tmp_path: Path) -> None:
    record, path = _run_file(tmp_path / "run")
    key = _private_pem(tmp_path / "carla.pem")
    result = CliRunner().invoke(main, ["signoff", "--run", str(path), "--by", "Carla Diaz", "--role", "Approver",
                                       "--key", str(key)])
    assert result.exit_code == 0, result.output
    (signoff,) = signoff_file.for_run(signoff_file.load(path.parent), record.run_id)
    assert signoff.verification() is Verification.VERIFIED
    help_text = CliRunner().invoke(main, ["signoff", "--help"]).output
    assert "--sign-key" in help_text and "--key " not in help_text


def test_two_different_keys_under_both_names_are_refused(tmp_path: Path) -> None:
    _, path = _run_file(tmp_path / "run")
    result = CliRunner().invoke(main, ["signoff", "--run", str(path), "--by", "Carla Diaz", "--role", "Approver",
                                       "--sign-key", str(_private_pem(tmp_path / "a.pem")),
                                       "--key", str(_private_pem(tmp_path / "b.pem"))])
    assert result.exit_code == 2 and "--key is the old name of --sign-key" in result.output
    assert not (path.parent / "signoffs.json").exists()
