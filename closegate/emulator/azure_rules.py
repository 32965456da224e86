"""Azure subscription cancel -> delete, by offer (graph-facts §12.3), and the last invoice after it.

https://learn.microsoft.com/azure/cost-management-billing/manage/cancel-azure-subscription (azure-docs
articles/cost-management-billing/manage/cancel-azure-subscription.md) and graph-facts §12.3:
* a free trial or pay-as-you-go subscription can be deleted by the customer after cancelling, three
  days after (the Entra delete page); resources must be deleted first ("Delete resources" check);
* every other offer cannot be deleted by the customer and is deleted automatically 90 days after
  cancellation;
* Marketplace SaaS subscriptions billed pay-as-you-go are cancelled by the Azure cancellation;
  others must be cancelled by hand and stay behind as resources;
* "Azure closes your current billing cycle within 72 hours": the final invoice comes up to three
  days after the last cancellation (issue 12: an attestation made before it does not count).

Offers are told apart by subscriptionPolicies.quotaId (Cost Management's "supported offers" table,
azure-docs articles/cost-management-billing/costs/understand-cost-mgt-data.md: a Microsoft Customer
Agreement "Azure plan" carries EnterpriseAgreement_2014-09-01, CSP plans CSP_2015-05-01).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from closegate.emulator.azure_state import AzureResource, Invoice
from closegate.emulator.records import AzureSubscription

if TYPE_CHECKING:
    from closegate.emulator.state import TenantState

__all__ = ["AzureRules", "OFFERS", "apply", "blockers", "cancel", "customer_deletable", "delete", "remove_resource"]

DAY = timedelta(days=1)
OFFERS: dict[str, str] = {  # a scenario's offer name -> quotaId
    "FreeTrial": "FreeTrial_2014-09-01",  # MS-AZR-0044P
    "PayAsYouGo": "PayAsYouGo_2014-09-01",  # MS-AZR-0003P
    "EnterpriseAgreement": "EnterpriseAgreement_2014-09-01",  # MS-AZR-0017P
    "AzurePlan": "EnterpriseAgreement_2014-09-01",  # MS-AZR-0017G, Microsoft Customer Agreement
    "CSP": "CSP_2015-05-01",  # Azure plan bought through a partner
    "VisualStudio": "MSDN_2014-09-01",  # MS-AZR-0062P
    "DevTest": "MSDNDevTest_2014-09-01",  # MS-AZR-0148P / 0148G / 0023P
}
CUSTOMER_DELETABLE = frozenset({"FreeTrial_2014-09-01", "PayAsYouGo_2014-09-01"})


@dataclass(frozen=True)
class AzureRules:
    customer_delete_after_cancel: timedelta = 3 * DAY
    auto_delete_after_cancel: timedelta = 90 * DAY
    final_invoice_after_cancel: timedelta = 3 * DAY
    # Unverified: Microsoft's payment terms vary by agreement; 30 days is the common one.
    invoice_due_after: timedelta = 30 * DAY


RULES = AzureRules()


def customer_deletable(azure: AzureSubscription) -> bool:
    return azure.quota_id in CUSTOMER_DELETABLE


def remove_resource(state: TenantState, resource: AzureResource) -> None:
    """The resource goes, and with it the service principal of its managed identity (§12.4)."""
    state.azure.resources.pop(resource.id.lower(), None)
    if resource.identity_sp_id is not None:
        state.service_principals.pop(resource.identity_sp_id, None)


def cancel(state: TenantState, azure: AzureSubscription, now: datetime) -> None:
    if azure.state == "Disabled":
        return
    azure.state = "Disabled"
    azure.canceled_at = now
    for resource in state.azure.resources_in(azure.subscription_id):
        if resource.saas_status is not None and resource.saas_pay_as_you_go:
            remove_resource(state, resource)


def delete(state: TenantState, azure: AzureSubscription, now: datetime) -> None:
    """The portal's Delete subscription, with the conditions its "Delete your subscription" page checks."""
    from closegate.emulator.state import Refused

    if azure.canceled_at is None:
        raise Refused("an Azure subscription must be canceled before it can be deleted")
    if not customer_deletable(azure):
        auto = azure.canceled_at + RULES.auto_delete_after_cancel
        raise Refused(f"this subscription type cannot be deleted by the customer; Azure deletes it "
                      f"automatically on {auto.isoformat()} (90 days after cancellation)")
    when = azure.canceled_at + RULES.customer_delete_after_cancel
    if now < when:
        raise Refused(f"this Azure subscription can be deleted from {when.isoformat()}")
    remaining = state.azure.resources_in(azure.subscription_id)
    if remaining:
        raise Refused(f"delete the subscription's {len(remaining)} resources first "
                      f"({', '.join(r.type for r in remaining[:3])})")
    _gone(state, azure)


def apply(state: TenantState, now: datetime) -> None:
    for azure in list(state.azure_subscriptions.values()):
        if azure.canceled_at is None:
            continue
        if not azure.final_invoice_issued and now >= azure.canceled_at + RULES.final_invoice_after_cancel:
            _final_invoice(state, azure, azure.canceled_at + RULES.final_invoice_after_cancel)
        if now >= azure.canceled_at + RULES.auto_delete_after_cancel:
            _gone(state, azure)


def _final_invoice(state: TenantState, azure: AzureSubscription, when: datetime) -> None:
    azure.final_invoice_issued = True
    account = state.azure.billing_accounts.get(azure.billing_account or "")
    if account is None:
        return
    name = "G" + uuid.uuid5(uuid.UUID(state.tenant_id), f"final:{azure.subscription_id}").hex[:9].upper()
    start = azure.canceled_at - timedelta(days=30) if azure.canceled_at else when
    account.invoices.append(Invoice(name=name, invoice_date=when, due_date=when + RULES.invoice_due_after,
                                    status="Due", amount_due=42.17, billed=42.17, period_start=start,
                                    period_end=azure.canceled_at or when))


def _gone(state: TenantState, azure: AzureSubscription) -> None:
    for resource in state.azure.resources_in(azure.subscription_id):
        remove_resource(state, resource)
    state.azure_subscriptions.pop(azure.subscription_id, None)


def blockers(state: TenantState) -> list[str]:
    """§12.7: Entra Domain Services must go first; §6 (S1): every invoice must be paid."""
    from closegate.emulator.arm_billing import invoice_status

    out = []
    if any(r.type.lower() == "microsoft.aad/domainservices" for r in state.azure.resources.values()):
        out.append("Directory has Microsoft Entra Domain Services enabled")
    now = state.clock.now()
    if any(invoice_status(i, now) in ("Due", "OverDue")
           for a in state.azure.billing_accounts.values() for i in a.invoices):
        out.append("Directory has one or more outstanding invoices")
    return out
