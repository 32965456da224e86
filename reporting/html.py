"""The HTML report: one self-contained file (inline CSS, no scripts, no external resources).

The same markup feeds the PDF (reporting.pdf adds the print stylesheet), so a report reads the same
in a browser and on paper. Rendering is a pure function of the run record, the sign-offs shown, the
approvers asked to sign and the page size: `closegate verify` re-renders a report to prove a file was not edited.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import jinja2

from closegate import __version__
from closegate.closure.signoffs import SignOff
from closegate.models import RunRecord
from closegate.reporting.approvers import Approver
from closegate.reporting.view import ReportView, build

__all__ = ["GENERATOR", "SIGNOFFS_BEGIN", "SIGNOFFS_END", "environment", "render_html", "render_view"]

GENERATOR = f"closegate {__version__}"
# The sign-off list is the only part of a report that grows after the run (sign-offs are appended),
# so verification compares it separately from everything else; these comments delimit it.
SIGNOFFS_BEGIN = "<!-- closegate:signoffs:begin -->"
SIGNOFFS_END = "<!-- closegate:signoffs:end -->"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Autoescape everywhere and StrictUndefined: a misspelt field fails loudly instead of vanishing."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("closegate.templates"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_view(view: ReportView, *, for_pdf: bool = False) -> str:
    """`for_pdf` adds the paged-media stylesheet (running header and footer, page numbers)."""
    return environment().get_template("report.html.j2").render(r=view, for_pdf=for_pdf)


def render_html(
    record: RunRecord,
    *,
    run_id: str | None = None,
    signoffs: Sequence[SignOff] = (),
    page_size: str = "a4",
    approvers: Sequence[Approver] = (),
) -> str:
    """The report as HTML text. `signoffs` should already be those of this run (signoffs.for_run)."""
    view = build(record, run_id=run_id or record.run_id, generator=GENERATOR, page_size=page_size,
                 signoffs=signoffs, approvers=approvers)
    return render_view(view)
