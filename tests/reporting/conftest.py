"""Renderings shared by the reporting tests: a PDF costs about a second, so each is made once."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from closegate.reporting.pdf import RefusingFetcher, render_pdf
from tests.reporting import runs


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
