"""The report's "Records and legal" section and its legal sign-off block, as display-ready data.

Beyond Microsoft's five steps, what a compliance officer must know before the tenant is destroyed
(legal holds, retention, devices: checks marked `records`) is reported as a section of its own, in
Microsoft's order right after the backup step (step 0), because all of it must be settled before
users and subscriptions are deleted. A run whose legal-hold check failed also gets a legal sign-off
block on the sign-off page, naming each hold a person in a legal role would accept by signing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from closegate.models import CheckResult, Status
from closegate.reporting.text import clip, visible

__all__ = ["RECORDS_ANCHOR", "RECORDS_LABEL", "RECORDS_TITLE", "LegalView", "legal_view", "split_records"]

RECORDS_ANCHOR = "records"
RECORDS_LABEL = "Records and legal"
RECORDS_TITLE = "Legal holds, retention and devices: what closing destroys beyond Microsoft's list"
_HOLDS_SHOWN = 20


@dataclass(frozen=True)
class LegalView:
    check_ids: str  # the legal-hold checks that failed, e.g. "CG-019"
    holds: tuple[str, ...]  # one line per hold or custodian hold the signer accepts
    more: int  # holds left out of the page (all are in run.json)


def split_records(results: Sequence[CheckResult]) -> tuple[list[CheckResult], list[CheckResult]]:
    """(Microsoft's procedure checks, the Records and legal checks), each in run order."""
    return [r for r in results if not r.records], [r for r in results if r.records]


def _line(row: Mapping[str, Any], custodian: bool) -> str:
    if custodian:
        text = f"custodian {row.get('email') or row.get('custodian')} (case '{row.get('case')}')"
    else:
        held = [*(row.get("mailboxes") or ()), *(row.get("sites") or ())]
        text = f"'{row.get('hold')}' (case '{row.get('case')}'): {', '.join(map(str, held)) or 'no source listed'}"
    return visible(clip(text, 300))


def legal_view(results: Sequence[CheckResult]) -> LegalView | None:
    """The legal sign-off block, when a check a legal sign-off may accept failed; None otherwise."""
    failed = [r for r in results if r.legal_signoff and r.status is Status.FAIL]
    if not failed:
        return None
    lines: list[str] = []
    counted = 0
    for result in failed:
        for key, custodian in (("active_holds", False), ("custodians_on_hold", True)):
            rows = result.evidence.get(key) or []
            lines += [_line(row, custodian) for row in rows if isinstance(row, Mapping)]
            total = result.evidence.get(f"{key}_count")
            counted += total if isinstance(total, int) else len(rows)
    shown = tuple(lines[:_HOLDS_SHOWN])
    return LegalView(", ".join(visible(r.check_id) for r in failed), shown, max(0, counted - len(shown)))
