from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from closegate.reporting.pdf import RefusingFetcher, html_to_pdf
from tests.reporting import runs

# PDF points: A4 is 595.28 x 841.89, US Letter 612 x 792.
PAGE_SIZES = {"a4": (595, 842), "letter": (612, 792)}


def pages_of(pdf: bytes) -> list[str]:
    # pypdf decodes some two-byte font encodings with a NUL before each character; the PDF is fine.
    return [(page.extract_text() or "").replace("\x00", "") for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("size", ["a4", "letter"])
def test_pdf_has_verdict_every_check_and_the_run_hash_on_each_page(demo_pdfs: dict[str, bytes], size: str) -> None:
    record = runs.demo()
    reader = PdfReader(io.BytesIO(demo_pdfs[size]))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 3
    assert "NOT READY" in pages[0]
    for number, text in enumerate(pages, 1):
        assert record.run_id in text, f"page {number} lacks the run hash"
        assert f"Page {number} of {len(pages)}" in text
        assert "Contoso Ltd" in text
    everything = "".join(pages)
    for result in record.results:
        assert result.check_id in everything
    width, height = PAGE_SIZES[size]
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (width, height)


def test_pdf_ends_with_a_signoff_page(demo_pdfs: dict[str, bytes]) -> None:
    # The demo run is NOT READY: its sign-off page refuses approval (tests/reporting/test_report_approval.py).
    last = pages_of(demo_pdfs["a4"])[-1]
    assert "Sign-off" in last and "Run hash (SHA-256):" in last
def test_pdf_ends_with_a_signoff_page_with_a_box_per_approver() -> None:
    from closegate.reporting.pdf import render_pdf

    last = pages_of(render_pdf(runs.ready()))[-1]
    for words in ("Sign-off", "Approver 1", "Approver 2", "SIGNATURE", "DATE", "ROLE", "NAME"):
        assert words in last


def test_a_not_ready_report_has_nothing_to_approve_and_no_signature_field(demo_pdfs: dict[str, bytes]) -> None:
    reader = PdfReader(io.BytesIO(demo_pdfs["a4"]))
    last = pages_of(demo_pdfs["a4"])[-1]
    assert "Sign-off" in last and "Not for approval" in last and "cannot be approved" in last and "Approver 1" not in last
    assert "/AcroForm" not in reader.trailer["/Root"]


def test_pdf_metadata_names_the_run() -> None:
    record = runs.ready()
    from closegate.reporting.pdf import render_pdf

    metadata = PdfReader(io.BytesIO(render_pdf(record))).metadata
    assert metadata is not None
    assert metadata["/closegaterunid"] == record.run_id and metadata["/closegateverdict"] == "READY"


def test_hostile_run_fetches_nothing_and_renders_markup_as_text(
    hostile_pdf: tuple[bytes, list[str]], loopback_spy: tuple[int, list[str]]
) -> None:
    pdf, refused = hostile_pdf
    _, hits = loopback_spy
    assert hits == [] and refused == []  # escaped: nothing in the report even asked for a URL
    text = "".join(pages_of(pdf))
    assert "<script>alert(1)</script>" in text and "url(file:///etc/passwd)" in text
    assert runs.hostile(loopback_spy[0]).run_id in text


def test_the_fetcher_refuses_every_url_but_data(loopback_spy: tuple[int, list[str]]) -> None:
    port, hits = loopback_spy
    refused: list[str] = []
    html = (
        f'<html><head><link rel="stylesheet" href="http://127.0.0.1:{port}/css">'
        f'<style>@import url(http://127.0.0.1:{port}/import); body {{ background: url(file:///etc/passwd) }}</style>'
        f'</head><body><img src="http://127.0.0.1:{port}/img"><img src="file:///etc/hostname">'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">x</body></html>'
    )
    pdf = html_to_pdf(html, RefusingFetcher(refused.append))
    assert pdf.startswith(b"%PDF-")
    assert hits == []
    assert {f"http://127.0.0.1:{port}/css", f"http://127.0.0.1:{port}/import", f"http://127.0.0.1:{port}/img",
            "file:///etc/passwd", "file:///etc/hostname"} <= set(refused)
    assert not any(url.startswith("data:") for url in refused)
