"""CG-011: no Azure subscription remains associated with the directory.

Microsoft: "If you have an active or canceled Azure subscription associated with your Microsoft
Entra tenant, you can't delete the tenant" (graph-facts §4.4, S1). A cancelled subscription can be
deleted three days after cancelling (free trial, pay-as-you-go) or seven days (others); ARM does not
report when it was cancelled, so the check shows the latest that window can end. ARM lists only the
subscriptions the caller can see: without ARM access the check cannot decide and ends as ERROR with
the "elevate access" fix. Fixed by `cancel_azure_subscriptions`, then the portal delete.
"""

from __future__ import annotations

from datetime import timedelta

from closegate.facts import AZURE_SUBSCRIPTIONS, AzureSubscription, TenantReader
from closegate.models import Outcome, Severity, Step, failed, passed
from closegate.registry import check
from closegate.remediation.actions import EffectName, Kind, Reversibility, Scope, Target, action

__all__ = ["no_azure_subscriptions", "deletable_after_cancel"]

CANCELLED = frozenset({"Disabled"})
GONE = frozenset({"Deleted"})
_SHORT_WINDOW_QUOTAS = ("FreeTrial", "PayAsYouGo")  # §4.4, S1: "three days after cancel"


def deletable_after_cancel(sub: AzureSubscription) -> timedelta:
    quota = sub.quota_id or ""
    return timedelta(days=3) if quota.startswith(_SHORT_WINDOW_QUOTAS) else timedelta(days=7)


@check(
    id="CG-011",
    title="No Azure subscriptions remain",
    severity=Severity.CRITICAL,
    blocking=True,
    step=Step.DELETE_DIRECTORY,
    reads=(AZURE_SUBSCRIPTIONS,),
    doc_url="https://learn.microsoft.com/en-us/entra/identity/users/directory-delete-howto",
    why="Entra refuses to delete a directory with an active or cancelled Azure subscription.",
    fix="Action cancel_azure_subscriptions, then Azure portal (https://portal.azure.com) > Subscriptions > "
    "select > Delete once the 3- or 7-day window has passed (or transfer billing ownership to another tenant).",
)
def no_azure_subscriptions(tenant: TenantReader) -> Outcome:
    now = tenant.now()
    subs = [s for s in tenant.read(AZURE_SUBSCRIPTIONS) if s.state not in GONE]
    cancelled = [s for s in subs if s.state in CANCELLED]
    active = [s for s in subs if s.state not in CANCELLED]
    rows = [{"subscription_id": s.subscription_id, "name": s.display_name, "state": s.state, "quota_id": s.quota_id,
             "deletable_by": now + deletable_after_cancel(s) if s in cancelled else None} for s in subs]
    evidence = {"active": len(active), "cancelled": len(cancelled), "subscriptions": rows}
    if not subs:
        return passed("no Azure subscription is associated with the directory", evidence)
    message = (f"{len(subs)} Azure subscriptions remain ({len(active)} active, {len(cancelled)} cancelled "
               "but not yet deleted)")
    if active:
        return failed(message, evidence)
    last = max(cancelled, key=deletable_after_cancel)
    until = now + deletable_after_cancel(last)
    return failed(message, evidence, blocked_until=until,
                  because=f"cancelled Azure subscription {last.display_name} can be deleted only "
                  f"{deletable_after_cancel(last).days} days after its cancellation")


@action(
    id="cancel_azure_subscriptions",
    title="Cancel every active Azure subscription (ARM Microsoft.Subscription/cancel)",
    fixes="CG-011",
    kind=Kind.AUTOMATED,
    step=Step.DELETE_DIRECTORY,
    order=30,
    reversibility=Reversibility.REVERSIBLE,
    requires=("CG-002",),  # cancelling stops every resource in the subscription
    permissions=("arm:Microsoft.Subscription/cancel/action",),
    effect=EffectName.CANCEL_AZURE_SUBSCRIPTION,
    undo="reactivate it in the Azure portal (Subscriptions > select > Reactivate) until it is deleted",
)
def cancel_azure_subscriptions(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return tuple(Target(s.subscription_id, s.display_name, {"display_name": s.display_name},
                        {"state": s.state, "quota_id": s.quota_id, "deletable_after_days": deletable_after_cancel(s).days})
                 for s in tenant.read(AZURE_SUBSCRIPTIONS) if s.state not in CANCELLED | GONE)


@action(
    id="delete_cancelled_azure_subscriptions",
    title="Delete the cancelled Azure subscriptions once their waiting period has passed",
    fixes="CG-011",
    kind=Kind.MANUAL,
    step=Step.DELETE_DIRECTORY,
    order=31,
    reversibility=Reversibility.IRREVERSIBLE,
    requires=("CG-002",),
    portal_steps=(
        "Sign in to the Azure portal as an owner of the subscription",
        "Subscriptions > select the cancelled subscription > Overview > Delete subscription",
        "It can be deleted 3 days after cancelling (free trial, pay-as-you-go) or 7 days (others)",
        "Run `closegate audit`: CG-011 passes once no subscription remains",
    ),
    portal_link="https://portal.azure.com/#view/Microsoft_Azure_Billing/SubscriptionsBladeV2",
    undo="none once deleted; data is kept 30-90 days by Azure (graph-facts §4.4)",
)
def delete_cancelled_azure_subscriptions(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return ()
