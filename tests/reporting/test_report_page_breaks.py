"""Tables on paper: wherever a page break falls, no page holds a single row of a table that has more."""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from pypdf import PdfReader

from closegate.models import RunRecord, Status, Step
from closegate.reporting.pdf import render_pdf
from tests.reporting import runs

ROWS = 6
MARK = re.compile(r"(why|upn)-mark-(\d+)")


def _record(filler: int) -> RunRecord:
    """A run whose first check's fix pushes what follows down by `filler` words, then a step whose checks table
    and a users table (after a "Where to look" as long) each have ROWS rows, every row carrying a marker
    found nowhere else."""
    users = [{"user_principal_name": f"upn-mark-{n}@contoso.com", "display_name": f"User {n}"} for n in range(ROWS)]
    results = [runs.result("CG-001", Step.BACKUP, Status.FAIL, "filler", fix="filler " * filler)]
    first = {"users": users, "where_to_look": "filler " * filler}
    results += [runs.result(f"CG-{n + 10:03d}", Step.DELETE_USERS, Status.FAIL, f"check {n}", first if n == 0 else {},
                            why=f"why-mark-{n} " + "matters " * 12)
                for n in range(ROWS)]
    return runs.record(tuple(results))


def _rows_per_page(pdf: bytes) -> list[Counter[str]]:
    pages = [(p.extract_text() or "").replace("\x00", "") for p in PdfReader(io.BytesIO(pdf)).pages]
    return [Counter(kind for kind, _ in set(MARK.findall(text))) for text in pages]


# Filler words in steps of about a line, across the band where, with the report's fonts, a break falls
# inside the checks table and inside the users table. Without the CSS rules (taken out to see), 530..560
# leave one users row on a page and 570..590 one checks row.
FILLERS = range(450, 600, 10)

# Fifteen PDF layouts in one fixture: about a minute on an idle machine, over the suite's 300 s on one
# shared by other jobs (load 15 on 2 cores). The timeout is a hang guard, sized for a loaded machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def renderings() -> dict[int, list[Counter[str]]]:
    return {filler: _rows_per_page(render_pdf(_record(filler))) for filler in FILLERS}


def test_no_page_holds_a_lone_row_of_a_longer_table(renderings: dict[int, list[Counter[str]]]) -> None:
    for filler, pages in renderings.items():
        for kind in ("why", "upn"):
            counts = [page[kind] for page in pages if page[kind]]
            assert sum(counts) == ROWS, (filler, kind, counts)
            assert all(count >= 2 for count in counts), f"filler {filler}: {kind} rows per page {counts}"


def test_the_breaks_are_exercised_each_table_does_split_across_pages(renderings: dict[int, list[Counter[str]]]) -> None:
    for kind in ("why", "upn"):
        split = [filler for filler, pages in renderings.items() if sum(1 for page in pages if page[kind]) > 1]
        assert split, f"no filler made the {kind} table span two pages: the test above would prove nothing"
