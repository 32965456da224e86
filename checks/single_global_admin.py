"""CG-003: exactly one Global Administrator remains, and it is the closing administrator.

Microsoft: the tenant can be deleted only when no user but the one Global Administrator performing
the deletion remains (graph-facts §6, S1). Holders are counted the way Entra grants the role (§2.2,
S20/S21): active assignments to users (members and guests), to role-assignable groups (expanded to
their members) and to service principals, plus PIM-eligible ones, read apart: a tenant without P2 can
hold no eligible assignment and Graph refuses to list them (§12.1), which the evidence says instead of
failing the check. The closing administrator must be a
cloud-only member of this directory, not a guest (S1: run as a home-tenant admin); with app sign-in it
is the account named in closegate.toml (`[tenant] closing_admin`), which must hold an active
assignment. closegate's own service principal may hold the role while it works; it is shown, not
counted. Fixed by deleting the other holders (`delete_users`) or removing their assignment in the portal.
"""

from __future__ import annotations

from closegate.closing_admin import closing_admin
from closegate.facts import (
    CALLER,
    GLOBAL_ADMIN_ELIGIBILITIES,
    GLOBAL_ADMINS,
    USERS,
    Eligibilities,
    RoleAssignment,
    TenantReader,
)
from closegate.models import Outcome, Severity, Step, failed, passed
from closegate.registry import check
from closegate.remediation.actions import EffectName, Kind, Reversibility, Scope, Target, action

__all__ = ["single_global_admin"]


def _holder(a: RoleAssignment) -> dict[str, object]:
    return {"principal_id": a.principal_id, "display_name": a.principal_display_name, "type": a.principal_type,
            "user_type": a.principal_user_type, "kind": a.kind, "via_group_id": a.via_group_id}


@check(
    id="CG-003",
    title="Exactly one Global Administrator remains: the closing administrator",
    severity=Severity.CRITICAL,
    blocking=True,
    step=Step.DELETE_USERS,
    reads=(GLOBAL_ADMINS, GLOBAL_ADMIN_ELIGIBILITIES, USERS),
    doc_url="https://learn.microsoft.com/en-us/entra/identity/users/directory-delete-howto",
    why="Entra refuses to delete a directory while any user but the one Global Administrator deleting it remains.",
    fix="Action delete_users, or Entra admin center (https://entra.microsoft.com) > Identity > Roles & admins > "
    "Global Administrator > Assignments (and Eligible assignments) > Remove.",
)
def single_global_admin(tenant: TenantReader) -> Outcome:
    caller = tenant.read(CALLER)
    eligibilities = tenant.read(GLOBAL_ADMIN_ELIGIBILITIES)
    assignments = (*tenant.read(GLOBAL_ADMINS), *eligibilities.assignments)
    own = [a for a in assignments if a.principal_type == "servicePrincipal" and a.principal_id == caller.object_id]
    counted = [a for a in assignments if a.principal_type != "group" and a not in own]
    users = sorted({a.principal_id for a in counted if a.principal_type == "user"})
    sps = sorted({a.principal_id for a in counted if a.principal_type == "servicePrincipal"})
    eligible = sorted({a.principal_id for a in counted if a.kind == "eligible"})
    admin = closing_admin(tenant, caller)
    evidence = {
        "holders": [_holder(a) for a in counted],
        "user_holders": len(users),
        "service_principal_holders": len(sps),
        "eligible_holders": len(eligible),
        "eligibility": _eligibility(eligibilities),
        "groups": sorted({a.principal_id for a in assignments if a.principal_type == "group"}),
        "closegate_service_principal": [_holder(a) for a in own],
        "closing_admin": admin.user.user_principal_name if admin.user else None,
        "closing_admin_how": admin.how,
    }
    others = len(set(users) | set(sps)) - (1 if admin.user and admin.user.id in users else 0)
    no_p2 = f"; {eligibilities.not_licensed.meaning}" if eligibilities.not_licensed else ""
    if admin.user is None and admin.named_upn:
        return failed(f"{admin.how}, so there is no closing administrator", evidence)
    if admin.user is None:
        return failed(f"{len(users)} users and {len(sps)} service principals hold Global Administrator; "
                      f"there is no closing administrator ({admin.how})", evidence)
    if admin.user.id not in users:
        return failed(f"the closing administrator {admin.user.user_principal_name} does not hold Global Administrator "
                      f"({len(users)} other users do)", evidence)
    if others:
        return failed(f"{others} holders of Global Administrator besides {admin.user.user_principal_name} remain "
                      f"({len(sps)} service principals, {len(eligible)} PIM-eligible){no_p2}", evidence)
    if admin.user.is_guest or admin.user.on_premises_sync_enabled:
        kind = "a guest" if admin.user.is_guest else "synced from on-premises"
        return failed(f"the only Global Administrator {admin.user.user_principal_name} is {kind}; "
                      "the closing administrator must be a cloud-only member", evidence)
    return passed(f"{admin.user.user_principal_name} is the only Global Administrator, a cloud-only member{no_p2}",
                  evidence)


def _eligibility(eligibilities: Eligibilities) -> str:
    if eligibilities.not_licensed is not None:
        return eligibilities.not_licensed.reason
    return f"read: {len(eligibilities.assignments)} PIM-eligible assignments (groups expanded)"


def _removable(tenant: TenantReader, scope: Scope, kind: str) -> list[RoleAssignment]:
    """Direct assignments of `kind` to anyone but the protected; a group's only when no protected member
    holds the role through it (removing it would strip the closing admin)."""
    assignments: tuple[RoleAssignment, ...] = (
        tenant.read(GLOBAL_ADMINS) if kind == "active" else tenant.read(GLOBAL_ADMIN_ELIGIBILITIES).assignments)
    through_protected = {a.via_group_id for a in assignments if a.via_group_id and scope.protects(a.principal_id)}
    return [a for a in assignments if a.via_group_id is None and not scope.protects(a.principal_id)
            and a.principal_id not in through_protected]


@action(
    id="remove_other_global_admins",
    title="Remove every other active Global Administrator assignment",
    fixes="CG-003",
    kind=Kind.AUTOMATED,
    step=Step.DELETE_USERS,
    order=20,  # before the user deletes: a user without admin roles needs no privileged caller (§2.3)
    reversibility=Reversibility.REVERSIBLE,
    requires=("CG-002",),
    permissions=("graph:RoleManagement.ReadWrite.Directory",),
    effect=EffectName.DELETE_ROLE_ASSIGNMENT,
    undo="assign the role again (Entra admin center > Roles & admins > Global Administrator > Add assignments)",
)
def remove_other_global_admins(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return tuple(Target.for_role_assignment(a) for a in _removable(tenant, scope, "active"))


@action(
    id="remove_global_admin_eligibilities",
    title="Remove every other PIM-eligible Global Administrator assignment",
    fixes="CG-003",
    kind=Kind.AUTOMATED,
    step=Step.DELETE_USERS,
    order=21,
    reversibility=Reversibility.REVERSIBLE,
    requires=("CG-002",),
    permissions=("graph:RoleEligibilitySchedule.ReadWrite.Directory",),
    effect=EffectName.REMOVE_ELIGIBILITY,
    undo="make the principal eligible again in Privileged Identity Management",
)
def remove_global_admin_eligibilities(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return tuple(Target.for_role_assignment(a) for a in _removable(tenant, scope, "eligible"))
