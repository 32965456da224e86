"""The PDF report, through WeasyPrint (the only module that imports it), fetching nothing at all.

The HTML is closegate's own, but it carries tenant strings; escaping keeps them text, and the URL
fetcher is the second wall: it refuses every URL except embedded `data:` ones, so no file on this
machine and no host on any network is ever read while rendering, whatever a tenant managed to put
into a report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse

from closegate.closure.signoffs import SignOff
from closegate.models import RunRecord
from closegate.reporting.html import GENERATOR, render_view
from closegate.reporting.view import PAGE_SIZES, build

__all__ = ["RefusingFetcher", "html_to_pdf", "render_pdf"]


class RefusingFetcher(URLFetcher):
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


def render_pdf(
    record: RunRecord,
    *,
    run_id: str | None = None,
    signoffs: Sequence[SignOff] = (),
    page_size: str = "a4",
    fetcher: RefusingFetcher | None = None,
) -> bytes:
    """The report as PDF bytes. The run hash is also written to the PDF's metadata for `closegate verify`."""
    if page_size not in PAGE_SIZES:
        raise ValueError(f"page size {page_size!r} is not one of {', '.join(PAGE_SIZES)}")
    view = build(record, run_id=run_id or record.run_id, generator=GENERATOR, page_size=page_size,
                 signoffs=signoffs)
    return html_to_pdf(render_view(view, for_pdf=True), fetcher)


def html_to_pdf(html: str, fetcher: RefusingFetcher | None = None) -> bytes:
    """Any HTML to PDF behind the refusing fetcher; <meta> names become PDF metadata."""
    # base_url is a data: URL so that no relative reference can resolve to a file beside the report.
    document = weasyprint.HTML(string=html, base_url="data:,", url_fetcher=fetcher or RefusingFetcher())
    return document.write_pdf(custom_metadata=True)
