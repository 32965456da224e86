"""The summary chart: one bar per group of checks, split by status, drawn as inline SVG from counts alone.

Every number in the SVG is computed here from how many checks have each status; no tenant string
reaches the chart, so it can carry no markup or URL. Each segment has a class (coloured by the
stylesheet, light or dark) and a fill attribute (for renderers that do not apply the page's CSS to
SVG), and the counts are also written out in words beside the bars: colour is never the only sign.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from closegate.models import CheckResult, Status

__all__ = ["BAR_WIDTH", "Bar", "Segment", "bars"]

BAR_WIDTH = 600  # SVG user units; the SVG scales to its box
# The print colours of report.css, for the SVG's fill attribute.
_FILL: Mapping[Status, str] = {
    Status.FAIL: "#b42318", Status.ERROR: "#9a4d00", Status.ATTEST: "#5b3ea6", Status.PASS: "#1a7f37",
    Status.NOT_APPLICABLE: "#8c959f",
}


@dataclass(frozen=True)
class Segment:
    code: str  # the status's CSS code (view.Label.code)
    count: int
    x: int
    width: int
    fill: str


@dataclass(frozen=True)
class Bar:
    label: str
    total: int
    segments: tuple[Segment, ...]  # only statuses with at least one check, worst first


def _bar(label: str, results: Sequence[CheckResult], order: Sequence[Status], codes: Mapping[Status, str]) -> Bar:
    counts = [(status, sum(1 for r in results if r.status is status)) for status in order]
    present = [(status, n) for status, n in counts if n]
    total = sum(n for _, n in present)
    segments: list[Segment] = []
    x = 0
    for index, (status, n) in enumerate(present):
        # The last segment ends exactly at the bar's end, whatever the rounding before it.
        width = BAR_WIDTH - x if index == len(present) - 1 else round(BAR_WIDTH * n / total)
        segments.append(Segment(codes[status], n, x, width, _FILL[status]))
        x += width
    return Bar(label, total, tuple(segments))


def bars(results: Sequence[CheckResult], order: Sequence[Status], codes: Mapping[Status, str]) -> tuple[Bar, ...]:
    """Every check, then the blocking ones (those that gate the delete), each split by status in `order`."""
    blocking = [r for r in results if r.blocking]
    return tuple(bar for bar in (_bar("All checks", results, order, codes),
                                 _bar("Blocking checks", blocking, order, codes)) if bar.total)
