"""A pre-authenticated download URL is a credential: no count, error or log line ever holds its path or query.

Graph answers a usage report with a 302 to a short-lived URL that needs no Authorization header
(graph-facts §1.1); whoever reads it can fetch the tenant's report. The run record's request statistics
(and the HTML and PDF reports rendered from them), every exception and the --log-file log name only the
host, as a redirect target.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from closegate import logs
from closegate.errors import GraphError, TransportError
from closegate.graph import GraphClient, RetryPolicy
from closegate.graph.concurrency import AdaptiveLimiter
from closegate.graph.transport import HttpResponse
from tests.graph.helpers import FakeClock, StaticTokens

TOKEN = "Sx9CU1yCsrEtkeYPJx2q"
URL = f"https://reportsncu.office.example/data/download/{TOKEN}?tempauth=v1.pre-authenticated.{TOKEN}"


class _Answer:
    def __init__(self, answer: int | Exception) -> None:
        self.answer = answer

    def send(self, method: str, url: str, *, headers: Mapping[str, str], body: bytes | None, timeout: float,
             follow_redirects: bool = False) -> HttpResponse:
        assert "Authorization" not in headers  # the URL itself is the credential
        if isinstance(self.answer, Exception):
            raise self.answer
        return HttpResponse(self.answer, {}, b"Report Refresh Date,User Principal Name\n", url)


def _client(answer: int | Exception) -> GraphClient:
    clock = FakeClock()
    return GraphClient(_Answer(answer), StaticTokens(), root="https://graph.example", resource="https://graph.example",
                       limiter=AdaptiveLimiter(2, clock=clock, sleep=clock.sleep),
                       policy=RetryPolicy(max_attempts=2, jitter=lambda cap: cap), clock=clock, sleep=clock.sleep)


def _nowhere(text: str) -> None:
    assert TOKEN not in text and "/data/download" not in text and "tempauth" not in text, text


def test_a_download_is_counted_by_its_host_only() -> None:
    client = _client(200)
    assert client.download(URL).startswith(b"Report Refresh Date")
    endpoints = client.stats.snapshot()["endpoints"]
    assert list(endpoints) == ["GET reportsncu.office.example (redirect target)"]  # type: ignore[arg-type]
    _nowhere(json.dumps(client.stats.snapshot()))


@pytest.mark.parametrize("answer", [500, 403, TransportError(f"connection to {URL.split('?')[0]} failed")])
def test_a_failed_download_names_its_host_never_its_url(answer: int | Exception) -> None:
    client = _client(answer)
    with pytest.raises((GraphError, TransportError)) as raised:
        client.download(URL)
    _nowhere(raised.value.one_line())
    assert "reportsncu.office.example (redirect target)" in raised.value.one_line()
    if isinstance(raised.value, TransportError):  # the transport's own message named the path: dropped
        assert raised.value.__cause__ is None and raised.value.__suppress_context__
    _nowhere(json.dumps(client.stats.snapshot()))


def test_the_log_file_redacts_the_download_url(tmp_path: Path) -> None:
    path = tmp_path / "closegate.log"
    logs.configure(path)
    try:
        _client(200).download(URL)
        # What urllib3 logs for the request (its request line), had the real transport sent it.
        logging.getLogger("urllib3.connectionpool").debug('%s://%s:%s "%s %s %s" %s %s', "https",
                                                          "reportsncu.office.example", 443, "GET",
                                                          URL.split(".example", 1)[1], "HTTP/1.1", 200, 10)
    finally:
        logs.configure(None)
    text = path.read_text("utf-8")
    assert logs.REDACTED in text
    _nowhere(text)


def test_an_audit_records_no_download_url_anywhere(emulator: Any, tmp_path: Path) -> None:
    """Against the emulator (`/_reportdownload/<token>`): run.json, the reports and the log file."""
    from click.testing import CliRunner
    from pypdf import PdfReader

    from closegate.cli import main

    out, log = tmp_path / "out", tmp_path / "closegate.log"
    result = CliRunner().invoke(main, ["--log-file", str(log), "audit", "--config", str(emulator.config_path),
                                       "--out", str(out)])
    assert result.exit_code == 1, result.output
    stats = json.loads((out / "run.json").read_text("utf-8"))["request_stats"]["endpoints"]
    assert [k for k in stats if "redirect target" in k] == ["GET 127.0.0.1 (redirect target)"]
    pdf = "".join(page.extract_text() or "" for page in PdfReader(str(out / "report.pdf")).pages)
    for text in ((out / "run.json").read_text("utf-8"), (out / "report.html").read_text("utf-8"),
                 (out / "junit.xml").read_text("utf-8"), pdf, log.read_text("utf-8"), result.output):
        assert "_reportdownload" not in text
