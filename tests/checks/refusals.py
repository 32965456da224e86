"""What Microsoft would refuse the tenant delete for, read from the emulator, and which checks must say so.

The emulator's `deletion_blockers()` is the "Required action" list of the Entra admin center's
delete page (graph-facts §6). Each blocker maps to the checks that gate it; while it stands, none of
them may PASS. closegate's own app registrations are left out: they are deleted in the final step,
after the audit, and the audit's checks count them apart on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping

from closegate.emulator import Emulator
from closegate.models import RunRecord, Status

__all__ = ["BLOCKER_CHECKS", "microsoft_refuses", "passes_where_microsoft_refuses"]

# A blocker's words (closegate.emulator.state.deletion_blockers, azure_rules.blockers) -> its checks.
BLOCKER_CHECKS: Mapping[str, tuple[str, ...]] = {
    "Delete all users except yourself": ("CG-004",),
    "Azure subscriptions": ("CG-011",),
    "enterprise applications that cannot be deleted": ("CG-010",),
    "Multi-Factor Authentication providers": ("CG-013",),
    "self-service sign-up products": ("CG-014",),
    "'Partner' directory": ("CG-012",),
    "Domain Services": ("CG-027",),
    "outstanding invoices": ("CG-015",),
}


def microsoft_refuses(emu: Emulator) -> dict[str, str]:
    """check id -> the blocker that makes it wrong to PASS, for this tenant as it stands."""
    own = {a.client_id for a in emu.apps.all()}
    state = emu.state
    refusals: dict[str, str] = {}
    for blocker in state.deletion_blockers():
        for words, checks in BLOCKER_CHECKS.items():
            if words in blocker:
                refusals.update({c: blocker for c in checks})
    with state.lock:
        # "subscriptions to Microsoft Online Services": an active one is CG-006's, one cancelled but not yet
        # deprovisioned CG-007's (graph-facts §4.1, §4.3).
        for sub in state.subscriptions.values():
            refusals["CG-006" if sub.status in ("Enabled", "Warning") else "CG-007"] = (
                f"Directory has one or more subscriptions to Microsoft Online Services ({sub.status})")
        # "applications that were added by a user or administrator": registrations (CG-009) and deletable
        # service principals (CG-010) are told apart here, closegate's own left out.
        if any(a.deleted_at is None and a.app_id not in own for a in state.applications.values()):
            refusals["CG-009"] = "Directory contains one or more applications (app registrations)"
        if any(s.deleted_at is None and s.deletable and s.app_id not in own
               for s in state.service_principals.values()):
            refusals["CG-010"] = "Directory contains one or more applications (service principals)"
    return refusals


def passes_where_microsoft_refuses(record: RunRecord, refusals: Mapping[str, str]) -> dict[str, str]:
    """The checks that PASSed although Microsoft refuses the delete for what they gate: must be empty."""
    return {r.check_id: refusals[r.check_id] for r in record.results
            if r.check_id in refusals and r.status is Status.PASS}
