"""closegate signs its report PDF when [signing] is configured, and `closegate verify` refuses every
tamper of it in one line: the tamper matrix of issue 13 through the CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from closegate.reporting.approvers import approver_field
from closegate.reporting.pades import sign_pdf
from closegate.reporting.pdf_signatures import read_revisions
from tests.commands.signing_setup import Setup, another_ready_record, cli, make_setup
from tests.reporting import tampering


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    return make_setup(tmp_path_factory.mktemp("signing"))


@pytest.fixture(scope="module")
def signed(setup: Setup) -> Path:
    return setup.run_dir("signed")


def _verify(setup: Setup, out: Path, pdf: bytes | Path, name: str = "given.pdf") -> tuple[int, list[str]]:
    path = pdf if isinstance(pdf, Path) else out / name
    if not isinstance(pdf, Path):
        path.write_bytes(pdf)
    result = cli("verify", str(out / "run.json"), "--report", str(path), "--config", str(setup.config()))
    return result.exit_code, [line for line in result.output.splitlines() if line.startswith("MISMATCH")]


def test_report_signs_the_pdf_with_the_configured_identity_and_verify_accepts_it(setup: Setup, signed: Path) -> None:
    data = (signed / "report.pdf").read_bytes()
    assert len(read_revisions(data).ends) == 2  # the report, then closegate's signature
    result = cli("verify", str(signed / "run.json"), "--report", str(signed / "report.pdf"),
                 "--config", str(setup.config()))
    assert result.exit_code == 0, result.output
    assert "1 valid signature(s) chaining to the trust anchors given" in result.output


def test_report_refuses_a_wrong_passphrase_in_one_line(setup: Setup, signed: Path) -> None:
    result = cli("report", str(signed / "run.json"), "--config", str(setup.config()), "--out",
                 str(setup.folder / "wrong"), env={"CLOSEGATE_SIGNING_PASSPHRASE": "not it"})
    assert result.exit_code == 2 and "cannot load the PDF signing key" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (setup.folder / "wrong" / "report.pdf").exists()


def test_a_passphrase_written_in_the_file_is_refused(setup: Setup, signed: Path) -> None:
    config = setup.folder / "with-passphrase.toml"
    text = setup.config().read_text("utf-8").replace("[signing]\n", '[signing]\npassphrase = "x"\n')
    config.write_text(text, "utf-8")
    result = cli("report", str(signed / "run.json"), "--config", str(config), "--out", str(setup.folder / "pp"))
    assert result.exit_code == 2 and "passphrase is not read from closegate.toml" in result.output


def _other_report(setup: Setup) -> bytes:
    return (setup.run_dir("other", another_ready_record()) / "report.pdf").read_bytes()


TAMPERS: dict[str, tuple[Callable[[bytes, Setup], bytes], str]] = {
    "a page removed": (lambda d, s: tampering.remove_page(read_revisions(d).base, 1), "pages, the run's report"),
    "a page added": (lambda d, s: tampering.add_page(read_revisions(d).base, 0), "a page appears twice"),
    "pages reordered": (lambda d, s: tampering.swap_pages(read_revisions(d).base, 0, 1), "the pages are out of order"),
    "a page replaced": (lambda d, s: tampering.replace_page(read_revisions(d).base, 0, _other_report(s)),
                        "page 1 differs from the run's report"),
    "the title edited": (lambda d, s: tampering.edit_title(read_revisions(d).base, "Tenant closure readiness (READY)"),
                         "metadata /Title was edited"),
    "an update appended after signing": (lambda d, s: tampering.append_update(d), "is not a signature"),
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_verify_refuses_each_tamper_of_the_signed_report_in_one_line(setup: Setup, signed: Path, tamper: str) -> None:
    change, expected = TAMPERS[tamper]
    code, mismatches = _verify(setup, signed, change((signed / "report.pdf").read_bytes(), setup),
                               f"{tamper.replace(' ', '-')}.pdf")
    assert code == 1
    (line,) = mismatches
    assert expected in line, line


def test_verify_refuses_a_signature_by_a_certificate_outside_the_trust_anchors(setup: Setup, signed: Path) -> None:
    outsider = sign_pdf((signed / "report.pdf").read_bytes(), setup.pki.outsider.identity,
                        signing_time=datetime.now(UTC), reason="I approve", field=approver_field(1))
    code, (line,) = _verify(setup, signed, outsider, "outsider.pdf")
    assert code == 1 and "Mallory Outsider" in line and "does not chain to a trust anchor" in line


def test_verify_refuses_the_signed_report_of_another_run(setup: Setup, signed: Path) -> None:
    code, (line,) = _verify(setup, signed, _other_report(setup), "another-run.pdf")
    assert code == 1 and "the PDF report is of run" in line
