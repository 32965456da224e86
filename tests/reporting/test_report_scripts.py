"""Every script a tenant's names may be in is drawn in the PDF (issue 19): Chinese (Traditional and
Simplified), Japanese, Korean, Arabic and Hebrew (shaped, right to left), Devanagari, Thai and emoji."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from closegate.reporting.html import render_html
from closegate.reporting.pdf import html_to_pdf, render_pdf
from tests.reporting import runs
from tests.reporting.glyphs import drawn, source_coverage

# Format characters join or select glyphs and have none of their own.
_FORMAT = {"\u200d", "\ufe0f"}
_NOTDEF_TEXT = "\uffff"  # WeasyPrint maps glyph 0 to U+FFFF in every font's ToUnicode


@pytest.fixture(scope="module")
def scripts_pdf() -> bytes:
    return render_pdf(runs.scripts())


def test_no_character_of_any_script_falls_back_to_the_missing_glyph_box(scripts_pdf: bytes) -> None:
    glyphs = [d for d in drawn(scripts_pdf) if d.text != _NOTDEF_TEXT]
    assert [d for d in glyphs if not d.real] == []
    covered = source_coverage(scripts_pdf)
    for script, name in runs.SCRIPTS.items():
        missing = [f"U+{ord(c):04X}" for c in name if c not in _FORMAT and ord(c) not in covered]
        assert missing == [], f"{script}: no embedded font has {missing}"


def test_a_character_no_font_has_is_caught_by_the_same_check() -> None:
    pdf = html_to_pdf("<html><body><p>x \U0010fffd y</p></body></html>")
    assert [d.text for d in drawn(pdf) if not d.real and d.text != _NOTDEF_TEXT] == ["\U0010fffd"]


def test_arabic_is_shaped_into_its_joined_forms(scripts_pdf: bytes) -> None:
    meem = {d.glyph for d in drawn(scripts_pdf) if d.text == "\u0645"}  # م: initial and medial in محمد الأحمد
    assert len(meem) >= 2


def test_devanagari_conjuncts_are_formed(scripts_pdf: bytes) -> None:
    # The reph (र्) above ज is one cluster drawn by Noto Sans Devanagari, not letters side by side.
    assert any(len(d.text) > 1 and "\u094d" in d.text and "Devanagari" in d.font for d in drawn(scripts_pdf))


def test_every_font_the_pdf_uses_is_embedded(scripts_pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "scripts.pdf"
    path.write_bytes(scripts_pdf)
    rows = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    families = " ".join(rows)
    for family in ("Noto-Sans-CJK-TC", "Noto-Sans-Devanagari", "Noto-Sans-Thai", "Noto-Color-Emoji", "DejaVu-Sans"):
        assert family in families
    assert all(row.split()[-5] == "yes" for row in rows), rows  # the "emb" column


def test_the_page_with_every_script_renders_to_png_in_colour(scripts_pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "scripts.pdf"
    path.write_bytes(scripts_pdf)
    page = next(n for n, p in enumerate(PdfReader(io.BytesIO(scripts_pdf)).pages, 1)
                if runs.SCRIPTS["Thai"] in (p.extract_text() or ""))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), "-singlefile", str(path),
                    str(tmp_path / "page")], check=True, timeout=60)
    image = Image.open(tmp_path / "page.png").convert("RGB")
    # The emoji are colour bitmaps; their yellow (the woman's default skin, the rocket's flame) is in no
    # colour the report itself uses, so finding it proves they were drawn rather than left as boxes.
    data = image.tobytes()
    yellow = sum(1 for r, g, b in zip(data[0::3], data[1::3], data[2::3]) if r > 220 and 150 < g < 230 and b < 120)
    assert yellow > 20


def test_the_html_carries_every_script_as_text_and_names_the_fonts() -> None:
    html = render_html(runs.scripts())
    for name in runs.SCRIPTS.values():
        assert name in html
    assert '"Noto Sans CJK TC"' in html and '"Noto Sans Devanagari"' in html
