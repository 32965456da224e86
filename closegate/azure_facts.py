"""The Azure side's records: subscription visibility, resources, Domain Services and billing accounts.

Kept beside closegate.facts (which re-exports them and declares the facts that return them) because
they change with Azure Resource Manager's payloads, not with Graph's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["AzureResource", "AzureResources", "AzureVisibility", "BillingAccount", "DomainService", "DomainServices",
           "Invoice"]


@dataclass(frozen=True)
class AzureVisibility:
    """Whether the caller provably sees every Azure subscription of the directory.

    ARM lists only the subscriptions a role of the caller applies to and answers an app without any
    role with an empty list (graph-facts §12.2). `complete` is True only when the caller's own role
    assignments show a role that reads subscriptions at root scope `/` or at the tenant root
    management group, which contains every subscription of the directory.
    """

    complete: bool
    how: str  # the assignment that proves it, or why nothing does
    root_roles: tuple[str, ...] = ()  # "Reader at /" ... roles the caller holds at those scopes


@dataclass(frozen=True)
class AzureResource:
    """A resource inside an Azure subscription (ARM Resources - List)."""

    id: str
    subscription_id: str
    name: str
    type: str
    kind: str | None = None
    plan: str | None = None  # "publisher/product/plan" of a Marketplace resource
    identity_principal_id: str | None = None  # the service principal of its system-assigned identity

    @property
    def is_marketplace_saas(self) -> bool:
        return self.type.lower() == "microsoft.saas/resources"

    @property
    def is_managed_identity(self) -> bool:
        return self.type.lower() == "microsoft.managedidentity/userassignedidentities"


@dataclass(frozen=True)
class AzureResources:
    """The resources of every visible subscription; `unreadable` pairs a subscription id with why not."""

    resources: tuple[AzureResource, ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()

    def of(self, subscription_id: str) -> tuple[AzureResource, ...]:
        return tuple(r for r in self.resources if r.subscription_id.lower() == subscription_id.lower())


@dataclass(frozen=True)
class DomainService:
    """A Microsoft Entra Domain Services managed domain (ARM Microsoft.AAD/domainServices)."""

    id: str
    name: str
    subscription_id: str
    domain_name: str
    provisioning_state: str | None = None


@dataclass(frozen=True)
class DomainServices:
    instances: tuple[DomainService, ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()  # (subscription id, why it could not be read)


@dataclass(frozen=True)
class Invoice:
    """One invoice of a billing account (ARM Microsoft.Billing 2024-04-01 InvoiceStatus)."""

    name: str
    status: str  # Due | OverDue | Paid | Void | Locked | Other
    amount_due: float
    currency: str
    due: datetime | None
    issued: datetime | None

    @property
    def outstanding(self) -> bool:
        """Due or overdue; any other status with an amount still due counts too (fail closed)."""
        return self.status in ("Due", "OverDue") or (self.status not in ("Paid", "Void") and self.amount_due > 0)


@dataclass(frozen=True)
class BillingAccount:
    """A billing account the caller holds a billing role on; `invoices` is None when they cannot be read."""

    name: str
    display_name: str
    agreement_type: str  # MicrosoftCustomerAgreement | MicrosoftOnlineServicesProgram | EnterpriseAgreement ...
    account_type: str
    invoices: tuple[Invoice, ...] | None = None
    unavailable: str = ""  # why the invoices could not be read
