"""Words stay whole in the reports; only long unbroken tokens break, and only where they would overflow."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from closegate.reporting.breaks import TOKEN_CHARS, breakable
from closegate.reporting.html import render_html
from closegate.reporting.view import build
from tests.reporting import runs

# pdf.css.j2: @page margins 16 mm left and right; PDF points are 1/72 in.
_RIGHT_MARGIN = 16 / 25.4 * 72
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')
_PAGE = re.compile(r'<page width="([\d.]+)"')


def words_of(pdf: bytes, tmp_path: Path) -> list[tuple[float, float, float, str]]:
    """Every word poppler finds, as (page width, left, right, text)."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    xml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True,
                         timeout=120).stdout
    found = []
    for page in xml.split("<page ")[1:]:
        width = float(_PAGE.match("<page " + page).group(1))  # type: ignore[union-attr]
        found += [(width, float(a), float(b), text) for a, b, text in _WORD.findall(page)]
    return found


def test_short_words_are_left_alone_and_long_runs_are_marked_as_tokens() -> None:
    assert breakable("Synced users remain") == "Synced users remain"
    upn = "user000001@contoso.onmicrosoft.com"
    assert breakable(f"{upn} remains") == f'<span class="token">{upn}</span> remains'
    assert breakable("x" * (TOKEN_CHARS - 1)) == "x" * (TOKEN_CHARS - 1)
    assert breakable("x" * TOKEN_CHARS) == f'<span class="token">{"x" * TOKEN_CHARS}</span>'


def test_marking_tokens_still_escapes_every_tenant_string() -> None:
    evil = '<img src=x onerror="alert(1)">AAAAAAAAAAAAAAAAAAAAAAAA<script>'
    marked = str(breakable(evil))
    assert "<img" not in marked and "<script>" not in marked
    assert marked.count("<span") == marked.count("</span>") == 1
    assert "&lt;img" in marked and "&lt;script&gt;" in marked


def test_the_page_never_lets_ordinary_words_break_anywhere() -> None:
    html = render_html(runs.demo())
    style = html.split("<style>")[1].split("</style>")[0]
    body = re.search(r"\nbody \{[^}]*\}", style)
    assert body and "overflow-wrap: break-word" in body.group(0) and "anywhere" not in body.group(0)
    assert re.search(r"\.token, \.hash \{ overflow-wrap: anywhere; \}", style)
    assert '<span class="token">admin@contoso.onmicrosoft.com</span>' in html


def test_pdf_words_and_identifiers_are_whole(demo_pdfs: dict[str, bytes], tmp_path: Path) -> None:
    record = runs.demo()
    view = build(record, run_id=record.run_id, generator="test")
    labels = {word for step in view.steps for check in step.checks for table in check.tables
              for column in table.columns for word in column.split()}
    words = {text for _, _, _, text in words_of(demo_pdfs["a4"], tmp_path)}
    assert {"Synced", "Account", "enabled", "User", "principal", "name"} <= labels
    assert labels <= words, labels - words
    assert {r.check_id for r in record.results} <= words  # "CG-013", never "CG-0 13"
    assert "admin@contoso.onmicrosoft.com" in words


def test_nothing_of_the_hostile_run_is_drawn_past_the_page_margin(hostile_pdf: tuple[bytes, list[str]],
                                                                 tmp_path: Path) -> None:
    pdf, _ = hostile_pdf
    words = words_of(pdf, tmp_path)
    assert any(text.startswith("AAAAAAAA") for _, _, _, text in words)  # the 10,000 As are there, broken
    beyond = [(text[:20], right) for width, _, right, text in words if right > width - _RIGHT_MARGIN + 1]
    assert beyond == []
