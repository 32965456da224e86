"""The Azure part of a scenario document: subscriptions by offer, RBAC role assignments, resources
(managed identities become service principals in Graph) and billing accounts with their invoices.

    "azureSubscriptions": [{"displayName": "Prod", "offer": "AzurePlan", "billingAccount": "mca"}],
    "azureRoles": [{"principal": "closegate", "role": "Reader", "scope": "subscription:Prod"}],
    "azureResources": [{"subscription": "Prod", "resourceGroup": "rg-web", "type": "Microsoft.Web/sites",
                        "name": "contoso-web", "identity": "SystemAssigned"}],
    "billingAccounts": [{"name": "mca", "agreementType": "MicrosoftCustomerAgreement",
                         "roles": {"closegate": "Billing account reader"},
                         "invoices": [{"invoiceDate": "-20d", "dueDate": "+10d", "amount": 120.5}]}]

A principal is "closegate" (the emulator's client apps, bound when the emulator starts), a UPN,
"group:Display Name" or "app:appId"; a scope is "/", "root" (the tenant root management group) or
"subscription:Display Name".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from closegate.emulator.arm_rbac import role_by_name
from closegate.emulator.azure_rules import OFFERS
from closegate.emulator.azure_state import CLOSEGATE, AzureResource, BillingAccount, Invoice
from closegate.emulator.records import AzureSubscription, ServicePrincipalRecord
from closegate.emulator.state import StateError, TenantState

__all__ = ["MICROSOFT_SERVICES_TENANT", "load_azure"]

# Unverified: managed-identity service principals are Microsoft-provisioned; the emulator gives them
# Microsoft's services tenant as owner, the worse case for a client that calls every principal owned by
# Microsoft "first-party" instead of reading servicePrincipalType.
MICROSOFT_SERVICES_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
USER_ASSIGNED = "Microsoft.ManagedIdentity/userAssignedIdentities"


class ScenarioLoader(Protocol):
    state: TenantState
    spec: dict[str, Any]
    now: datetime

    def oid(self, kind: str, key: str) -> str: ...
    def principal(self, ref: str) -> str: ...


def load_azure(loader: ScenarioLoader, when: Callable[[str | None], datetime | None]) -> None:
    s, spec = loader.state, loader.spec
    for a in spec.get("azureSubscriptions", []):
        sid = a.get("subscriptionId") or loader.oid("azure", a["displayName"])
        quota = a.get("quotaId") or OFFERS[a.get("offer", "PayAsYouGo")]
        s.azure_subscriptions[sid] = AzureSubscription(
            sid, a["displayName"], a.get("state", "Enabled"), quota, a.get("spendingLimit", "Off"),
            when(a.get("canceledAt")), billing_account=a.get("billingAccount"))
    by_name = {sub.display_name: sub.subscription_id for sub in s.azure_subscriptions.values()}
    for r in spec.get("azureRoles", []):
        scope = _scope(s, by_name, r.get("scope", "/"))
        principal, kind = _principal(loader, r["principal"])
        s.azure.assign(scope, role_by_name(r["role"]).id, principal, kind, loader.now - timedelta(days=60))
    for r in spec.get("azureResources", []):
        _resource(loader, by_name, r)
    for b in spec.get("billingAccounts", []):
        _billing_account(loader, b, when)


def _scope(state: TenantState, by_name: dict[str, str], ref: str) -> str:
    if ref == "/":
        return "/"
    if ref == "root":
        return state.azure.root_management_group
    if ref.startswith("subscription:") and ref[13:] in by_name:
        return f"/subscriptions/{by_name[ref[13:]]}"
    raise StateError(f"scenario names unknown Azure scope {ref!r}")


def _principal(loader: ScenarioLoader, ref: str) -> tuple[str, str]:
    if ref == CLOSEGATE:
        return CLOSEGATE, "ServicePrincipal"
    kind = "Group" if ref.startswith("group:") else "ServicePrincipal" if ref.startswith("app:") else "User"
    return loader.principal(ref), kind


def _resource(loader: ScenarioLoader, by_name: dict[str, str], r: dict[str, Any]) -> None:
    s = loader.state
    sid = by_name.get(r["subscription"])
    if sid is None:
        raise StateError(f"scenario puts a resource in unknown Azure subscription {r['subscription']!r}")
    rg, rtype, name = r.get("resourceGroup", "rg-default"), r["type"], r["name"]
    rid = f"/subscriptions/{sid}/resourceGroups/{rg}/providers/{rtype}/{name}"
    res = AzureResource(id=rid, subscription_id=sid, resource_group=rg, type=rtype, name=name,
                        location=r.get("location", "westeurope"), kind=r.get("kind"), plan=r.get("plan"))
    if rtype.lower() == "microsoft.saas/resources":
        res.saas_status = "Subscribed"
        res.saas_pay_as_you_go = bool(r.get("payAsYouGo", False))
    identity = "UserAssigned" if rtype.lower() == USER_ASSIGNED.lower() else r.get("identity")
    if identity in ("SystemAssigned", "UserAssigned"):
        res.identity_type = identity
        res.identity_sp_id = str(uuid.uuid5(uuid.UUID(s.tenant_id), f"mi:{rid.lower()}"))
        res.identity_client_id = str(uuid.uuid5(uuid.UUID(s.tenant_id), f"mi-app:{rid.lower()}"))
        # A managed identity's service principal: servicePrincipalType ManagedIdentity, not deletable
        # through Graph (§12.4), alternativeNames ["isExplicit=True|False", resource id] as live Graph
        # returns them (a user-assigned identity quoted in a Learn sample: "isExplicit=True", its ARM id).
        s.service_principals[res.identity_sp_id] = ServicePrincipalRecord(
            res.identity_sp_id, res.identity_client_id, name, app_owner_organization_id=MICROSOFT_SERVICES_TENANT,
            service_principal_type="ManagedIdentity", deletable=False,
            alternative_names=(f"isExplicit={identity == 'UserAssigned'}", rid))
    s.azure.resources[rid.lower()] = res


def _billing_account(loader: ScenarioLoader, b: dict[str, Any],
                     when: Callable[[str | None], datetime | None]) -> None:
    s = loader.state
    agreement = b.get("agreementType", "MicrosoftOnlineServicesProgram")
    name = b.get("name") or loader.oid("billing", b.get("displayName", agreement))
    account_type = b.get("accountType", "Individual" if agreement == "MicrosoftOnlineServicesProgram" else "Enterprise")
    account = BillingAccount(name=name, display_name=b.get("displayName", s.display_name),
                             agreement_type=agreement, account_type=account_type)
    for ref, role in b.get("roles", {}).items():
        account.roles[_principal(loader, ref)[0]] = role
    for i, inv in enumerate(b.get("invoices", [])):
        issued = when(inv.get("invoiceDate")) or loader.now
        amount = float(inv.get("amount", 0.0))
        account.invoices.append(Invoice(
            name=inv.get("name", f"G{uuid.uuid5(uuid.UUID(s.tenant_id), f'{name}:{i}').hex[:9].upper()}"),
            invoice_date=issued, due_date=when(inv.get("dueDate")) or issued + timedelta(days=30),
            status="Paid" if inv.get("paid") else "Due", amount_due=amount, billed=amount,
            period_start=issued - timedelta(days=30), period_end=issued - timedelta(days=1)))
    s.azure.billing_accounts[name] = account
