"""Ways to change a PDF report after closegate wrote it: each is a test of `closegate verify`."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.generic import NameObject as HankoName
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

__all__ = ["add_page", "append_update", "draw_on_page", "edit_title", "remove_page", "replace_page", "swap_pages"]


def _rewrite(data: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def remove_page(data: bytes, index: int) -> bytes:
    return _rewrite(data, lambda w: w.remove_page(index))


def add_page(data: bytes, copy_of: int) -> bytes:
    return _rewrite(data, lambda w: w.add_page(w.pages[copy_of]))


def swap_pages(data: bytes, first: int, second: int) -> bytes:
    def swap(writer: PdfWriter) -> None:
        kids = writer._root_object["/Pages"]["/Kids"]  # noqa: SLF001 - pypdf has no public reorder
        kids[first], kids[second] = kids[second], kids[first]
    return _rewrite(data, swap)


def replace_page(data: bytes, index: int, other: bytes) -> bytes:
    """Page `index` swapped for the same page of another report."""
    donor = PdfReader(io.BytesIO(other)).pages[index]

    def replace(writer: PdfWriter) -> None:
        writer.insert_page(donor, index)
        writer.remove_page(index + 1)
    return _rewrite(data, replace)


def edit_title(data: bytes, title: str) -> bytes:
    return _rewrite(data, lambda w: w.add_metadata({NameObject("/Title"): TextStringObject(title)}))


def draw_on_page(data: bytes, index: int) -> bytes:
    """A red square drawn on a page: its text is unchanged, its look is not."""
    def draw(writer: PdfWriter) -> None:
        page = writer.pages[index]
        contents = page.get_contents()
        assert contents is not None
        contents.set_data(contents.get_data() + b"\nq 1 0 0 rg 20 20 40 40 re f Q\n")
        page.replace_contents(contents)
    return _rewrite(data, draw)


def append_update(data: bytes) -> bytes:
    """An incremental update (the catalog's page mode changed), appended without a signature."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    writer.root[HankoName("/PageMode")] = HankoName("/UseOutlines")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
