"""The one answer to "which permissions does closegate need, and which are missing?".

Checks (purpose "audit") and remediation actions (purpose "remediate") each declare the permissions
they need; this module folds those declarations into `PermissionNeed`s, knowing which higher
permissions also satisfy a need (graph-facts tables). The runner's preflight and `closegate doctor`
both ask it. Checks and actions are collected from the catalog (closegate.registry,
closegate.remediation.actions); callers may also pass declarations directly.

Permission strings are "graph:<Graph permission>" or "arm:<Azure RBAC action>". Graph permissions
in a token (roles or scp) come without a prefix; `missing` accepts both spellings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "ARM_ACCESS",
    "BILLING_ACCESS",
    "BILLING_READER_FIX",
    "ELEVATE_ACCESS_FIX",
    "Declaration",
    "PermissionNeed",
    "declarations",
    "grant_fix",
    "missing",
    "needed",
    "satisfied",
]

# What the runner adds to the granted set when the caller can read Azure subscriptions: ARM access
# is RBAC at a scope, not a claim in the token, so it is granted or not as a whole.
ARM_ACCESS = "arm:*"
# Billing roles are apart from RBAC: doctor adds this when the caller sees a billing account.
BILLING_ACCESS = "arm:billing"

# Higher permissions that also grant the key, least privileged first. Only what the docs state for the
# endpoints closegate calls; an endpoint-specific exception is left out (fail closed: ask for the key).
_HIGHER: dict[str, tuple[str, ...]] = {
    # §2.1 S18 list users
    "User.Read.All": ("User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    # §3.1 S44 organization; §4.1 S8/S9 subscribedSkus, directory/subscriptions
    "Organization.Read.All": ("Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    # §2.2 S20 unified RBAC roleAssignments
    "RoleManagement.Read.Directory": (
        "RoleManagement.Read.All", "Directory.Read.All", "RoleManagement.ReadWrite.Directory",
        "Directory.ReadWrite.All",
    ),
    # §2.2 S21 PIM eligibility instances
    "RoleEligibilitySchedule.Read.Directory": (
        "RoleEligibilitySchedule.ReadWrite.Directory", "RoleManagement.Read.All", "RoleManagement.Read.Directory",
        "RoleManagement.ReadWrite.Directory",
    ),
    # PIM schedule requests (adminRemove): RoleManagement.ReadWrite.Directory also grants them (§2.2 S21)
    "RoleEligibilitySchedule.ReadWrite.Directory": ("RoleManagement.ReadWrite.Directory",),
    # group-list and application-list permission tables (learn: graph/api/group-list, application-list)
    "GroupMember.Read.All": ("Group.Read.All", "Directory.Read.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"),
    "Application.Read.All": ("Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    # §1.1 S17
    "ReportSettings.Read.All": ("ReportSettings.ReadWrite.All",),
    # §2.3 S24: listing deleted users; deleted apps need Application.Read.All (S25)
    "User.DeleteRestore.All": ("User.ReadWrite.All", "Directory.ReadWrite.All"),
    # §11 B2C user flows (IdentityUserFlow.ReadWrite.All named in the table)
    "IdentityUserFlow.Read.All": ("IdentityUserFlow.ReadWrite.All",),
    "IdentityProvider.Read.All": ("IdentityProvider.ReadWrite.All",),
    "TrustFrameworkKeySet.Read.All": ("TrustFrameworkKeySet.ReadWrite.All",),
    # Records, holds and devices (issue 14): each page's permission table (graph-docs-contrib
    # api-reference/v1.0/includes/permissions/device-list-permissions.md; the Intune list pages; learn:
    # graph/api/bitlocker-list-recoverykeys, security-ediscoverycase-get, security-labelsroot-list-retentionlabel)
    "Device.Read.All": ("Device.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    "DeviceManagementManagedDevices.Read.All": ("DeviceManagementManagedDevices.ReadWrite.All",),
    "DeviceManagementServiceConfig.Read.All": ("DeviceManagementServiceConfig.ReadWrite.All",),
    "BitlockerKey.ReadBasic.All": ("BitlockerKey.Read.All",),
    "eDiscovery.Read.All": ("eDiscovery.ReadWrite.All",),
    "RecordsManagement.Read.All": ("RecordsManagement.ReadWrite.All",),
    # §5.1 per-user MFA read (S11): Policy.Read.All has no higher that also covers CA and security
    # defaults (§5.2, §5.3), so it stays alone.
}


@dataclass(frozen=True)
class PermissionNeed:
    resource: str  # "graph" | "arm"
    permission: str
    satisfied_by: tuple[str, ...]
    needed_by: tuple[str, ...]  # check or action ids
    only_when: str = ""  # a condition ("B2C tenants only"); such a need is not preflighted

    @property
    def qualified(self) -> str:
        return f"{self.resource}:{self.permission}"


class Declares(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def permissions(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Declaration:
    """A declaration from anything that is not a check (actions, tests, the doctor's extras)."""

    id: str
    purpose: str  # "audit" | "remediate"
    permissions: tuple[str, ...]
    conditional_permissions: tuple[tuple[str, str], ...] = ()


def declarations() -> tuple[Declares, ...]:
    """Every check of the catalog and every action marked beside them."""
    from closegate.registry import catalog
    from closegate.remediation.actions import action_catalog

    return (*catalog().checks, *action_catalog())


def _split(qualified: str) -> tuple[str, str]:
    resource, _, name = qualified.partition(":")
    if resource not in ("graph", "arm") or not name:
        raise ValueError(f"permission {qualified!r} must be 'graph:<name>' or 'arm:<action>'")
    return resource, name


def needed(purpose: str, sources: Iterable[Declares] | None = None) -> tuple[PermissionNeed, ...]:
    """The permissions `purpose` ("audit", "remediate" or "all") needs, each with who needs it."""
    if purpose not in ("audit", "remediate", "all"):
        raise ValueError(f"purpose {purpose!r} is not audit, remediate or all")
    by_key: dict[tuple[str, str, str], list[str]] = {}
    for source in declarations() if sources is None else sources:
        if purpose != "all" and source.purpose != purpose:
            continue
        pairs = [(p, "") for p in source.permissions]
        pairs += list(getattr(source, "conditional_permissions", ()))
        for qualified, condition in pairs:
            resource, name = _split(qualified)
            users = by_key.setdefault((resource, name, condition), [])
            if source.id not in users:
                users.append(source.id)
    return tuple(
        PermissionNeed(resource, name, _HIGHER.get(name, ()) if resource == "graph" else (), tuple(ids), condition)
        for (resource, name, condition), ids in sorted(by_key.items())
    )


def _normalise(granted: Iterable[str]) -> frozenset[str]:
    # Graph permission names are matched without case: Microsoft's tables spell "BitlockerKey" where
    # its pages say "BitLockerKey", and a token carries whichever the app registration shows.
    return frozenset((g if g.startswith(("graph:", "arm:")) else f"graph:{g}").casefold() for g in granted)


def satisfied(need: PermissionNeed, granted: Iterable[str]) -> bool:
    have = _normalise(granted)
    if need.resource == "arm" and need.permission.startswith("Microsoft.Billing/"):
        return BILLING_ACCESS in have or need.qualified in have
    if need.resource == "arm":
        return ARM_ACCESS in have or need.qualified.casefold() in have
    return any(f"graph:{p}".casefold() in have for p in (need.permission, *need.satisfied_by))


def missing(
    granted: frozenset[str], purpose: str, sources: Iterable[Declares] | None = None
) -> tuple[PermissionNeed, ...]:
    """The unconditional needs of `purpose` that nothing in `granted` satisfies."""
    return tuple(n for n in needed(purpose, sources) if not n.only_when and not satisfied(n, granted))


# ARM lists only the subscriptions a role of the caller applies to (graph-facts §12.2); a role at root
# scope applies to all of them. Elevate access: https://learn.microsoft.com/azure/role-based-access-control/
# elevate-access-global-admin (a Global Administrator gets User Access Administrator at '/').
ELEVATE_ACCESS_FIX = (
    "give the caller Reader at root scope '/': as Global Administrator turn on Entra admin center > Properties > "
    "Access management for Azure resources (elevate access, "
    "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/ActiveDirectoryMenuBlade/~/Properties), "
    "then assign closegate's app Reader at root scope '/' (or at the tenant root management group) and audit again"
)
# Billing roles are not Azure RBAC (Microsoft.Billing 2024-04-01; Cost Management + Billing > Access control).
BILLING_READER_FIX = (
    "give the caller the billing role Billing account reader on each billing account: Azure portal > Cost Management "
    "+ Billing > Billing scopes > the account > Access control (IAM) > Add"
)


def grant_fix(need: PermissionNeed, app_id: str = "") -> str:
    """Exact words for the operator: where to grant the permission."""
    if need.resource == "arm" and need.permission.startswith("Microsoft.Billing/"):
        return BILLING_READER_FIX
    if need.resource == "arm":
        return ELEVATE_ACCESS_FIX
    app = f" {app_id}" if app_id else ""
    return (
        f"grant Microsoft Graph permission {need.permission} to the app registration{app} and grant admin "
        "consent (Entra admin center > App registrations > API permissions)"
    )
