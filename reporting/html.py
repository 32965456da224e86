"""The HTML report: one self-contained file (inline CSS, one small script of closegate's, nothing external).

The same markup feeds the PDF (reporting.pdf adds the print stylesheet and leaves out the controls), so
a report reads the same in a browser and on paper. Rendering is a pure function of the run record, the
sign-offs shown, the approvers asked to sign and the page size: `closegate verify` re-renders a report
to prove a file was not edited.

In a browser, the status filter is CSS alone (radio buttons and `:has()`), and evidence folds in
`<details>`. The search box needs the one script, `templates/report.js`: it reads the page's text and
only toggles a class or attribute on elements already there, never creating markup, so no tenant
string it reads can become code. The page's Content-Security-Policy allows exactly that script and
that stylesheet (by their SHA-256) and no fetch of anything, so even markup that escaped the escaping
could neither run nor load.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import jinja2
from markupsafe import Markup

from closegate import __version__
from closegate.closure.signoffs import SignOff
from closegate.models import RunRecord
from closegate.reporting.approvers import Approver
from closegate.reporting.breaks import breakable
from closegate.reporting.view import ReportView, build

__all__ = ["GENERATOR", "SIGNOFFS_BEGIN", "SIGNOFFS_END", "content_policy", "environment", "render_html",
           "render_view", "script"]

GENERATOR = f"closegate {__version__}"
# The sign-off list is the only part of a report that grows after the run (sign-offs are appended),
# so verification compares it separately from everything else; these comments delimit it.
SIGNOFFS_BEGIN = "<!-- closegate:signoffs:begin -->"
SIGNOFFS_END = "<!-- closegate:signoffs:end -->"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Autoescape everywhere and StrictUndefined: a misspelt field fails loudly instead of vanishing."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("closegate.templates"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["breakable"] = breakable
    return env


@lru_cache(maxsize=1)
def script() -> str:
    """The report's one script, as shipped in the package."""
    return resources.files("closegate.templates").joinpath("report.js").read_text("utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_policy(style: str) -> str:
    """Nothing may load; only this stylesheet and closegate's script may apply and run (CSP level 2 hashes)."""
    return (f"default-src 'none'; style-src {_sha256(style)}; script-src {_sha256(script())}; "
            "img-src 'none'; base-uri 'none'; form-action 'none'")


def render_view(view: ReportView, *, for_pdf: bool = False) -> str:
    """`for_pdf` adds the paged-media stylesheet (running header and footer, page numbers) and leaves out
    the browser's controls (filter, search) and its script."""
    env = environment()
    style = env.get_template("report.css").render(r=view)
    style += env.get_template("pdf.css.j2" if for_pdf else "report_screen.css").render(r=view)
    return env.get_template("report.html.j2").render(
        r=view, for_pdf=for_pdf, style=Markup(style), script=Markup(script()),  # noqa: S704 - closegate's own files
        policy=content_policy(style))


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
