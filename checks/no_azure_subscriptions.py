"""CG-011: no Azure subscription remains associated with the directory, and closegate sees them all.

Microsoft: "If you have an active or canceled Azure subscription associated with your Microsoft
Entra tenant, you can't delete the tenant" (graph-facts §4.4, S1). ARM lists only the subscriptions
a role of the caller applies to and answers a caller without any role with an empty list (§12.2),
so an empty list passes only when the caller's own role assignments prove it sees every
subscription (a role that reads subscriptions at root scope '/' or the tenant root management
group); otherwise it is ERROR naming the elevate-access fix, and subscriptions it does see FAIL as
a lower bound. Windows per offer (§12.3, Learn "Cancel and delete your Azure subscription"): a free
trial or pay-as-you-go subscription can be deleted by the customer after cancelling (3 days, S1) once
its resources are deleted; every other offer cannot be deleted by the customer and Azure deletes it
90 days after cancellation. ARM does not say when a subscription was cancelled, so the dates shown
count from now: the latest the window can end. The resources and Marketplace SaaS subscriptions to
remove first are listed per subscription. Fixed by `cancel_azure_subscriptions` (step 2, with the
Microsoft 365 subscriptions: it is the longest wait), then `delete_cancelled_azure_subscriptions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from closegate.errors import PermissionDenied
from closegate.facts import (
    AZURE_RESOURCES,
    AZURE_SUBSCRIPTIONS,
    AZURE_VISIBILITY,
    AzureResources,
    AzureSubscription,
    TenantReader,
)
from closegate.models import Outcome, Severity, Step, bounded, failed, passed
from closegate.permissions import ELEVATE_ACCESS_FIX
from closegate.registry import check
from closegate.remediation.actions import EffectName, Kind, Reversibility, Scope, Target, action

__all__ = ["AzureOffer", "deletable_after_cancel", "no_azure_subscriptions", "offer_of"]

CANCELLED = frozenset({"Disabled"})
GONE = frozenset({"Deleted"})
CUSTOMER_DELETE_AFTER = timedelta(days=3)  # S1: free trial and pay-as-you-go, three days after cancelling
AZURE_DELETES_AFTER = timedelta(days=90)  # §12.3: every other offer, deleted by Azure


@dataclass(frozen=True)
class AzureOffer:
    """What cancelling means for one subscription's offer (subscriptionPolicies.quotaId)."""

    label: str
    customer_deletes: bool
    undo: str

    @property
    def window(self) -> timedelta:
        return CUSTOMER_DELETE_AFTER if self.customer_deletes else AZURE_DELETES_AFTER

    @property
    def after_cancel(self) -> str:
        if self.customer_deletes:
            return (f"you delete it in the Azure portal {self.window.days} days after cancelling, once its resources "
                    "are deleted")
        return (f"Azure deletes it {self.window.days} days after cancelling; it cannot be deleted earlier, not even "
                "by its owner")


# quotaId prefixes of the offers the customer may delete (Cost Management's supported offers table:
# FreeTrial_2014-09-01 is MS-AZR-0044P, PayAsYouGo_2014-09-01 MS-AZR-0003P). Reactivation: the owner
# reactivates a pay-as-you-go subscription in the portal; "reactivation of non-pay-as-you-go
# subscriptions goes through support" (§12.3).
_FREE_TRIAL = AzureOffer("free trial", True, "only Microsoft support can reactivate it before it is deleted")
_PAY_AS_YOU_GO = AzureOffer("pay-as-you-go", True, "reactivate it in the Azure portal (Subscriptions > select > "
                            "Reactivate) until it is deleted")


def offer_of(sub: AzureSubscription) -> AzureOffer:
    quota = sub.quota_id or ""
    if quota.startswith("FreeTrial"):
        return _FREE_TRIAL
    if quota.startswith("PayAsYouGo"):
        return _PAY_AS_YOU_GO
    return AzureOffer(f"offer {quota or 'unknown'}", False, "only Microsoft support can reactivate it (Azure portal > "
                      "Help + support > New support request) until Azure deletes it 90 days after cancelling")


def deletable_after_cancel(sub: AzureSubscription) -> timedelta:
    return offer_of(sub).window


def _row(sub: AzureSubscription, resources: AzureResources, now: datetime) -> dict[str, Any]:
    offer = offer_of(sub)
    inside = resources.of(sub.subscription_id)
    saas = [r for r in inside if r.is_marketplace_saas]
    shown, more = bounded([{"name": r.name, "type": r.type} for r in inside if not r.is_marketplace_saas])
    return {
        "subscription_id": sub.subscription_id, "name": sub.display_name, "state": sub.state, "quota_id": sub.quota_id,
        "offer": offer.label, "after_cancel": offer.after_cancel,
        "gone_by": now + offer.window,  # cancelled: the latest its window ends; active: if cancelled now
        "resources": len(inside), "resources_shown": shown, "resources_not_shown": more,
        "marketplace_saas": [{"name": r.name, "plan": r.plan} for r in saas],
        "managed_identities": sum(1 for r in inside if r.is_managed_identity or r.identity_principal_id),
        "resources_unreadable": dict(resources.unreadable).get(sub.subscription_id),
    }


@check(
    id="CG-011",
    title="No Azure subscriptions remain",
    severity=Severity.CRITICAL,
    blocking=True,
    step=Step.DELETE_DIRECTORY,
    reads=(AZURE_SUBSCRIPTIONS, AZURE_VISIBILITY, AZURE_RESOURCES),
    doc_url="https://learn.microsoft.com/en-us/azure/cost-management-billing/manage/cancel-azure-subscription",
    why="Entra refuses to delete a directory with an active or cancelled Azure subscription, and ARM shows a caller "
    "only the subscriptions its roles cover.",
    fix="Action cancel_azure_subscriptions (step 2), then Azure portal (https://portal.azure.com) > Subscriptions > "
    "select > Delete subscription 3 days after cancelling (free trial, pay-as-you-go; delete its resources first); "
    "Azure deletes every other offer 90 days after cancelling. To let closegate see every subscription: "
    + ELEVATE_ACCESS_FIX,
)
def no_azure_subscriptions(tenant: TenantReader) -> Outcome:
    now = tenant.now()
    subs = [s for s in tenant.read(AZURE_SUBSCRIPTIONS) if s.state not in GONE]
    seen = tenant.read(AZURE_VISIBILITY)
    if not subs and not seen.complete:
        raise PermissionDenied(f"ARM lists no Azure subscription, but that proves nothing: {seen.how}",
                               ELEVATE_ACCESS_FIX)
    rows = [_row(s, tenant.read(AZURE_RESOURCES), now) for s in subs]
    cancelled = [s for s in subs if s.state in CANCELLED]
    active = [s for s in subs if s.state not in CANCELLED]
    evidence: Mapping[str, Any] = {"active": len(active), "cancelled": len(cancelled), "subscriptions": rows,
                                   "sees_every_subscription": seen.complete, "visibility": seen.how,
                                   "root_roles": list(seen.root_roles)}
    if not subs:
        return passed(f"no Azure subscription is associated with the directory ({seen.how})", evidence)
    message = (f"{len(subs)} Azure subscriptions remain ({len(active)} active, {len(cancelled)} cancelled but not "
               "yet deleted)")
    if not seen.complete:
        message += "; there may be more: closegate cannot prove it sees every subscription"
    last = max(subs, key=deletable_after_cancel)
    offer = offer_of(last)
    verb = "cancelled" if last in cancelled else "once cancelled"
    because = (f"Azure subscription {last.display_name} ({offer.label}, {verb}) is gone only {offer.window.days} days "
               f"after its cancellation: {offer.after_cancel}"
               + ("; ARM does not date the cancellation, so this is the latest" if last in cancelled else ""))
    return failed(message, evidence, blocked_until=now + offer.window, because=because)


@action(
    id="cancel_azure_subscriptions",
    title="Cancel every active Azure subscription (ARM Microsoft.Subscription/cancel)",
    fixes="CG-011",
    kind=Kind.AUTOMATED,
    step=Step.CANCEL_SUBSCRIPTIONS,
    order=5,  # first of step 2: Azure's 90-day automatic deletion is the longest wait of the closure (§12.3)
    reversibility=Reversibility.REVERSIBLE,
    requires=("CG-002",),  # cancelling stops every resource in the subscription
    permissions=("arm:Microsoft.Subscription/cancel/action",),
    effect=EffectName.CANCEL_AZURE_SUBSCRIPTION,
    undo="per offer, in each target's params: the owner reactivates a pay-as-you-go subscription in the Azure "
    "portal; every other offer only through Microsoft support, until it is deleted",
)
def cancel_azure_subscriptions(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    resources = tenant.read(AZURE_RESOURCES)
    out = []
    for s in tenant.read(AZURE_SUBSCRIPTIONS):
        if s.state in CANCELLED | GONE:
            continue
        offer = offer_of(s)
        inside = resources.of(s.subscription_id)
        out.append(Target(s.subscription_id, f"{s.display_name} ({offer.label})", {"display_name": s.display_name},
                          {"state": s.state, "quota_id": s.quota_id, "offer": offer.label,
                           "after_cancel": offer.after_cancel, "deletable_after_days": offer.window.days,
                           "undo": offer.undo, "resources": len(inside),
                           "marketplace_saas": [r.name for r in inside if r.is_marketplace_saas]}))
    return tuple(out)


@action(
    id="delete_cancelled_azure_subscriptions",
    title="Delete the cancelled Azure subscriptions the customer may delete, once their resources are gone",
    fixes="CG-011",
    kind=Kind.MANUAL,
    step=Step.DELETE_DISABLED_SUBSCRIPTIONS,
    order=31,
    reversibility=Reversibility.IRREVERSIBLE,
    requires=("CG-002",),
    portal_steps=(
        "Sign in to the Azure portal as an owner of the subscription",
        "Delete the resources CG-011 lists for it (Resource groups > select > Delete resource group), and cancel "
        "each Marketplace SaaS subscription it lists on its own (the resource > Cancel subscription)",
        "Free trial and pay-as-you-go: Subscriptions > select the cancelled subscription > Overview > Delete "
        "subscription, 3 days after cancelling",
        "Every other offer cannot be deleted by the customer: Azure deletes it 90 days after cancelling; nothing to do",
        "Run `closegate audit`: CG-011 passes once no subscription remains and closegate sees every subscription",
    ),
    portal_link="https://portal.azure.com/#view/Microsoft_Azure_Billing/SubscriptionsBladeV2",
    undo="none once deleted; data is kept 30-90 days by Azure (graph-facts §4.4)",
)
def delete_cancelled_azure_subscriptions(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return ()
