"""Proof that a report belongs to a run and was not changed.

Every report carries the run's hash (HTML: a meta tag and the visible text; PDF: its metadata and the
footer of every page). An HTML report is also re-rendered from the record and compared, so an edited
verdict or finding is caught even when the hash was left alone. Anything that does not match is a
failed `Proof` (closegate.records), never an exception. The run record itself and its signature are
verified by closegate.records.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from closegate.closure import signoffs as signoff_file
from closegate.closure.signoffs import SignOff
from closegate.errors import ConfigError
from closegate.models import RunRecord
from closegate.records import Proof

__all__ = ["verify_html", "verify_pdf"]

_META = re.compile(r'<meta name="closegate-(run-id|page-size|verdict)" content="([^"]*)">')
_GENERATOR = re.compile(r'<meta name="generator" content="([^"]*)">')


def _html_markers(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in _META.finditer(text)}


def verify_html(path: Path, record: RunRecord, run_id: str, signoffs: Sequence[SignOff]) -> Proof:
    """The HTML carries this run's hash and is, byte for byte, its rendering (with some prefix of its
    sign-offs, since sign-offs are appended after a report is written)."""
    from closegate.reporting.html import GENERATOR, SIGNOFFS_BEGIN, render_html

    subject = str(path)
    text = Path(path).read_bytes().decode("utf-8", errors="replace")
    markers = _html_markers(text)
    claimed = markers.get("run-id")
    if not claimed:
        return Proof(subject, False, "the HTML carries no closegate run hash: it is not a closegate report")
    if claimed != run_id:
        return Proof(subject, False, f"the HTML report is of run {claimed[:64]}, not of run {run_id}")
    generator = _GENERATOR.search(text)
    if generator is None or generator.group(1) != GENERATOR:
        rendered_by = generator.group(1) if generator else "an unknown version"
        return Proof(subject, True, f"carries run hash {run_id}; content not compared: rendered by {rendered_by[:60]}, "
                                    f"this is {GENERATOR}")
    page_size = markers.get("page-size", "a4")
    mine = signoff_file.for_run(signoffs, run_id)
    if page_size not in ("a4", "letter"):
        return Proof(subject, False, f"the HTML report names an unknown page size {page_size[:20]!r}")
    fresh = render_html(record, run_id=run_id, page_size=page_size)
    if fresh.split(SIGNOFFS_BEGIN)[0] != text.split(SIGNOFFS_BEGIN)[0]:
        return Proof(subject, False, f"the HTML report was edited: its content differs from run {run_id}")
    for shown in range(len(mine) + 1):
        if render_html(record, run_id=run_id, page_size=page_size, signoffs=mine[:shown]) == text:
            return Proof(subject, True, f"carries run hash {run_id} and matches the run record "
                                        f"({shown} sign-off(s) shown)")
    return Proof(subject, False, "the HTML report's sign-off section does not match the sign-offs recorded for this run")


def verify_pdf(path: Path, record: RunRecord, run_id: str) -> Proof:
    """The PDF names this run in its metadata and on every page, with the run's verdict and check ids."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError as exc:
        raise ConfigError("verifying a PDF report needs the pypdf package",
                          "install it: pip install pypdf") from exc
    from closegate.reporting.view import VERDICT_LABELS

    subject = str(path)
    try:
        reader = PdfReader(str(path))
        metadata = reader.metadata or {}
        # pypdf decodes some two-byte font encodings with a NUL before each character: drop them.
        pages = [(page.extract_text() or "").replace("\x00", "") for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        return Proof(subject, False, f"the PDF cannot be read ({type(exc).__name__}): it was damaged or is not a PDF")
    # WeasyPrint turns <meta name="closegate-run-id"> into /closegaterunid: compare names letters only.
    meta = {re.sub(r"[^a-z]", "", str(k).lower()): str(v) for k, v in metadata.items()}
    claimed = meta.get("closegaterunid", "")
    if not claimed:
        return Proof(subject, False, "the PDF carries no closegate run hash: it is not a closegate report")
    if claimed != run_id:
        return Proof(subject, False, f"the PDF report is of run {claimed[:64]}, not of run {run_id}")
    unmarked = [str(n) for n, text in enumerate(pages, 1) if run_id not in text.replace("\n", "")]
    if unmarked:
        return Proof(subject, False, f"page(s) {', '.join(unmarked[:10])} of the PDF do not carry run hash {run_id}")
    verdict = VERDICT_LABELS[record.verdict].text
    if meta.get("closegateverdict") != verdict or verdict not in pages[0]:
        return Proof(subject, False, f"the PDF does not state this run's verdict {verdict}")
    everything = "".join(pages)
    missing = [r.check_id for r in record.results if r.check_id not in everything]
    if missing:
        return Proof(subject, False, f"the PDF does not report check(s) {', '.join(missing[:10])} of the run")
    return Proof(subject, True, f"carries run hash {run_id} on all {len(pages)} pages, verdict {verdict}")
