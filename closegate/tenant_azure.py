"""The facade's Azure Resource Manager reads: subscriptions, visibility proof, resources, Domain Services,
billing.

`AzureReaders` is mixed into closegate.tenant.Tenant (one `@reads(FACT)` method per fact, like
closegate.tenant_records); the functions below say what to request and turn ARM's payloads into
closegate.azure_facts records. ARM pages with "nextLink" (graph-facts §4.4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from closegate import facts as f
from closegate.errors import GraphError, MalformedResponse, NotFound, PermissionDenied, Throttled
from closegate.graph import GraphClient
from closegate.tenant_marks import reads
from closegate.tenant_parse import as_datetime, as_str, azure_subscription

__all__ = ["READS_SUBSCRIPTIONS", "AzureReaders", "billing_accounts", "domain_services", "resources", "visibility"]

ROLE_ASSIGNMENTS_VERSION = "2022-04-01"  # Role Assignments - List For Scope (role-assignments-list-rest.md)
RESOURCES_VERSION = "2021-04-01"  # Resources - List (by subscription)
DOMAIN_SERVICES_VERSION = "2022-12-01"  # Microsoft.AAD stable 2022-12-01, Domain Services - List
BILLING_VERSION = "2024-04-01"  # Microsoft.Billing stable 2024-04-01 (billingAccount.json, invoice.json)

# Built-in roles whose actions include Microsoft.Resources/subscriptions/read: Owner and Contributor
# ("*"), Reader and User Access Administrator ("*/read"); ids from the Azure built-in roles page
# (azure-docs articles/role-based-access-control/built-in-roles.md). A custom role is not taken on
# trust: closegate cannot see here what it allows, so it proves nothing (fail closed).
READS_SUBSCRIPTIONS = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
}
# Invoices - List By Billing Account "is supported for billing accounts with agreement type Microsoft
# Partner Agreement, Microsoft Customer Agreement, or Microsoft Online Services Program" (invoice.json).
INVOICE_AGREEMENTS = frozenset({"MicrosoftPartnerAgreement", "MicrosoftCustomerAgreement",
                                "MicrosoftOnlineServicesProgram"})


def _obj(value: Any) -> dict[str, Any]:
    """A JSON object property, or empty when ARM sent none (or something else)."""
    return value if isinstance(value, dict) else {}


def _all(arm: GraphClient, path: str, **params: str) -> list[dict[str, Any]]:
    return arm.get_all(path, params=params, link_key="nextLink")


def visibility(arm: GraphClient, caller_id: str, tenant_id: str) -> f.AzureVisibility:
    """Prove from the caller's own role assignments that `GET /subscriptions` shows every subscription.

    Every subscription of a directory sits under its tenant root management group (whose name is
    the tenant id), and "elevate access" grants User Access Administrator at root scope `/` above it
    (https://learn.microsoft.com/azure/role-based-access-control/elevate-access-global-admin). A role
    there that reads subscriptions applies to all of them. `atScope() and assignedTo('{id}')` lists
    the caller's assignments at and above the scope, group memberships included (List Azure role
    assignments using the REST API). Reading them needs roleAssignments/read at that scope, which
    every built-in role grants: a caller without any role there gets 403, and nothing is proven.
    """
    root_mg = f"/providers/Microsoft.Management/managementGroups/{tenant_id}"
    refused: list[str] = []
    held: list[str] = []
    for scope, label in ((root_mg, "the tenant root management group"), ("/", "root scope '/'")):
        prefix = "" if scope == "/" else scope
        try:
            rows = _all(arm, f"{prefix}/providers/Microsoft.Authorization/roleAssignments",
                        **{"api-version": ROLE_ASSIGNMENTS_VERSION,
                           "$filter": f"atScope() and assignedTo('{caller_id}')"})
        except (PermissionDenied, NotFound) as exc:
            refused.append(f"{exc.status} {exc.code} at {label}".replace("  ", " "))
            continue
        for row in rows:
            props = _obj(row.get("properties"))
            at = str(props.get("scope") or "")
            if at.rstrip("/").lower() not in ("", root_mg.lower()):
                continue  # assignedTo also lists assignments below the scope: those cover only part of it
            role_id = str(props.get("roleDefinitionId") or "").rsplit("/", 1)[-1].lower()
            name = READS_SUBSCRIPTIONS.get(role_id, f"custom role {role_id}")
            where = "/" if at.rstrip("/") == "" else at
            held.append(f"{name} at {where}")
            if role_id in READS_SUBSCRIPTIONS and not props.get("condition"):
                return f.AzureVisibility(True, f"the caller holds {name} at {where}, above every subscription",
                                         tuple(dict.fromkeys(held)))
        break  # this scope answered: the one above shows nothing more of the caller's (atScope lists both)
    if held:
        why = (f"the caller holds {', '.join(dict.fromkeys(held))} at root, none of which closegate knows to "
               "read every subscription")
    else:
        why = ("the caller holds no Azure role at the tenant root management group or at root scope '/'"
               + (f" (ARM refused its role assignments there: {'; '.join(refused)})" if refused else ""))
    return f.AzureVisibility(False, f"{why}, so ARM's subscription list may leave some out", tuple(dict.fromkeys(held)))


def _per_subscription(subs: Iterable[f.AzureSubscription]) -> list[str]:
    return [s.subscription_id for s in subs if s.state != "Deleted"]


def resources(arm: GraphClient, subs: Iterable[f.AzureSubscription]) -> f.AzureResources:
    found: list[f.AzureResource] = []
    unreadable: list[tuple[str, str]] = []
    for sid in _per_subscription(subs):
        try:
            rows = _all(arm, f"/subscriptions/{sid}/resources", **{"api-version": RESOURCES_VERSION})
        except Throttled:
            raise
        except GraphError as exc:
            unreadable.append((sid, exc.one_line()))
            continue
        found.extend(_resource(r, sid) for r in rows)
    return f.AzureResources(tuple(found), tuple(unreadable))


def _resource(r: dict[str, Any], sid: str) -> f.AzureResource:
    plan = _obj(r.get("plan")) or None
    identity = _obj(r.get("identity"))
    return f.AzureResource(
        id=as_str(r, "id", "Azure resource"), subscription_id=sid, name=as_str(r, "name", "Azure resource"),
        type=as_str(r, "type", "Azure resource"), kind=r.get("kind") if isinstance(r.get("kind"), str) else None,
        plan="/".join(str(plan.get(k, "")) for k in ("publisher", "product", "name")) if plan else None,
        identity_principal_id=identity.get("principalId") if isinstance(identity.get("principalId"), str) else None)


def domain_services(arm: GraphClient, subs: Iterable[f.AzureSubscription]) -> f.DomainServices:
    """Microsoft Entra Domain Services in each visible subscription (a deletion blocker, graph-facts §12.7)."""
    found: list[f.DomainService] = []
    unreadable: list[tuple[str, str]] = []
    for sid in _per_subscription(subs):
        try:
            rows = _all(arm, f"/subscriptions/{sid}/providers/Microsoft.AAD/domainServices",
                        **{"api-version": DOMAIN_SERVICES_VERSION})
        except Throttled:
            raise
        except GraphError as exc:
            unreadable.append((sid, exc.one_line()))
            continue
        for r in rows:
            props = _obj(r.get("properties"))
            found.append(f.DomainService(
                id=as_str(r, "id", "Domain Services"), name=as_str(r, "name", "Domain Services"), subscription_id=sid,
                domain_name=str(props.get("domainName") or r.get("name")),
                provisioning_state=props.get("provisioningState") if isinstance(props.get("provisioningState"), str)
                else None))
    return f.DomainServices(tuple(found), tuple(unreadable))


def billing_accounts(arm: GraphClient) -> tuple[f.BillingAccount, ...]:
    """The billing accounts the caller has a billing role on, each with its invoices where ARM lists them.

    Billing roles are apart from Azure RBAC and Entra roles: an app without one sees no account at
    all (the emulator models that worse case as 200 with an empty list, like `GET /subscriptions`)."""
    out = []
    for a in _all(arm, "/providers/Microsoft.Billing/billingAccounts", **{"api-version": BILLING_VERSION}):
        props = _obj(a.get("properties"))
        name = as_str(a, "name", "billing account")
        agreement = str(props.get("agreementType") or "")
        account = f.BillingAccount(name=name, display_name=str(props.get("displayName") or name),
                                   agreement_type=agreement, account_type=str(props.get("accountType") or ""))
        if agreement not in INVOICE_AGREEMENTS:
            out.append(_with(account, None, "ARM lists invoices only for Microsoft Customer Agreement, Partner "
                                            "Agreement and Online Services Program accounts, not "
                                            f"{agreement or 'this type'}"))
            continue
        try:
            rows = _all(arm, f"/providers/Microsoft.Billing/billingAccounts/{name}/invoices",
                        **{"api-version": BILLING_VERSION})
        except Throttled:
            raise
        except GraphError as exc:
            out.append(_with(account, None, exc.one_line()))
            continue
        out.append(_with(account, tuple(_invoice(r) for r in rows), ""))
    return tuple(out)


def _with(account: f.BillingAccount, invoices: tuple[f.Invoice, ...] | None, unavailable: str) -> f.BillingAccount:
    return f.BillingAccount(account.name, account.display_name, account.agreement_type, account.account_type,
                            invoices, unavailable)


def _invoice(r: dict[str, Any]) -> f.Invoice:
    props = _obj(r.get("properties"))
    due = _obj(props.get("amountDue"))
    value = due.get("value", 0)
    return f.Invoice(name=as_str(r, "name", "invoice"), status=str(props.get("status") or "Other"),
                     amount_due=float(value) if isinstance(value, int | float) else 0.0,
                     currency=str(due.get("currency") or ""), due=as_datetime(props, "dueDate", "invoice"),
                     issued=as_datetime(props, "invoiceDate", "invoice"))


class AzureReaders:
    """Readers of Tenant (closegate.tenant) over its ARM client; they share its cache through `read`."""

    arm: GraphClient | None
    read: Callable[..., Any]

    def _arm(self) -> GraphClient:
        if self.arm is None:
            raise MalformedResponse("no Azure Resource Manager client is configured", "configure the ARM endpoint")
        return self.arm

    @reads(f.AZURE_SUBSCRIPTIONS)
    def _azure_subscriptions(self) -> tuple[f.AzureSubscription, ...]:
        # graph-facts §4.4: the token is for the ARM audience; the list is what the caller's roles cover (§12.2).
        rows = _all(self._arm(), "/subscriptions", **{"api-version": "2022-12-01"})
        return tuple(azure_subscription(s) for s in rows)

    @reads(f.AZURE_VISIBILITY)
    def _azure_visibility(self) -> f.AzureVisibility:
        return visibility(self._arm(), self.read(f.CALLER).object_id, self.read(f.ORGANIZATION).id)

    @reads(f.AZURE_RESOURCES)
    def _azure_resources(self) -> f.AzureResources:
        return resources(self._arm(), self.read(f.AZURE_SUBSCRIPTIONS))

    @reads(f.DOMAIN_SERVICES)
    def _domain_services(self) -> f.DomainServices:
        return domain_services(self._arm(), self.read(f.AZURE_SUBSCRIPTIONS))

    @reads(f.BILLING_ACCOUNTS)
    def _billing_accounts(self) -> tuple[f.BillingAccount, ...]:
        return billing_accounts(self._arm())
