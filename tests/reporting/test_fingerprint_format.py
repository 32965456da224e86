"""One fingerprint format everywhere: a key or certificate is shown as SHA256:<base64> on every surface
(PDF, HTML, JSON, terminal), never as hex digests or raw base64 keys."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from pypdf import PdfReader

from closegate.closure import signoffs as signoff_file
from closegate.keys import digest_fingerprint
from closegate.records import read_record
from closegate.reporting.approvers import approver_field
from closegate.reporting.html import render_html
from closegate.reporting.pades import sign_pdf
from closegate.reporting.pdf_signatures import certificate_fingerprint
from tests.commands.signing_setup import cli, make_setup
from tests.reporting.pki import Pki

_OTHER_FORMATS = (
    re.compile(r"\b[0-9a-f]{2}(?::[0-9a-f]{2}){15,}\b", re.IGNORECASE),  # colon-separated hex (openssl -fingerprint)
    re.compile(r"sha256[:=]\s*[0-9a-f]{64}\b", re.IGNORECASE),  # a hex digest labelled as a fingerprint
)


def _other_formats(text: str, hex_digests: tuple[str, ...]) -> list[str]:
    found = [m.group(0) for pattern in _OTHER_FORMATS for m in pattern.finditer(text)]
    return found + [h for h in hex_digests if h in text.lower()]


def test_a_certificate_is_named_like_a_key(pki: Pki) -> None:
    der = pki.carla.cert.public_bytes(serialization.Encoding.DER)
    assert certificate_fingerprint(der) == digest_fingerprint(der)
    assert re.fullmatch(r"SHA256:[A-Za-z0-9+/]{43}", certificate_fingerprint(der))


def test_every_surface_shows_certificates_and_keys_in_the_one_format(tmp_path: Path) -> None:
    setup = make_setup(tmp_path / "setup")
    out = setup.run_dir("run")
    carla = setup.pki.carla
    der = carla.cert.public_bytes(serialization.Encoding.DER)
    hexes = (hashlib.sha256(der).hexdigest(), carla.cert.fingerprint(hashes.SHA1()).hex())  # noqa: S303
    signed = sign_pdf((out / "report.pdf").read_bytes(), carla.identity, reason="I approve", field=approver_field(1),
                      signing_time=datetime.now(UTC) - timedelta(minutes=1))
    (out / "signed.pdf").write_bytes(signed)
    imported = cli("signoff", "--config", str(setup.config()), "--run", str(out / "run.json"), "--pdf",
                   str(out / "signed.pdf"))
    assert imported.exit_code == 0, imported.output
    rendered = cli("report", str(out / "run.json"), "--config", str(setup.config()))
    assert rendered.exit_code == 0, rendered.output
    expected = certificate_fingerprint(der)
    (signoff,) = signoff_file.load(out)
    record_html = render_html(read_record(out / "run.json"), signoffs=(signoff,))
    pages = PdfReader(io.BytesIO((out / "report.pdf").read_bytes())).pages
    pdf_text = "".join(page.extract_text() or "" for page in pages)
    surfaces = {"terminal": imported.output, "signoffs.json": (out / "signoffs.json").read_text("utf-8"),
                "report.html": (out / "report.html").read_text("utf-8"), "HTML": record_html}
    for name, text in surfaces.items():
        assert expected in text, name
        assert _other_formats(text, hexes) == [], name
    compact = re.sub(r"\s+", "", pdf_text)
    assert expected in compact and _other_formats(compact, hexes) == []
