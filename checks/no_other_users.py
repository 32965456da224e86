"""CG-004: no user remains except the closing administrator.

Microsoft: "Delete all users except your Global Administrator account" (graph-facts §0, S2) and
Entra refuses the delete while others remain (§6, S1). Every other user counts: members, guests,
disabled and synced accounts. With app sign-in the closing administrator is the account named in
closegate.toml (`[tenant] closing_admin`); a named account that is not an active Global
Administrator leaves no closing administrator, and the check fails saying so. Fixed by
`delete_users` (synced users: turn sync off first, CG-005).
"""

from __future__ import annotations

from closegate.closing_admin import UNNAMED_ONLY, closing_admin
from closegate.facts import GLOBAL_ADMINISTRATOR, GLOBAL_ADMINS, ROLE_ASSIGNMENTS, USERS, TenantReader
from closegate.models import Outcome, Severity, Step, failed, passed
from closegate.registry import check
from closegate.remediation.actions import EffectName, Kind, Reversibility, Scope, Target, action

__all__ = ["no_other_users"]


@check(
    id="CG-004",
    title="No users remain except the closing administrator",
    severity=Severity.CRITICAL,
    blocking=True,
    step=Step.DELETE_USERS,
    reads=(USERS, GLOBAL_ADMINS),
    conditional_permissions=UNNAMED_ONLY,
    doc_url="https://learn.microsoft.com/en-us/microsoft-365/commerce/close-your-account",
    why="Entra refuses to delete a directory that holds any user but the Global Administrator deleting it.",
    fix="Action delete_users; synced users are deleted on-premises or after sync is off (CG-005).",
)
def no_other_users(tenant: TenantReader) -> Outcome:
    admin = closing_admin(tenant)
    keep = admin.user.id if admin.user else None
    others = [u for u in tenant.read(USERS) if u.id != keep]
    by_kind = {
        "members": sum(1 for u in others if not u.is_guest),
        "guests": sum(1 for u in others if u.is_guest),
        "disabled": sum(1 for u in others if not u.account_enabled),
        "synced": sum(1 for u in others if u.on_premises_sync_enabled),
    }
    evidence = {
        "closing_admin": admin.user.user_principal_name if admin.user else None,
        "remaining": len(others),
        **by_kind,
        # The display name is who the approver recognises (in whatever script the tenant wrote it).
        "users": [{"id": u.id, "display_name": u.display_name, "user_principal_name": u.user_principal_name,
                   "user_type": u.user_type, "account_enabled": u.account_enabled,
                   "synced": u.on_premises_sync_enabled} for u in others],
    }
    if others:
        counts = (f"({by_kind['members']} members, {by_kind['guests']} guests, {by_kind['disabled']} disabled, "
                  f"{by_kind['synced']} synced from on-premises)")
        if admin.user is None and admin.named_upn:
            return failed(f"{len(others)} users remain {counts} and none is the closing administrator: {admin.how}",
                          evidence)
        besides = "besides the closing administrator" if admin.user else "and no closing administrator is known"
        return failed(f"{len(others)} users {besides} remain {counts}", evidence)
    if admin.user is None:
        return failed(f"no users remain and no closing administrator is known ({admin.how})", evidence)
    return passed(f"only the closing administrator {admin.user.user_principal_name} remains", evidence)


@action(
    id="remove_roles_of_departing_users",
    title="Remove the other directory roles held by users about to be deleted",
    fixes="CG-004",
    kind=Kind.AUTOMATED,
    step=Step.DELETE_USERS,
    order=25,
    reversibility=Reversibility.REVERSIBLE,
    requires=("CG-002",),
    permissions=("graph:RoleManagement.ReadWrite.Directory",),
    effect=EffectName.DELETE_ROLE_ASSIGNMENT,
    undo="assign the role again (Entra admin center > Roles & admins > the role > Add assignments)",
)
def remove_roles_of_departing_users(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    # An app may delete a user who holds a privileged role only if the app itself holds a higher one
    # (graph-facts §2.3, S23); with the roles removed first, User.DeleteRestore.All is enough.
    # Global Administrator is left to remove_other_global_admins (CG-003); eligibilities do not
    # count as holding a role until activated.
    return tuple(Target.for_role_assignment(a) for a in tenant.read(ROLE_ASSIGNMENTS)
                 if a.kind == "active" and a.via_group_id is None and a.principal_type == "user"
                 and a.role_definition_id != GLOBAL_ADMINISTRATOR and not scope.protects(a.principal_id))


@action(
    id="delete_users",
    title="Delete every user except the closing administrator",
    fixes="CG-004",
    kind=Kind.AUTOMATED,
    step=Step.DELETE_USERS,
    order=30,
    reversibility=Reversibility.SOFT_DELETED_30_DAYS,
    requires=("CG-002",),
    permissions=("graph:User.DeleteRestore.All",),
    effect=EffectName.DELETE_USER,
    undo="restore within 30 days: Entra admin center > Users > Deleted users > Restore (graph-facts §2.3)",
)
def delete_users(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    # Synced users are planned too; the executor deletes each only once its sync turn-off completed.
    return tuple(Target(u.id, u.user_principal_name,
                        {"user_principal_name": u.user_principal_name, "display_name": u.display_name},
                        {"on_premises_sync_enabled": u.on_premises_sync_enabled, "user_type": u.user_type})
                 for u in tenant.read(USERS) if not scope.protects(u.id))
