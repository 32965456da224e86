"""Proof that a PDF is the complete, unaltered report of a run, with nothing but signatures added.

The report closegate writes is reproducible (reporting.pdf), so its first revision is compared byte
for byte with a fresh rendering of the run, made with the parameters its metadata records (page size,
language, approvers, how many sign-offs it showed). When the bytes differ, a structural comparison
says what differs: the page count, which page, which metadata key. When the PDF says it was rendered
in another environment (another closegate, WeasyPrint or fonts: `closegaterenderer`), equal bytes
cannot be expected, so the structural comparison decides alone and the result says so; `strict`
refuses such a PDF instead. Every later revision must be a signature (reporting.pdf_signatures).

    check = verify_report_pdf(data, record, run_id, recorded_signoffs, anchors=(ca_cert,))
    check.ok, check.detail        # one line either way
    check.signatures              # each signature revision as validated
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from closegate.closure.policy import approval_refusal
from closegate.closure.signoffs import SignOff
from closegate.models import RunRecord
from closegate.reporting.approvers import Approver, approvers_from_json, prepared_fields
from closegate.reporting.pdf_signatures import SignatureCheck, check_signatures, read_revisions
from closegate.reporting.view import PAGE_SIZES

__all__ = ["PdfCheck", "ReportParameters", "compare_structure", "latest_metadata_problem", "metadata_of", "report_parameters", "verify_report_pdf"]

# Keys that name the environment rather than the report: they differ when the environment does.
_ENVIRONMENT_KEYS = frozenset({"/Producer", "/Creator", "/closegaterenderer"})
# Keys a signing tool rewrites in its own revision (pyHanko and Acrobat both do).
_SIGNING_KEYS = frozenset({"/Producer", "/ModDate"})


@dataclass(frozen=True)
class ReportParameters:
    """The rendering parameters a report's metadata records."""

    run_id: str
    page_size: str
    language: str
    approvers: tuple[Approver, ...]
    signoffs_shown: int
    renderer: str


@dataclass(frozen=True)
class PdfCheck:
    ok: bool
    detail: str  # one line, whether ok or not
    byte_exact: bool = False  # the first revision is byte for byte this run's rendering
    signatures: tuple[SignatureCheck, ...] = ()
    parameters: ReportParameters | None = None  # what the report's metadata records, once read


def metadata_of(data: bytes) -> dict[str, str]:
    reader = PdfReader(io.BytesIO(data))
    return {str(k): str(v) for k, v in (reader.metadata or {}).items()}


def report_parameters(metadata: Mapping[str, str]) -> ReportParameters:
    """ValueError when the metadata is not that of a closegate report (or names unknown parameters)."""
    page_size = metadata.get("/closegatepagesize", "")
    if page_size not in PAGE_SIZES:
        raise ValueError(f"it names an unknown page size {page_size[:20]!r}")
    shown = metadata.get("/closegatesignoffsshown", "")
    if not shown.isdigit():
        raise ValueError("it does not say how many sign-offs it shows")
    return ReportParameters(metadata.get("/closegaterunid", ""), page_size, metadata.get("/closegatelanguage", ""),
                            approvers_from_json(metadata.get("/closegateapprovers", "")), int(shown),
                            metadata.get("/closegaterenderer", ""))


def _texts(data: bytes) -> list[str]:
    # Whitespace is layout, not content; pypdf also puts a NUL before each character of some fonts.
    return [re.sub(r"[\s\x00]+", "", page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]


def _page_problem(given: list[str], fresh: list[str]) -> str:
    if len(given) < len(fresh):
        missing = [n for n, text in enumerate(fresh, 1) if text not in given]
        which = f": page {', '.join(map(str, missing[:5]))} of the run's {len(fresh)} is missing" if missing else ""
        return f"the PDF has {len(given)} pages, the run's report {len(fresh)}{which}"
    if len(given) > len(fresh):
        extra = [n for n, text in enumerate(given, 1) if text not in fresh]
        which = f": page {', '.join(map(str, extra[:5]))} is not the run's" if extra else ": a page appears twice"
        return f"the PDF has {len(given)} pages, the run's report {len(fresh)}{which}"
    if sorted(given) == sorted(fresh) and given != fresh:
        moved = [n for n, (a, b) in enumerate(zip(given, fresh), 1) if a != b]
        return f"the pages are out of order: page {moved[0]} is the run's page {fresh.index(given[moved[0] - 1]) + 1}"
    for n, (a, b) in enumerate(zip(given, fresh), 1):
        if a != b:
            return f"page {n} differs from the run's report: it was replaced or edited"
    return ""


def compare_structure(given: bytes, fresh: bytes, *, same_environment: bool) -> str:
    """What differs between two renderings, as one line, or "" when pages and metadata agree."""
    ignored = frozenset() if same_environment else _ENVIRONMENT_KEYS
    mine, theirs = metadata_of(given), metadata_of(fresh)
    for key in sorted((mine.keys() | theirs.keys()) - ignored):
        if mine.get(key) != theirs.get(key):
            return (f"metadata {key} was edited: {mine.get(key, '(absent)')[:80]!r} in the PDF, "
                    f"{theirs.get(key, '(absent)')[:80]!r} in the run's report")
    pages = _page_problem(_texts(given), _texts(fresh))
    if pages or not same_environment:
        return pages
    given_pages, fresh_pages = PdfReader(io.BytesIO(given)).pages, PdfReader(io.BytesIO(fresh)).pages
    for n, (a, b) in enumerate(zip(given_pages, fresh_pages, strict=False), 1):
        drawn, expected = a.get_contents(), b.get_contents()
        if drawn is None or expected is None or drawn.get_data() != expected.get_data():
            return f"page {n} is drawn differently from the run's report (its text is the same)"
    return "its bytes differ from the run's report outside the pages' text and metadata (fonts, forms or structure)"


def latest_metadata_problem(data: bytes, base: Mapping[str, str]) -> str:
    """A signing revision may rewrite Producer and ModDate, nothing else a viewer shows as the document's."""
    reader = PdfReader(io.BytesIO(data))
    latest = {str(k): str(v) for k, v in (reader.metadata or {}).items()}
    for key in sorted((latest.keys() | base.keys()) - _SIGNING_KEYS):
        if latest.get(key) != base.get(key):
            return f"metadata {key} was changed after the report was written"
    xmp = reader.xmp_metadata
    titles = set((xmp.dc_title or {}).values()) if xmp is not None else set()
    if titles - {base.get("/Title", "")}:
        return "the XMP title was changed after the report was written"
    return ""


def verify_report_pdf(data: bytes, record: RunRecord, run_id: str, signoffs: Sequence[SignOff] = (), *,
                      anchors: Sequence[x509.Certificate] = (), strict: bool = False,
                      require_trust: bool = True, moment: datetime | None = None) -> PdfCheck:
    """Is `data` the report of this run, complete and unaltered, with only valid signatures added?

    `signoffs` are those recorded beside the run (the report shows a prefix of them); `anchors` are the
    CA certificates a signature must chain to (none: chains are not judged); `strict` refuses a report
    rendered in another environment instead of comparing its structure; `require_trust=False` leaves
    an untrusted signer for the caller to judge (each SignatureCheck says whether it is trusted)."""
    from closegate.reporting.pdf import render_pdf, renderer

    try:
        revisions = read_revisions(data)
        base_meta = metadata_of(revisions.base)
    except (ValueError, PyPdfError, KeyError, TypeError, OSError) as exc:
        return PdfCheck(False, f"the PDF cannot be read ({type(exc).__name__}): it was damaged or is not a PDF")
    claimed = base_meta.get("/closegaterunid", "")
    if not claimed:
        return PdfCheck(False, "the PDF carries no closegate run hash: it is not a closegate report")
    if claimed != run_id:
        return PdfCheck(False, f"the PDF report is of run {claimed[:64]}, not of run {run_id}")
    try:
        params = report_parameters(base_meta)
    except ValueError as exc:
        return PdfCheck(False, f"the PDF's rendering parameters cannot be read ({exc}): its metadata was edited")
    mine = tuple(s for s in signoffs if s.run_id == run_id)
    if params.signoffs_shown > len(mine):
        return PdfCheck(False, f"the PDF shows {params.signoffs_shown} sign-off(s), only {len(mine)} are recorded "
                               f"for run {run_id[:16]}")
    fresh = render_pdf(record, run_id=run_id, signoffs=mine[: params.signoffs_shown], page_size=params.page_size,
                       approvers=params.approvers)
    exact = revisions.base == fresh
    rendered_here = metadata_of(fresh).get("/closegaterenderer", renderer())
    same_environment = params.renderer == rendered_here
    note = ""
    if not exact:
        difference = compare_structure(revisions.base, fresh, same_environment=same_environment)
        if same_environment or difference:
            return PdfCheck(False, f"the PDF is not the report of run {run_id[:16]} as written: {difference}")
        if strict:
            return PdfCheck(False, f"the PDF was rendered by {params.renderer[:160]}, not by this environment "
                                   f"({rendered_here[:160]}): verify it where it was rendered")
        note = (f"; rendered by another environment ({params.renderer[:120]}), so compared by page count, "
                f"per-page text and metadata, not byte for byte")
    latest = latest_metadata_problem(data, base_meta)
    if latest:
        return PdfCheck(False, latest, exact, (), params)
    # A run that cannot be approved has no approver fields (reporting.view): no approval may be added to it.
    prepared = {} if approval_refusal(record) else {name: a.name for name, a in prepared_fields(params.approvers).items()}
    problem, signatures = check_signatures(revisions, prepared, anchors, moment=moment)
    if problem:
        return PdfCheck(False, problem, exact, signatures, params)
    untrusted = next((s.untrusted() for s in signatures if s.untrusted()), "")
    if untrusted and require_trust:
        return PdfCheck(False, untrusted, exact, signatures, params)
    how = "byte for byte" if exact else "structurally"
    if not signatures:
        trust = ""
    elif not anchors:
        trust = " (signers not judged: no trust anchors given)"
    else:
        trust = " chaining to the trust anchors given" if not untrusted else " (not every signer is trusted)"
    signed = f", {len(signatures)} valid signature(s){trust}" if signatures else ", unsigned"
    return PdfCheck(True, f"the complete report of run {run_id}, matching its rendering {how}{signed}{note}",
                    exact, signatures, params)
