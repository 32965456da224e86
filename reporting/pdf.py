"""The PDF report, through WeasyPrint (the only module that imports it), fetching nothing at all.

The HTML is closegate's own, but it carries tenant strings; escaping keeps them text, and the URL
fetcher is the second wall: it refuses every URL except embedded `data:` ones, so no file on this
machine and no host on any network is ever read while rendering, whatever a tenant managed to put
into a report.

A rendering is reproducible: the same run, parameters and rendering environment give the same bytes,
so `closegate verify` can compare a report byte for byte with a fresh rendering of its run. The dates
come from the run (never the clock), the PDF /ID from the run hash, and the environment that shaped
the bytes (closegate, WeasyPrint, pydyf, fontTools, Pango, the subsetter and every embedded font's
name and version) is written into the metadata as `closegaterenderer`, so a verifier on another
machine knows a byte comparison cannot hold and compares the structure instead. The empty signature
fields for the approvers are written into this same, single revision, on the boxes the template marks.

Laying out a large report takes many seconds; `progress` hears WeasyPrint's own progress messages
(its `weasyprint.progress` logger: parsing, styling, each page laid out, writing) for this rendering
only, so a command can show that it is moving.
"""

from __future__ import annotations

import io
import logging
import os
import re
import struct
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from hashlib import sha256
from typing import Any

import fontTools
import pydyf
import weasyprint
from fontTools.ttLib import TTFont, TTLibError
from weasyprint.urls import URLFetcher, URLFetcherResponse

from closegate.closure.signoffs import SignOff
from closegate.models import RunRecord
from closegate.reporting.approvers import Approver
from closegate.reporting.html import GENERATOR, render_view
from closegate.reporting.view import PAGE_SIZES, build

__all__ = ["FIELD_ANCHOR_PREFIX", "RENDERER_KEY", "PdfStamp", "RefusingFetcher", "html_to_pdf", "render_pdf",
           "report_stamp"]

FIELD_ANCHOR_PREFIX = "closegate-field-"  # an element with id PREFIX + NAME becomes signature field NAME
RENDERER_KEY = "closegaterenderer"  # the metadata key naming the rendering environment
_PT_PER_PX = 0.75  # PDF points per CSS pixel (72 / 96)
# fontTools stamps the current time into every font it saves unless SOURCE_DATE_EPOCH is set (the
# reproducible-builds convention it follows, fontTools.misc.timeTools.timestampNow); the variable is
# process-wide, so renderings take turns while it is set.
_EPOCH_LOCK = threading.Lock()
_STEP = re.compile(r"^Step (\d) - ")
_PAGE = re.compile(r"Page (\d+)")
# WeasyPrint's steps (weasyprint/__init__.py, css, layout, pdf), as a reader of a terminal would say them.
_STEPS = {"1": "reading the HTML", "2": "reading the styles", "3": "applying the styles", "4": "building the boxes",
          "6": "writing the PDF", "7": "adding the PDF metadata"}


class _ProgressHandler(logging.Handler):
    """Forwards WeasyPrint's progress lines logged by one thread (one rendering) to a callable."""

    def __init__(self, tell: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self._tell = tell
        self._thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self._thread:
            return
        message = record.getMessage()
        step = _STEP.match(message)
        page = _PAGE.search(message)
        if step and step.group(1) == "5":
            self._tell(f"laying out page {page.group(1)}" if page else "laying out the pages again")
        elif step and step.group(1) in _STEPS:
            self._tell(_STEPS[step.group(1)])


class _Listeners:
    """How many renderings listen to WeasyPrint's progress logger, which is process-wide, right now."""

    lock = threading.Lock()
    count = 0


@contextmanager
def _listening_to_progress(tell: Callable[[str], None] | None) -> Iterator[None]:
    if tell is None:
        yield
        return
    handler = _ProgressHandler(tell)
    logger = weasyprint.PROGRESS_LOGGER
    with _Listeners.lock:
        if _Listeners.count == 0:
            logger.setLevel(logging.INFO)  # WeasyPrint logs its progress at INFO; Python's default drops it
        _Listeners.count += 1
        logger.addHandler(handler)
    try:
        yield
    finally:
        with _Listeners.lock:
            logger.removeHandler(handler)
            _Listeners.count -= 1
            if _Listeners.count == 0:
                logger.setLevel(logging.NOTSET)


class RefusingFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type information
    """Serves `data:` URLs and refuses every other one; `on_refused` lets a test count the attempts."""

    def __init__(self, on_refused: Callable[[str], None] | None = None) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False)
        self._on_refused = on_refused

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if not url.lower().startswith("data:"):
            if self._on_refused is not None:
                self._on_refused(url)
            raise ValueError(f"closegate reports fetch nothing: refused {url[:80]!r}")
        return super().fetch(url, headers)


@dataclass(frozen=True)
class PdfStamp:
    """What makes a rendering reproducible: the moment it claims (its dates, and the fonts' timestamps),
    the document identifier, and a tooltip for each signature field the HTML marks."""

    moment: datetime
    identifier: str  # ASCII, the first element of the PDF /ID
    field_labels: Mapping[str, str] = field(default_factory=dict)


def report_stamp(record: RunRecord, run_id: str, field_labels: Mapping[str, str]) -> PdfStamp:
    """The stamp of a run's report: dated at the run's end, identified by its hash."""
    return PdfStamp(record.ended, sha256(f"closegate-report:{run_id}".encode("ascii")).hexdigest()[:32],
                    field_labels)


def render_pdf(
    record: RunRecord,
    *,
    run_id: str | None = None,
    signoffs: Sequence[SignOff] = (),
    page_size: str = "a4",
    approvers: Sequence[Approver] = (),
    fetcher: RefusingFetcher | None = None,
    progress: Callable[[str], None] | None = None,
) -> bytes:
    """The report as PDF bytes, one revision, an empty signature field on each approver's box.

    The run hash, verdict and every rendering parameter (page size, language, approvers, how many
    sign-offs are shown) are in the metadata, so `closegate verify` can render it again. `progress`
    hears each step of the rendering ("creating layout, page 7")."""
    if page_size not in PAGE_SIZES:
        raise ValueError(f"page size {page_size!r} is not one of {', '.join(PAGE_SIZES)}")
    run_id = run_id or record.run_id
    view = build(record, run_id=run_id, generator=GENERATOR, page_size=page_size, signoffs=signoffs,
                 approvers=approvers)
    labels = {a.field: f"Approver {a.number}" + (f": {a.name}" if a.name else "") + (f", {a.role}" if a.role else "")
              for a in view.approvers}
    with _listening_to_progress(progress):
        return html_to_pdf(render_view(view, for_pdf=True), fetcher, stamp=report_stamp(record, run_id, labels))


def html_to_pdf(html: str, fetcher: RefusingFetcher | None = None, *, stamp: PdfStamp | None = None) -> bytes:
    """Any HTML to PDF behind the refusing fetcher; <meta> names become PDF metadata. With a stamp the
    bytes are reproducible and elements with an id FIELD_ANCHOR_PREFIX + NAME become signature fields."""
    # base_url is a data: URL so that no relative reference can resolve to a file beside the report.
    document = weasyprint.HTML(string=html, base_url="data:,", url_fetcher=fetcher or RefusingFetcher())
    if stamp is None:
        plain: bytes = document.write_pdf(custom_metadata=True)
        return plain
    with _fonts_dated(stamp.moment):
        stamped: bytes = document.write_pdf(custom_metadata=True, pdf_identifier=stamp.identifier.encode("ascii"),
                                            finisher=lambda doc, pdf: _finish(doc, pdf, stamp))
        return stamped


@contextmanager
def _fonts_dated(moment: datetime) -> Iterator[None]:
    with _EPOCH_LOCK:
        before = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
        try:
            yield
        finally:
            if before is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = before


def _finish(document: Any, pdf: pydyf.PDF, stamp: PdfStamp) -> None:
    """WeasyPrint's finisher hook: runs after the pages and fonts are written, before the trailer."""
    pdf.info[RENDERER_KEY] = pydyf.String(renderer(document.fonts.values()))
    fields = pydyf.Array()
    for number, page in enumerate(document.pages):
        pdf_page = pdf.objects[pdf.pages["Kids"][3 * number]]  # Kids holds "N 0 R" as three items
        for anchor, box in sorted(page.anchors.items()):
            if anchor.startswith(FIELD_ANCHOR_PREFIX):
                name = anchor[len(FIELD_ANCHOR_PREFIX):]
                fields.append(_signature_field(pdf, pdf_page, page.height, box, name, stamp.field_labels.get(name, name)))
    if fields:
        form = pydyf.Dictionary({"Fields": fields})
        pdf.add_object(form)
        pdf.catalog["AcroForm"] = form.reference


def _signature_field(pdf: pydyf.PDF, pdf_page: pydyf.Dictionary, page_height: float,
                     box: tuple[float, float, float, float], name: str, label: str) -> Any:
    """An empty signature field (ISO 32000-1 §12.7.4.5) with its widget merged into it, as Acrobat and
    pyHanko create them: filling it is "form filling", which a certifying signature permits."""
    x1, y1, x2, y2 = (v * _PT_PER_PX for v in box)
    top = page_height * _PT_PER_PX
    # An empty appearance: the viewer draws its own "sign here" affordance over the printed line.
    appearance = pydyf.Stream([], pydyf.Dictionary({"Type": "/XObject", "Subtype": "/Form",
                                                    "BBox": pydyf.Array([0, 0, x2 - x1, y2 - y1])}))
    pdf.add_object(appearance)
    widget = pydyf.Dictionary({
        "Type": "/Annot", "Subtype": "/Widget", "FT": "/Sig", "T": pydyf.String(name), "TU": pydyf.String(label),
        "Rect": pydyf.Array([x1, top - y2, x2, top - y1]), "F": 4, "P": pdf_page.reference,
        "AP": pydyf.Dictionary({"N": appearance.reference}),
    })
    pdf.add_object(widget)
    pdf_page.setdefault("Annots", pydyf.Array()).append(widget.reference)
    return widget.reference


def renderer(fonts: Any = ()) -> str:
    """The environment that decides a rendering's bytes, as one line; `fonts` are WeasyPrint's fonts."""
    from weasyprint.text.ffi import harfbuzz_subset, pango

    names = sorted({_font_name(font) for font in fonts})
    return (f"{GENERATOR}; WeasyPrint {weasyprint.__version__}; pydyf {pydyf.__version__}; "
            f"fontTools {fontTools.version}; Pango {pango.pango_version()}; "
            f"subsetter {'HarfBuzz' if harfbuzz_subset is not None else 'fontTools'}; fonts {', '.join(names)}")


def _font_name(font: Any) -> str:
    """A font's family and version as the font itself declares them (name ids 1 and 5)."""
    content: bytes = font.file_content
    try:
        ttfont = TTFont(io.BytesIO(content), fontNumber=font.index if content[:4] == b"ttcf" else -1, lazy=True)
        table = ttfont["name"]
        return f"{table.getDebugName(1) or font.family} {table.getDebugName(5) or ''}".strip()
    except (TTLibError, KeyError, ValueError, struct.error):
        # A font fontTools cannot read is still named, by its family and a digest of what is embedded.
        return f"{font.family} sha256:{sha256(content).hexdigest()[:16]}"
