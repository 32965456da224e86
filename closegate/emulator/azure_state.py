"""The Azure side of the tenant: RBAC role assignments, resources in subscriptions, billing accounts.

ARM (closegate.emulator.arm) reads and changes this under the tenant lock; the subscriptions
themselves stay in `TenantState.azure_subscriptions` (their lifecycle is in tenant_rules).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["ArmRoleAssignment", "AzureEstate", "AzureResource", "BillingAccount", "CLOSEGATE", "Invoice"]

CLOSEGATE = "closegate"  # a scenario's principal reference for the emulator's own client apps


@dataclass(slots=True, eq=False)
class ArmRoleAssignment:
    name: str  # the assignment's GUID (its ARM resource name)
    scope: str  # "/", "/providers/Microsoft.Management/managementGroups/{tenant}", "/subscriptions/{id}"
    role_definition_id: str  # built-in role GUID (closegate.emulator.arm_rbac.ROLES)
    principal_id: str  # object id; CLOSEGATE until bound to the client apps' service principals
    principal_type: str  # "User" | "ServicePrincipal" | "Group"
    created: datetime
    elevated: bool = False  # created by elevateAccess


@dataclass(slots=True, eq=False)
class AzureResource:
    id: str  # full ARM id
    subscription_id: str
    resource_group: str
    type: str  # e.g. "Microsoft.Web/sites"
    name: str
    location: str = "westeurope"
    kind: str | None = None
    plan: dict[str, str] | None = None  # Marketplace resources carry a plan (publisher, product, name)
    identity_type: str | None = None  # "SystemAssigned" | "UserAssigned" (managed identities)
    identity_sp_id: str | None = None  # the managed identity's service principal in Graph
    identity_client_id: str | None = None
    saas_pay_as_you_go: bool = False  # Marketplace SaaS billed pay-as-you-go is cancelled with Azure
    saas_status: str | None = None  # Microsoft.SaaS: "Subscribed" | "Unsubscribed"
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class Invoice:
    name: str
    invoice_date: datetime
    due_date: datetime
    status: str  # InvoiceStatus (2024-04-01): Due | OverDue | Paid | Void | Locked | Other
    amount_due: float
    billed: float
    period_start: datetime
    period_end: datetime
    currency: str = "USD"


@dataclass(slots=True, eq=False)
class BillingAccount:
    name: str
    display_name: str
    agreement_type: str  # MicrosoftOnlineServicesProgram | MicrosoftCustomerAgreement | ...
    account_type: str  # Individual | Enterprise | Business | Partner ...
    status: str = "Active"
    roles: dict[str, str] = field(default_factory=dict)  # principal id (or CLOSEGATE) -> billing role
    invoices: list[Invoice] = field(default_factory=list)


class AzureEstate:
    """Everything ARM knows beyond the subscription list."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.role_assignments: dict[str, ArmRoleAssignment] = {}
        self.resources: dict[str, AzureResource] = {}  # keyed by lower-cased id (ARM ids are case-insensitive)
        self.billing_accounts: dict[str, BillingAccount] = {}

    @property
    def root_management_group(self) -> str:
        """The tenant root group's scope: every subscription sits under it (its name is the tenant id)."""
        return f"/providers/Microsoft.Management/managementGroups/{self.tenant_id}"

    def assign(self, scope: str, role_definition_id: str, principal_id: str, principal_type: str,
               now: datetime, *, elevated: bool = False) -> ArmRoleAssignment:
        for ra in self.role_assignments.values():
            if (ra.scope.lower(), ra.role_definition_id, ra.principal_id) == (
                    scope.lower(), role_definition_id, principal_id):
                return ra
        name = str(uuid.uuid5(uuid.UUID(self.tenant_id), f"ra:{scope.lower()}:{role_definition_id}:{principal_id}"))
        ra = ArmRoleAssignment(name, scope, role_definition_id, principal_id, principal_type, now, elevated)
        self.role_assignments[name] = ra
        return ra

    def unassign(self, scope: str, role_definition_id: str, principal_id: str) -> bool:
        gone = [k for k, ra in self.role_assignments.items()
                if (ra.scope.lower(), ra.role_definition_id, ra.principal_id) == (
                    scope.lower(), role_definition_id, principal_id)]
        for key in gone:
            del self.role_assignments[key]
        return bool(gone)

    def bind_closegate(self, principal_ids: tuple[str, ...]) -> None:
        """Give the scenario's "closegate" roles to the client apps' service principals, once their ids exist."""
        for ra in [r for r in self.role_assignments.values() if r.principal_id == CLOSEGATE]:
            del self.role_assignments[ra.name]
            for pid in principal_ids:
                self.assign(ra.scope, ra.role_definition_id, pid, "ServicePrincipal", ra.created)
        for account in self.billing_accounts.values():
            role = account.roles.pop(CLOSEGATE, None)
            if role is not None:
                account.roles.update({pid: role for pid in principal_ids})

    def resources_in(self, subscription_id: str) -> list[AzureResource]:
        prefix = f"/subscriptions/{subscription_id.lower()}/"
        return [r for key, r in sorted(self.resources.items()) if key.startswith(prefix)]
