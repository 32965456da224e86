"""Proof that a report belongs to a run and was not changed.

Every report carries the run's hash (HTML: a meta tag and the visible text; PDF: its metadata and the
footer of every page). An HTML report is also re-rendered from the record and compared, so an edited
verdict or finding is caught even when the hash was left alone; a PDF report likewise, byte for byte
(reporting.pdf_integrity), with nothing after it but valid signatures. Anything that does not match is a
failed `Proof` (closegate.records), never an exception. The run record itself and its signature are
verified by closegate.records.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from closegate.closure import signoffs as signoff_file
from closegate.closure.signoffs import SignOff
from closegate.models import RunRecord
from closegate.records import Proof
from closegate.reporting.approvers import approvers_from_json

__all__ = ["verify_html", "verify_pdf"]

_META = re.compile(r'<meta name="closegate-(run-id|page-size|verdict|approvers)" content="([^"]*)">')
_GENERATOR = re.compile(r'<meta name="generator" content="([^"]*)">')


def _html_markers(text: str) -> dict[str, str]:
    return {m.group(1): html.unescape(m.group(2)) for m in _META.finditer(text)}


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
    try:
        approvers = approvers_from_json(markers.get("approvers", "[]"))
    except ValueError:
        return Proof(subject, False, "the HTML report's list of approvers cannot be read: it was edited")
    fresh = render_html(record, run_id=run_id, page_size=page_size, approvers=approvers)
    if fresh.split(SIGNOFFS_BEGIN)[0] != text.split(SIGNOFFS_BEGIN)[0]:
        return Proof(subject, False, f"the HTML report was edited: its content differs from run {run_id}")
    for shown in range(len(mine) + 1):
        if render_html(record, run_id=run_id, page_size=page_size, signoffs=mine[:shown], approvers=approvers) == text:
            return Proof(subject, True, f"carries run hash {run_id} and matches the run record "
                                        f"({shown} sign-off(s) shown)")
    return Proof(subject, False, "the HTML report's sign-off section does not match the sign-offs recorded for this run")


def verify_pdf(path: Path, record: RunRecord, run_id: str, signoffs: Sequence[SignOff] = (), *,
               anchors: Sequence[Any] = (), strict: bool = False) -> Proof:
    """The PDF is the complete, unaltered report of this run (reporting.pdf_integrity), with nothing added
    after it but valid signatures. `signoffs` are those recorded beside the run; `anchors` the CA
    certificates (cryptography x509) signatures must chain to."""
    from closegate.reporting.pdf_integrity import verify_report_pdf

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return Proof(str(path), False, f"the PDF cannot be read ({exc.strerror})")
    check = verify_report_pdf(data, record, run_id, signoffs, anchors=anchors, strict=strict)
    return Proof(str(path), check.ok, check.detail)
