"""`closegate signoff --pdf`: approvals imported from the report the approvers signed in their PDF tool,
each refusal in one line, and the [signoff] policy applied to key-based sign-offs too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from closegate.closure import signoffs as signoff_file
from closegate.closure.signoffs import SignoffRequirement, Verification
from closegate.commands.audit import write_run
from closegate.config import signing_files
from closegate.keys import fingerprint
from closegate.reporting.approvers import approver_field
from closegate.reporting.pades import sign_pdf
from closegate.reporting.pdf_signatures import certificate_fingerprint
from tests.commands.signing_setup import Setup, another_ready_record, cli, make_setup, ready_record
from tests.fakes import NOW, BackedUpTenant
from tests.reporting.pki import Person

CARLA_SUBJECT = "O=Contoso Ltd,CN=Carla Díaz"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    return make_setup(tmp_path_factory.mktemp("signoff-pdf"))


@pytest.fixture(scope="module")
def report(setup: Setup) -> Path:
    """A folder with run.json and report.pdf signed by closegate; each test copies what it needs."""
    return setup.run_dir("report")


def _copy(report: Path, to: Path) -> Path:
    to.mkdir(parents=True)
    for name in ("run.json", "report.pdf"):
        (to / name).write_bytes((report / name).read_bytes())
    return to


def _sign(pdf: bytes, person: Person, number: int) -> bytes:
    return sign_pdf(pdf, person.identity, signing_time=datetime.now(UTC) - timedelta(minutes=1),
                    reason="I approve", field=approver_field(number))


def _import(setup: Setup, out: Path, pdf: bytes, *, allow: tuple[str, ...] = ()) -> tuple[int, str]:
    (out / "signed.pdf").write_bytes(pdf)
    config = setup.config(allow=allow, name=f"{out.name}.toml")
    result = cli("signoff", "--config", str(config), "--run", str(out / "run.json"), "--pdf", str(out / "signed.pdf"))
    return result.exit_code, result.output


def test_each_approvers_pdf_signature_is_recorded_with_their_certificate_and_counts(setup: Setup, report: Path,
                                                                                    tmp_path: Path) -> None:
    out = _copy(report, tmp_path / "run")
    carla = _sign((out / "report.pdf").read_bytes(), setup.pki.carla, 1)
    code, output = _import(setup, out, carla)
    assert code == 0, output
    carla_fp = certificate_fingerprint(setup.pki.carla.cert.public_bytes(serialization.Encoding.DER))
    assert f"PDF signature by {CARLA_SUBJECT}, certificate {carla_fp}" in output and carla_fp.startswith("SHA256:")
    both = _sign(carla, setup.pki.wang, 2)  # the same file, signed next by the second approver
    code, output = _import(setup, out, both)
    assert code == 0, output
    assert "already recorded: Carla Díaz" in output and "recorded: 王小明 (CISO)" in output
    recorded = signoff_file.load(out)
    assert [(s.by, s.role, s.certificate_fingerprint) for s in recorded] == [
        ("Carla Díaz", "Compliance officer", carla_fp),
        ("王小明", "CISO", certificate_fingerprint(setup.pki.wang.cert.public_bytes(serialization.Encoding.DER)))]
    assert all(s.verification() is Verification.PDF_SIGNED for s in recorded)
    policy = signing_files(setup.config())[1]
    run_id = recorded[0].run_id
    assert SignoffRequirement(recorded, 2, policy).reasons(run_id, datetime.now(UTC)) == ()


@pytest.mark.parametrize(("case", "expected"), [
    ("outsider", "does not chain to a trust anchor"),
    ("allow-list", "is not on the [signoff] allow-list"),
    ("another's box", "signed the box printed for Carla Díaz"),
])
def test_a_signature_that_cannot_be_accepted_is_refused_in_one_line_and_nothing_is_recorded(
        setup: Setup, report: Path, tmp_path: Path, case: str, expected: str) -> None:
    out = _copy(report, tmp_path / "run")
    pdf = (out / "report.pdf").read_bytes()
    signed, allow = {
        "outsider": (_sign(pdf, setup.pki.outsider, 2), ()),
        "allow-list": (_sign(pdf, setup.pki.wang, 2), (CARLA_SUBJECT,)),
        "another's box": (_sign(pdf, setup.pki.wang, 1), ()),
    }[case]
    code, output = _import(setup, out, signed, allow=allow)
    assert code == 2
    refused = [line for line in output.splitlines() if "refused:" in line]
    assert len(refused) == 1 and expected in refused[0], output
    assert not (out / "signoffs.json").exists()


def test_a_signed_pdf_of_another_run_is_refused(setup: Setup, report: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    write_run(another_ready_record(), other, reports=False)
    code, output = _import(setup, other, _sign((report / "report.pdf").read_bytes(), setup.pki.carla, 1))
    assert code == 2 and "the PDF report is of run" in output and len(output.strip().splitlines()) == 1
    assert not (other / "signoffs.json").exists()


def test_a_changed_pdf_is_refused(setup: Setup, report: Path, tmp_path: Path) -> None:
    out = _copy(report, tmp_path / "run")
    signed = _sign((out / "report.pdf").read_bytes(), setup.pki.carla, 1)
    changed = signed + b"\n% appended after signing\n"
    code, output = _import(setup, out, changed)
    assert code == 2 and "byte(s) were appended to the PDF after the last signature" in output
    assert len(output.strip().splitlines()) == 1 and not (out / "signoffs.json").exists()


def _key(path: Path) -> tuple[Path, str]:
    key = Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path, fingerprint(key)


def test_a_key_sign_off_outside_the_allow_list_is_refused_and_one_on_it_is_recorded(setup: Setup,
                                                                                     tmp_path: Path) -> None:
    out = tmp_path / "run"
    run = write_run(ready_record(), out, reports=False)
    (outside, _), (inside, inside_fp) = _key(tmp_path / "mallory.pem"), _key(tmp_path / "carla.pem")
    config = str(setup.config(allow=(inside_fp,), signing=False, name="keys.toml"))
    refused = cli("signoff", "--config", config, "--run", str(run), "--by", "Mallory", "--role", "Approver",
                  "--sign-key", str(outside))
    assert refused.exit_code == 2 and "is not on the [signoff] allow-list" in refused.output
    accepted = cli("signoff", "--config", config, "--run", str(run), "--by", "Carla Díaz", "--role", "Approver",
                   "--sign-key", str(inside))
    assert accepted.exit_code == 0 and inside_fp in accepted.output
    twin = cli("signoff", "--config", config, "--run", str(run), "--by", "Carla D.", "--role", "Approver",
               "--sign-key", str(inside))
    assert twin.exit_code == 2 and f"{inside_fp} already signed off run" in twin.output


def test_a_real_tenant_requires_signed_approvals_by_default(setup: Setup, tmp_path: Path) -> None:
    run = write_run(ready_record(), tmp_path / "run", reports=False)
    result = cli("signoff", "--config", str(setup.config(signing=False, name="default.toml")), "--run", str(run),
                 "--by", "Carla Díaz", "--role", "Approver")
    assert result.exit_code == 2 and "an approval must be signed" in result.output


def test_a_run_that_is_not_ready_cannot_be_approved(setup: Setup, tmp_path: Path) -> None:
    from closegate.registry import catalog
    from closegate.runner import RunSettings, run

    record = run(BackedUpTenant(), catalog(plugins=False), RunSettings(clock=lambda: NOW))  # nothing attested
    path = write_run(record, tmp_path / "run", reports=False)
    key, _ = _key(tmp_path / "carla.pem")
    result = cli("signoff", "--config", str(setup.config(signing=False, name="nr.toml")), "--run", str(path),
                 "--by", "Carla Díaz", "--role", "Approver", "--sign-key", str(key))
    assert result.exit_code == 2 and "cannot be approved: the run is CANNOT DETERMINE" in result.output
    assert not (tmp_path / "run" / "signoffs.json").exists()
