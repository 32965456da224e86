"""Whether the report of a run may be signed, and the plain words its sign-off page says when it may not.

Approving a report means approving the closure of the tenant on the strength of that run. The gate
(closegate.gate.decide) opens only for a complete run in which every blocking check passed, nothing is
undecided, and the only failure it ever accepts is that of a check a legal sign-off may accept (the
active legal holds, CG-019). A run outside that is one no sign-off can help: its sign-off page says
so and offers no approver box and no PDF signature field, so nobody signs a NOT READY report thinking
it approves a closure. Whether it may be approved is closegate.closure.policy.approval_refusal's rule, the one `closegate
signoff` applies (reporting may not import the gate); this module only says it in a signer's words, and
tests/reporting/test_report_approval.py holds it to the gate's cases.
"""

from __future__ import annotations

from dataclasses import dataclass

from closegate.closure.policy import approval_refusal
from closegate.models import RunRecord, Status, Verdict

__all__ = ["Approval", "approval"]


@dataclass(frozen=True)
class Approval:
    possible: bool
    reason: str  # why it cannot be approved ("" when it can), in words a signer reads
    legal_only: bool = False  # NOT READY only on failures a legal sign-off may accept


def _ids(ids: list[str]) -> str:
    return ", ".join(ids)


def approval(record: RunRecord) -> Approval:
    verdict = record.verdict
    if not approval_refusal(record):
        return Approval(True, "", legal_only=verdict is not Verdict.READY)
    failed = [r for r in record.results if r.blocking and r.status is Status.FAIL]
    others = [r.check_id for r in failed if not r.legal_signoff]
    errors = [r.check_id for r in record.results if r.status is Status.ERROR]
    attest = [r.check_id for r in record.results if r.blocking and r.status is Status.ATTEST]
    reasons: list[str] = []
    if others:
        reasons.append(f"{len(others)} blocking check(s) failed ({_ids(others)})")
    if errors:
        reasons.append(f"{len(errors)} check(s) could not be decided ({_ids(errors)})")
    if attest:
        reasons.append(f"{len(attest)} check(s) still need an attestation ({_ids(attest)})")
    if not record.complete:
        reasons.append("the run did not include the full catalog (--only or --skip)")
    if not reasons:  # refused for a reason the list above does not name: say the policy's own words
        reasons.append(approval_refusal(record))
    label = verdict.value.replace("_", " ")
    return Approval(False, f"This run cannot be approved: its verdict is {label} because "
                           f"{'; '.join(reasons)}. No sign-off of this run can open the gate. Fix what the "
                           "report lists, run `closegate audit` again and approve the report of that run.")
