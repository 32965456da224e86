"""closegate's reports of a run: HTML, PDF, JUnit and the CSV object lists, rendered only from the run
record and bound to it by its hash (the JSON report is the run record itself). Reporting never talks to a tenant.

    render(record, out_dir, formats=("html", "pdf", "junit", "csv"),
           approvers=(), pdf_signer=None, signing_time=None, progress=None) -> [paths written]
    write_reports(record, out_dir)   every format, with the sign-offs recorded beside it (for `audit`)

`progress` (a callable taking one line of text) hears what is being rendered, page by page while
WeasyPrint lays out the PDF, so a command can show that a long rendering is moving.

`approvers` (reporting.approvers.Approver) are printed on the sign-off page, each with an empty PDF
signature field; `pdf_signer` (reporting.pades.SigningIdentity, from pades.load_identity) adds
closegate's PAdES signature to report.pdf, dated `signing_time`. Signing the run record itself
(run.json.sig) is the engine's (closegate.records).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from closegate.closure import signoffs as signoff_file
from closegate.closure.signoffs import SignOff
from closegate.errors import ConfigError
from closegate.files import write_atomic
from closegate.models import RunRecord
from closegate.reporting.approvers import Approver
from closegate.reporting.objects_csv import FOLDER
from closegate.reporting.view import PAGE_SIZES

if TYPE_CHECKING:  # pyHanko is imported only when a PDF is signed
    from closegate.reporting.pades import SigningIdentity

__all__ = ["FORMATS", "REPORT_FILES", "Progress", "render", "write_reports"]

FORMATS: tuple[str, ...] = ("html", "pdf", "junit", "csv")
REPORT_FILES = {"html": "report.html", "pdf": "report.pdf", "junit": "junit.xml", "csv": FOLDER}
Progress = Callable[[str], None]


def _quiet(line: str) -> None:
    return None


def render(
    record: RunRecord,
    out_dir: Path,
    formats: Sequence[str] = FORMATS,
    *,
    page_size: str = "a4",
    signoffs: Sequence[SignOff] = (),
    approvers: Sequence[Approver] = (),
    pdf_signer: SigningIdentity | None = None,
    signing_time: datetime | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the requested reports of `record` into `out_dir` (csv: the folder report-objects/)."""
    tell = progress or _quiet
    if pdf_signer is not None and signing_time is None:
        raise ValueError("a PDF signature needs its signing time")
    unknown = [f for f in formats if f not in REPORT_FILES]
    if unknown:
        raise ConfigError(f"unknown report format {', '.join(unknown)}", f"use {', '.join(FORMATS)}")
    if page_size not in PAGE_SIZES:
        raise ConfigError(f"unknown page size {page_size!r}", f"use {' or '.join(PAGE_SIZES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    run_id = record.run_id  # hashing a large record is not free: once per render
    mine = signoff_file.for_run(signoffs, run_id)
    written: list[Path] = []
    if "html" in formats:
        from closegate.reporting.html import render_html

        tell(f"rendering {REPORT_FILES['html']}")
        html = render_html(record, run_id=run_id, signoffs=mine, page_size=page_size, approvers=approvers)
        written.append(write_atomic(out / REPORT_FILES["html"], html))
    if "pdf" in formats:
        tell(f"rendering {REPORT_FILES['pdf']}")  # before the import: loading WeasyPrint takes seconds
        from closegate.reporting.pdf import render_pdf

        pdf = render_pdf(record, run_id=run_id, signoffs=mine, page_size=page_size, approvers=approvers,
                         progress=lambda line: tell(f"rendering {REPORT_FILES['pdf']}: {line}"))
        if pdf_signer is not None and signing_time is not None:
            from closegate.reporting.pades import report_reason, sign_pdf

            tell(f"signing {REPORT_FILES['pdf']}")
            pdf = sign_pdf(pdf, pdf_signer, signing_time=signing_time, reason=report_reason(run_id))
        written.append(write_atomic(out / REPORT_FILES["pdf"], pdf))
    if "junit" in formats:
        from closegate.reporting.junit import render_junit

        written.append(write_atomic(out / REPORT_FILES["junit"], render_junit(record, run_id=run_id)))
    if "csv" in formats:
        from closegate.reporting.objects_csv import write_objects

        tell(f"writing {REPORT_FILES['csv']}/")
        written.extend(write_objects(record, out, run_id=run_id))
    return written


def write_reports(record: RunRecord, out_dir: Path, *, page_size: str = "a4", approvers: Sequence[Approver] = (),
                  pdf_signer: SigningIdentity | None = None, signing_time: datetime | None = None,
                  progress: Progress | None = None) -> list[Path]:
    """What `closegate audit` writes beside run.json: every format, showing sign-offs already recorded there.

    A report shows sign-offs another installation recorded too (with what their own signatures prove);
    only the gate refuses them. One edited after it was recorded is an IntegrityError, as everywhere."""
    signoffs = signoff_file.load(Path(out_dir), warn=lambda _why: None)
    return render(record, out_dir, FORMATS, page_size=page_size, signoffs=signoffs,
                  approvers=approvers, pdf_signer=pdf_signer, signing_time=signing_time, progress=progress)
