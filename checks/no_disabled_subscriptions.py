"""CG-007: no disabled or deleted-but-not-deprovisioned subscription remains.

Microsoft: "Delete all disabled subscriptions"; they must reach Deprovisioned, which a deleted
subscription does 72 hours after the delete, before the directory can be deleted (graph-facts §0,
§4.3, S1/S2). Suspended and LockedOut subscriptions (and SKUs with such units) are disabled ones.
For each the check shows when it will be gone: its next lifecycle date, or 72 hours after a delete
made now, whichever comes first. Fixed in the admin center (Graph cannot delete them, §4.2).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from closegate.facts import COMPANY_SUBSCRIPTIONS, SUBSCRIBED_SKUS, CompanySubscription, TenantReader
from closegate.models import Outcome, Severity, Step, failed, passed
from closegate.registry import check
from closegate.remediation.actions import Kind, Reversibility, Scope, Target, action

__all__ = ["DEPROVISIONING_TAKES", "no_disabled_subscriptions"]

DISABLED = frozenset({"Suspended", "LockedOut", "Deleted"})
DEPROVISIONING_TAKES = timedelta(hours=72)  # §4.3, S1: "enters the Deprovisioned state 72 hours later"


def _gone_by(s: CompanySubscription, now: datetime) -> datetime:
    after_delete = now + DEPROVISIONING_TAKES
    if s.next_lifecycle is None:
        return after_delete
    return min(s.next_lifecycle, after_delete) if s.status != "Deleted" else s.next_lifecycle


@check(
    id="CG-007",
    title="No disabled subscriptions remain (all deprovisioned)",
    severity=Severity.CRITICAL,
    blocking=True,
    step=Step.DELETE_DISABLED_SUBSCRIPTIONS,
    reads=(COMPANY_SUBSCRIPTIONS, SUBSCRIBED_SKUS),
    doc_url="https://learn.microsoft.com/en-us/entra/identity/users/directory-delete-howto",
    why="Subscriptions must be Deprovisioned (72 hours after deletion) before Entra deletes the directory.",
    fix="Microsoft 365 admin center (https://admin.microsoft.com) > Billing > Your products > select the "
    "disabled subscription > Delete subscription; on an MCA billing account it is deleted at the end of its term.",
)
def no_disabled_subscriptions(tenant: TenantReader) -> Outcome:
    now = tenant.now()
    disabled = [s for s in tenant.read(COMPANY_SUBSCRIPTIONS) if s.status in DISABLED]
    skus = [k for k in tenant.read(SUBSCRIBED_SKUS) if k.suspended_units or k.locked_out_units]
    rows = [{"id": s.id, "sku": s.sku_part_number, "status": s.status, "next_lifecycle": s.next_lifecycle,
             "gone_by": _gone_by(s, now), "partner_owned": s.owner_tenant_id is not None} for s in disabled]
    evidence = {
        "disabled_subscriptions": rows,
        "skus_with_disabled_units": [{"sku": k.sku_part_number, "status": k.capability_status,
                                      "suspended_units": k.suspended_units, "locked_out_units": k.locked_out_units}
                                     for k in skus],
    }
    if not disabled and not skus:
        return passed("no subscription is Suspended, LockedOut or awaiting deprovisioning", evidence)
    deleted = sum(1 for s in disabled if s.status == "Deleted")
    message = (f"{len(disabled)} subscriptions are not yet deprovisioned ({deleted} deleted and waiting, "
               f"{len(disabled) - deleted} still to delete) and {len(skus)} SKUs have disabled units")
    if not disabled:
        return failed(message, evidence)
    last = max(disabled, key=lambda s: _gone_by(s, now))
    until = _gone_by(last, now)
    return failed(message, evidence, blocked_until=until,
                  because=f"subscription {last.sku_part_number} ({last.status}) is deprovisioned only then")


@action(
    id="delete_disabled_subscriptions",
    title="Delete every disabled subscription so it reaches Deprovisioned (portal only)",
    fixes="CG-007",
    kind=Kind.MANUAL,
    step=Step.DELETE_DISABLED_SUBSCRIPTIONS,
    reversibility=Reversibility.IRREVERSIBLE,
    requires=("CG-002",),
    portal_steps=(
        "Microsoft 365 admin center > Billing > Your products",
        "Select each disabled subscription > Delete subscription > confirm",
        "It is Deprovisioned 72 hours later; on an MCA billing account it is deleted at the end of its term",
        "Run `closegate audit`: CG-007 passes once every subscription is deprovisioned",
    ),
    portal_link="https://admin.microsoft.com/#/subscriptions",
    undo="none: a deleted subscription cannot be reactivated (graph-facts §4.3)",
)
def delete_disabled_subscriptions(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return ()  # graph-facts §4.2 and §11: no Graph API deletes a subscription
