"""What a PDF really draws, read back with pypdf and fontTools: for each character, the glyph of the
embedded font that draws it. A character no font had is drawn with a glyph the embedded font lacks
(WeasyPrint numbers it past the font's last glyph) or with .notdef (glyph 0): the missing-glyph box."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

__all__ = ["Drawn", "drawn"]

_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")


@dataclass(frozen=True)
class Drawn:
    font: str
    glyph: int
    text: str
    real: bool  # the embedded font has an outline (or, for a colour emoji font, a bitmap drawn as an image)


def _fonts(reader: PdfReader) -> Iterator[DictionaryObject]:
    seen: set[int] = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            font = ref.get_object()
            if id(font) not in seen:
                seen.add(id(font))
                yield font


def _has_outline(ttfont: TTFont, glyph: int) -> bool:
    name = ttfont.getGlyphOrder()[glyph]
    if "glyf" in ttfont:
        g = ttfont["glyf"][name]
        return g.isComposite() or g.numberOfContours > 0
    charstring = ttfont["CFF "].cff.topDictIndex[0].CharStrings[name]
    return charstring.calcBounds(ttfont["CFF "].cff.topDictIndex[0].CharStrings) is not None


def drawn(pdf: bytes) -> list[Drawn]:
    """Every (font, glyph, text) the PDF's text uses, per its ToUnicode maps."""
    reader = PdfReader(io.BytesIO(pdf))
    images = any("/Image" in str(x.get_object().get("/Subtype")) for page in reader.pages
                 for x in page.get("/Resources", {}).get_object().get("/XObject", {}).get_object().values()) \
        if reader.pages else False
    result = []
    for font in _fonts(reader):
        name = str(font["/BaseFont"])
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        program = (descriptor.get("/FontFile2") or descriptor.get("/FontFile3")).get_object().get_data()
        ttfont = TTFont(io.BytesIO(program))
        count = ttfont["maxp"].numGlyphs
        emoji = "Emoji" in name
        for gid_hex, text_hex in _BFCHAR.findall(font["/ToUnicode"].get_object().get_data()):
            gid = int(gid_hex, 16)
            text = bytes.fromhex(text_hex.decode()).decode("utf-16-be")
            exists = 0 < gid < count
            real = exists and (text.isspace() or (images if emoji else _has_outline(ttfont, gid)))
            result.append(Drawn(name, gid, text, real))
    return result


def source_coverage(pdf: bytes) -> set[int]:
    """Every code point the embedded fonts' source files map (fontconfig says which file each one is):
    a subset keeps only the glyphs used, so coverage is read from the font the subset was made from."""
    import subprocess

    covered: set[int] = set()
    for font in _fonts(PdfReader(io.BytesIO(pdf))):
        family = str(font["/BaseFont"]).split("+", 1)[-1].replace("-", " ")
        found = subprocess.run(["fc-match", "-f", "%{file}\n%{index}", family], capture_output=True, text=True,
                               check=True, timeout=30).stdout.split("\n")
        covered |= set(TTFont(found[0], fontNumber=int(found[1] or 0), lazy=True).getBestCmap())
    return covered
