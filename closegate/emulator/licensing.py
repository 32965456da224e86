"""Which Microsoft licences a tenant holds, derived from its SKUs the way Graph gates features on them.

A service plan is usable while a subscription behind a SKU that carries it is Enabled or in its
Warning grace period: the assignedPlan capabilityStatus order (graph-facts §4.1, S10) is Enabled
(normal use), Warning (usable, grace), then Suspended ("no assignment"), LockedOut and Deleted.
Microsoft does not document when a lapsed P2 stops answering PIM; the emulator models the worse case
and stops at Suspended.

`has_plan(state, AAD_PREMIUM_P2)` is the one question other emulator modules ask (sign-in logs need
P1, PIM needs P2 or ID Governance, graph-facts §12.1). The catalog holds the real SKU ids and the
service plans that matter here, from Microsoft's "Product names and service plan identifiers for
licensing" (MicrosoftDocs/entra-docs docs/identity/users/licensing-service-plan-reference.md) and
"Microsoft Entra ID Governance licensing fundamentals" (P1 in Microsoft 365 E3 and Business
Premium, P2 in E5); each SKU lists only the plans the emulator uses, not all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from closegate.emulator.odata import GraphFault

if TYPE_CHECKING:
    from closegate.emulator.state import TenantState

__all__ = [
    "AAD_PREMIUM", "AAD_PREMIUM_P2", "CATALOG", "ENTRA_GOVERNANCE", "TIERS", "CatalogSku", "has_plan",
    "has_premium", "pim_available", "require_pim", "require_premium", "usable_plans",
]

AAD_PREMIUM = "AAD_PREMIUM"  # Microsoft Entra ID P1 (41781fb2-bc02-4b7c-bd55-b576c07bb09d)
AAD_PREMIUM_P2 = "AAD_PREMIUM_P2"  # Microsoft Entra ID P2 (eec0eb4f-6444-4f95-aba0-50c24d67f998)
ENTRA_GOVERNANCE = "Entra_Identity_Governance"  # in SKU Microsoft_Entra_ID_Governance
USABLE_STATUSES = frozenset({"Enabled", "Warning"})

_P1 = ("41781fb2-bc02-4b7c-bd55-b576c07bb09d", AAD_PREMIUM)
_P2 = ("eec0eb4f-6444-4f95-aba0-50c24d67f998", AAD_PREMIUM_P2)
_MFA = ("8a256a2b-b617-496d-b51b-e76466e88db0", "MFA_PREMIUM")
_EXO_1 = ("9aaf7827-d63c-4b61-89c3-182f06f82e5c", "EXCHANGE_S_STANDARD")
_EXO_2 = ("efb87545-963c-4e0d-99df-69c6916d9eb0", "EXCHANGE_S_ENTERPRISE")
_SPO_1 = ("c7699d2e-19aa-44de-8edf-1736da088ca1", "SHAREPOINTSTANDARD")
_SPO_2 = ("5dbe027f-2339-4123-9542-606e4d348a72", "SHAREPOINTENTERPRISE")
_GOV = ("e866a266-3cff-43a3-acca-0c90a7e00c8b", ENTRA_GOVERNANCE)
_INTUNE = ("c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "INTUNE_A")  # Intune Plan 1 (service_plans.INTUNE)
_EDISCOVERY = ("4de31727-a228-4ec3-a5bf-8e45b5ca48cc", "EQUIVIO_ANALYTICS")  # eDiscovery (Premium), E5


@dataclass(frozen=True)
class CatalogSku:
    sku_id: str
    part_number: str  # skuPartNumber
    display_name: str
    plans: tuple[tuple[str, str], ...]  # (servicePlanId, servicePlanName)


CATALOG: dict[str, CatalogSku] = {s.part_number: s for s in (
    CatalogSku("078d2b04-f1bd-4111-bbd4-b4b1b354cef4", "AAD_PREMIUM", "Microsoft Entra ID P1", (_P1, _MFA)),
    CatalogSku("84a661c4-e949-4bd2-a560-ed7766fcaf2b", "AAD_PREMIUM_P2", "Microsoft Entra ID P2", (_P1, _P2, _MFA)),
    # Maester's Get-MtLicenseRelationship documents the same SKU id for ID Governance.
    CatalogSku("cf6b0d46-4093-4546-a0ab-0b1546dcc10e", "Microsoft_Entra_ID_Governance",
               "Microsoft Entra ID Governance", (_GOV,)),
    CatalogSku("3b555118-da6a-4418-894f-7df1e2096870", "O365_BUSINESS_ESSENTIALS",
               "Microsoft 365 Business Basic", (_EXO_1, _SPO_1)),
    CatalogSku("f245ecc8-75af-4f8e-b61f-27d8114de5f3", "O365_BUSINESS_PREMIUM",
               "Microsoft 365 Business Standard", (_EXO_1, _SPO_1)),
    CatalogSku("cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "SPB", "Microsoft 365 Business Premium",
               (_EXO_1, _SPO_1, _P1, _MFA, _INTUNE)),
    CatalogSku("05e9a617-0261-4cee-bb44-138d3ef5d965", "SPE_E3", "Microsoft 365 E3",
               (_EXO_2, _SPO_2, _P1, _MFA, _INTUNE)),
    CatalogSku("06ebc4ee-1bb5-47dd-8120-11324bc54e06", "SPE_E5", "Microsoft 365 E5",
               (_EXO_2, _SPO_2, _P1, _P2, _MFA, _INTUNE, _EDISCOVERY)),
)}

# A scenario's "licence" tier -> the SKUs a tenant at that tier holds (ID Governance needs P1 first).
TIERS: dict[str, tuple[str, ...]] = {
    "none": (),
    "P1": ("AAD_PREMIUM",),
    "P2": ("AAD_PREMIUM_P2",),
    "governance": ("AAD_PREMIUM", "Microsoft_Entra_ID_Governance"),
    "business-basic": ("O365_BUSINESS_ESSENTIALS",),
    "business-standard": ("O365_BUSINESS_PREMIUM",),
    "business-premium": ("SPB",),
    "E3": ("SPE_E3",),
    "E5": ("SPE_E5",),
}


def usable_plans(state: TenantState) -> frozenset[str]:
    """Names of the service plans the tenant can use now (see the module docstring)."""
    usable_skus = {sub.sku_id for sub in state.subscriptions.values() if sub.status in USABLE_STATUSES}
    plans = {name for sku_id in usable_skus if (sku := state.skus.get(sku_id)) is not None
             for _, name in sku.service_plans}
    return frozenset(plans) | state.compat.assumed_plans


def has_plan(state: TenantState, plan: str) -> bool:
    return plan in usable_plans(state)


def has_premium(state: TenantState) -> bool:
    """Entra ID P1 or better (P2 SKUs carry the P1 plan too; an assumed P2 stands for both)."""
    plans = usable_plans(state)
    return AAD_PREMIUM in plans or AAD_PREMIUM_P2 in plans


def pim_available(state: TenantState) -> bool:
    """Eligible assignments need P2 or ID Governance (graph-facts §12.1)."""
    plans = usable_plans(state)
    return AAD_PREMIUM_P2 in plans or ENTRA_GOVERNANCE in plans


def require_pim(state: TenantState) -> None:
    """§12.1: a live 400 from a Business Standard tenant (Maester issue #1421); the message is the one
    Graph's PIM surfaces send, as quoted by client code that handles it."""
    if not pim_available(state):
        raise GraphFault(400, "AadPremiumLicenseRequired", "The tenant needs to have Microsoft Entra ID P2 "
                         "or Microsoft Entra ID Governance license.")


def require_premium(state: TenantState) -> None:
    """§12.1: 403 without a premium licence (microsoft-graph-docs-contrib issue #8777)."""
    if not has_premium(state):
        raise GraphFault(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                         "Tenant is not a B2C tenant and doesn't have premium license")
