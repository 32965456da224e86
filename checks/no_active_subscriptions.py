"""CG-006: no Microsoft Online Services subscription is still active.

Microsoft: "Cancel all active subscriptions" (graph-facts §0, S2); an active subscription blocks the
directory delete (§6, S1). Active means status Enabled or Warning (grace period), or a SKU with
enabled or warning units (§4.1, S8-S10). Graph cannot cancel them (§4.2): the fix is the admin
center, or the partner who owns a CSP subscription (ownerTenantId set, S9).
"""

from __future__ import annotations

from closegate.facts import COMPANY_SUBSCRIPTIONS, SUBSCRIBED_SKUS, CompanySubscription, TenantReader
from closegate.models import Outcome, Severity, Step, failed, passed
from closegate.registry import check
from closegate.remediation.actions import Kind, Reversibility, Scope, Target, action

__all__ = ["no_active_subscriptions"]

ACTIVE = frozenset({"Enabled", "Warning"})


def _row(s: CompanySubscription) -> dict[str, object]:
    return {"id": s.id, "sku": s.sku_part_number, "status": s.status, "trial": s.is_trial,
            "next_lifecycle": s.next_lifecycle, "partner_owned": s.owner_tenant_id is not None,
            "owner_tenant_id": s.owner_tenant_id, "licenses": s.total_licenses}


@check(
    id="CG-006",
    title="No active subscriptions remain",
    severity=Severity.CRITICAL,
    blocking=True,
    step=Step.CANCEL_SUBSCRIPTIONS,
    reads=(COMPANY_SUBSCRIPTIONS, SUBSCRIBED_SKUS),
    doc_url="https://learn.microsoft.com/en-us/microsoft-365/commerce/subscriptions/cancel-your-subscription",
    why="Entra refuses to delete a directory with a subscription to any Microsoft Online Service.",
    fix="Microsoft 365 admin center (https://admin.microsoft.com) > Billing > Your products > select the "
    "subscription > Cancel subscription; a partner-owned (CSP) subscription is cancelled by that partner.",
)
def no_active_subscriptions(tenant: TenantReader) -> Outcome:
    active = [s for s in tenant.read(COMPANY_SUBSCRIPTIONS) if s.status in ACTIVE]
    skus = [k for k in tenant.read(SUBSCRIBED_SKUS) if k.enabled_units or k.warning_units]
    partner = sum(1 for s in active if s.owner_tenant_id)
    evidence = {
        "active_subscriptions": [_row(s) for s in active],
        "skus_with_active_units": [{"sku": k.sku_part_number, "status": k.capability_status,
                                    "enabled_units": k.enabled_units, "warning_units": k.warning_units}
                                   for k in skus],
        "partner_owned": partner,
    }
    if active or skus:
        return failed(f"{len(active)} subscriptions are still active ({sum(s.is_trial for s in active)} trials, "
                      f"{partner} owned by a partner) and {len(skus)} SKUs have active units", evidence)
    return passed("no subscription is Enabled or Warning and no SKU has active units", evidence)


@action(
    id="cancel_subscriptions",
    title="Cancel every active Microsoft 365 subscription (portal only)",
    fixes="CG-006",
    kind=Kind.MANUAL,
    step=Step.CANCEL_SUBSCRIPTIONS,
    reversibility=Reversibility.REVERSIBLE,
    portal_steps=(
        "Microsoft 365 admin center > Billing > Your products",
        "Select each active subscription > Cancel subscription > choose a reason > Save",
        "A subscription owned by a partner (CSP) is cancelled by that partner",
        "Run `closegate audit`: CG-006 passes when no subscription is Enabled or Warning",
    ),
    portal_link="https://admin.microsoft.com/#/subscriptions",
    undo="reactivate it from Billing > Your products while it is disabled (graph-facts §4.3)",
)
def cancel_subscriptions(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return ()  # graph-facts §4.2 and §11: no Graph API cancels a subscription
