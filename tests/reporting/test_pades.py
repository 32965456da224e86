"""closegate's PAdES signature and the approvers' are accepted by validators other than closegate's:
pyHanko's own and poppler's `pdfsig` (with an NSS database holding only the test CA)."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from closegate.errors import ConfigError
from closegate.reporting.pades import SIGNATURE_FIELD, load_identity, sign_pdf
from tests.reporting import tampering
from tests.reporting.conftest import SIGNED_AT, SignedReport
from tests.reporting.pki import PASSPHRASE, Pki


@pytest.fixture(scope="module")
def nss_db(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An NSS certificate database trusting the test CA only, for pdfsig's certificate validation."""
    directory = tmp_path_factory.mktemp("nss")
    subprocess.run(["certutil", "-N", "--empty-password", "-d", f"sql:{directory}"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-n", "closegate-test-ca", "-t", "CT,C,C", "-i", str(pki.ca_path),
                    "-d", f"sql:{directory}"], check=True, capture_output=True)
    yield f"sql:{directory}"


def pdfsig(data: bytes, nss: str, tmp_path: Path) -> dict[str, dict[str, str]]:
    """pdfsig's report, per signature field: its "key: value" lines."""
    path = tmp_path / "signed.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfsig", "-nssdir", nss, str(path)], capture_output=True, text=True, timeout=60).stdout
    fields: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in out.splitlines():
        if match := re.match(r"\s+- Signature Field Name: (.*)", line):
            current = fields.setdefault(match.group(1), {})
        elif match := re.match(r"\s+- ([^:]+): (.*)", line):
            current[match.group(1)] = match.group(2)
        elif line.strip():
            current.setdefault("notes", "")
            current["notes"] += line.strip()
    return fields


def test_pyhanko_validates_closegates_and_the_approvers_signatures(signed_report: SignedReport, pki: Pki) -> None:
    roots = [asn1_x509.Certificate.load(pki.ca.public_bytes(serialization.Encoding.DER))]
    reader = PdfFileReader(io.BytesIO(signed_report.approved))
    statuses = {sig.field_name: validate_pdf_signature(sig, ValidationContext(trust_roots=roots))
                for sig in reader.embedded_signatures}
    assert set(statuses) == {SIGNATURE_FIELD, "approver-1"}
    assert all(s.bottom_line for s in statuses.values())
    assert statuses[SIGNATURE_FIELD].modification_level is ModificationLevel.FORM_FILLING  # the approver filled a field
    assert statuses["approver-1"].modification_level is ModificationLevel.NONE
    assert statuses[SIGNATURE_FIELD].signer_reported_dt == SIGNED_AT


def test_closegates_signature_is_pades_and_names_the_run(signed_report: SignedReport) -> None:
    reader = PdfFileReader(io.BytesIO(signed_report.certified))
    (sig,) = reader.embedded_signatures
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert sig.sig_object["/Reason"] == f"closegate readiness report of run {signed_report.record.run_id}"
    assert signed_report.certified.startswith(signed_report.written)  # an incremental update: the report untouched


def test_pdfsig_accepts_and_trusts_every_signature(signed_report: SignedReport, nss_db: str, tmp_path: Path) -> None:
    report = pdfsig(signed_report.approved, nss_db, tmp_path)
    for field in (SIGNATURE_FIELD, "approver-1"):
        assert report[field]["Signature Validation"] == "Signature is Valid.", report
        assert report[field]["Certificate Validation"] == "Certificate is Trusted.", report
    assert "Total document signed" in report["approver-1"]["notes"]
    assert "not signed" in report["approver-2"]["notes"]  # the second approver's field is still empty


def test_pdfsig_sees_the_tampering_closegate_refuses(signed_report: SignedReport, nss_db: str, tmp_path: Path,
                                                    pki: Pki) -> None:
    changed = pdfsig(signed_report.certified.replace(b"readiness report of run", b"readiness rEport of run"),
                     nss_db, tmp_path)
    assert changed[SIGNATURE_FIELD]["Signature Validation"] != "Signature is Valid."
    appended = pdfsig(tampering.append_update(signed_report.approved), nss_db, tmp_path)
    assert "Not total document signed" in appended["approver-1"]["notes"]
    outsider = sign_pdf(signed_report.certified, pki.outsider.identity, signing_time=SIGNED_AT, reason="approve",
                        field="approver-2")
    assert pdfsig(outsider, nss_db, tmp_path)["approver-2"]["Certificate Validation"] != "Certificate is Trusted."


def test_an_encrypted_key_needs_its_passphrase(pki: Pki) -> None:
    person = pki.closegate
    assert load_identity(person.key_path, person.cert_path, passphrase=PASSPHRASE).subject.endswith("closegate report signer")
    with pytest.raises(ConfigError, match="cannot load the PDF signing key"):
        load_identity(person.key_path, person.cert_path, passphrase=b"wrong")


def test_a_certificate_of_another_key_is_refused(pki: Pki) -> None:
    with pytest.raises(ConfigError, match="is not the certificate of the key"):
        load_identity(pki.carla.key_path, pki.wang.cert_path)


def test_an_approver_can_only_fill_a_prepared_field(signed_report: SignedReport, pki: Pki) -> None:
    with pytest.raises(ConfigError, match="in an empty field it prepared"):
        sign_pdf(signed_report.certified, pki.carla.identity, signing_time=SIGNED_AT, reason="x", field="approver-9")
