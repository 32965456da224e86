"""Who closes the tenant: the one account every other check must leave alone.

A signed-in user is the closing administrator. An app cannot delete a tenant (graph-facts §6: only a
Global Administrator, in the admin center), so with app-only sign-in the closing administrator is
the one user who holds Global Administrator; with none or several, there is no closing admin yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from closegate.facts import GLOBAL_ADMINISTRATOR, Caller, TenantReader, User

__all__ = ["ClosingAdmin", "closing_admin", "human_global_admin_ids"]


@dataclass(frozen=True)
class ClosingAdmin:
    user: User | None
    how: str  # "signed-in user" | "only user holding Global Administrator" | why there is none


def human_global_admin_ids(tenant: TenantReader) -> tuple[str, ...]:
    """Users holding Global Administrator, active or eligible, directly or through a group."""
    ids = {a.principal_id for a in tenant.role_assignments(GLOBAL_ADMINISTRATOR) if a.principal_type == "user"}
    return tuple(sorted(ids))


def closing_admin(tenant: TenantReader, caller: Caller | None = None) -> ClosingAdmin:
    caller = caller or tenant.caller()
    users = {u.id: u for u in tenant.users()}
    if caller.kind == "user":
        return ClosingAdmin(users.get(caller.object_id), "signed-in user")
    holders = human_global_admin_ids(tenant)
    if len(holders) == 1 and holders[0] in users:
        return ClosingAdmin(users[holders[0]], "only user holding Global Administrator")
    return ClosingAdmin(None, f"{len(holders)} users hold Global Administrator, so none is the closing admin yet")
