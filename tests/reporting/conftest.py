"""Renderings shared by the reporting tests: a PDF costs about a second, so each is made once."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from closegate.models import RunRecord
from closegate.reporting.approvers import Approver, approver_field
from closegate.reporting.pades import report_reason, sign_pdf
from closegate.reporting.pdf import RefusingFetcher, render_pdf
from tests.reporting import runs
from tests.reporting.pki import Pki, make_pki


class _Spy(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook name
        type(self).hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base class
        return None


@pytest.fixture(scope="package")
def loopback_spy() -> Iterator[tuple[int, list[str]]]:
    """A loopback HTTP server recording every request: (port, paths requested)."""
    hits: list[str] = []
    handler = type("Spy", (_Spy,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="package")
def hostile_pdf(loopback_spy: tuple[int, list[str]]) -> tuple[bytes, list[str]]:
    """The hostile run as a PDF, and every URL the renderer tried to fetch while making it."""
    refused: list[str] = []
    port, _ = loopback_spy
    return render_pdf(runs.hostile(port), fetcher=RefusingFetcher(refused.append)), refused


@pytest.fixture(scope="package")
def demo_pdfs() -> dict[str, bytes]:
    record = runs.demo()
    return {size: render_pdf(record, page_size=size) for size in ("a4", "letter")}


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"


SIGNED_AT = datetime(2026, 3, 1, 13, 0, tzinfo=timezone.utc)
APPROVERS = (Approver("Carla Díaz", "Compliance officer"), Approver("王小明", "CISO"))


@dataclass(frozen=True)
class SignedReport:
    """One run's report at each stage: as written, signed by closegate, then by the first approver."""

    record: RunRecord
    written: bytes
    certified: bytes
    approved: bytes


@pytest.fixture(scope="package")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="package")
def signed_report(pki: Pki) -> SignedReport:
    record = runs.ready()
    written = render_pdf(record, approvers=APPROVERS)
    certified = sign_pdf(written, pki.closegate.identity, signing_time=SIGNED_AT, reason=report_reason(record.run_id))
    approved = sign_pdf(certified, pki.carla.identity, signing_time=SIGNED_AT + timedelta(hours=1),
                        reason="I approve", field=approver_field(1))
    return SignedReport(record, written, certified, approved)
