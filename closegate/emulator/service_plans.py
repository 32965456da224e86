"""Which licensed capabilities the tenant has, read from its SKUs' service plans.

A stopgap until the emulator's licensing module (being written beside this one) answers the same
question: a capability is on when a SKU carrying one of its service plans has a subscription that
is still usable. Service plan names are Microsoft's (MicrosoftDocs/entra-docs
docs/identity/users/licensing-service-plan-reference.md @067a0c7b, "Product names and service plan
identifiers for licensing").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from closegate.emulator.state import TenantState

__all__ = ["EDISCOVERY_PREMIUM", "ENTRA_P1", "INTUNE", "plan_active"]

# Microsoft Entra ID P1 (41781fb2-bc02-4b7c-bd55-b576c07bb09d). Every product carrying the P2 plan
# in the reference table carries AAD_PREMIUM too; a scenario that lists only AAD_PREMIUM_P2 still
# means P1.
ENTRA_P1 = frozenset({"AAD_PREMIUM", "AAD_PREMIUM_P2"})
# Microsoft Intune Plan 1 (c1ec4a95-1f05-45b3-a911-aa3fa01094f5): "The Microsoft Graph API for
# Intune requires an active Intune license for the tenant" (every Intune API page, e.g.
# graph-docs-contrib api-reference/v1.0/api/intune-enrollment-windowsautopilotdeviceidentity-list.md).
INTUNE = frozenset({"INTUNE_A"})
# Office 365 Advanced eDiscovery = eDiscovery (Premium) (4de31727-a228-4ec3-a5bf-8e45b5ca48cc), in
# Microsoft 365 E5 and the E5 Compliance add-on. learn: graph/api/resources/security-ediscovery-apioverview:
# "App-only authentication and premium operations require E5 or an equivalent add-on subscription."
EDISCOVERY_PREMIUM = frozenset({"EQUIVIO_ANALYTICS"})

# graph-facts §4.1 (S10): Enabled is normal use and Warning is still usable in its grace period;
# Suspended and later states make the service unavailable.
_USABLE = frozenset({"Enabled", "Warning"})


def plan_active(state: TenantState, plans: frozenset[str]) -> bool:
    """Does any usable subscription carry a SKU with one of these service plans?"""
    skus = {sku.sku_id for sku in state.skus.values()
            if any(name in plans for _, name in sku.service_plans)}
    return any(sub.sku_id in skus and sub.status in _USABLE for sub in state.subscriptions.values())
