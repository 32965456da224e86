"""Who closes the tenant: the one account every other check must leave alone.

A signed-in user is the closing administrator. An app cannot delete a tenant (graph-facts §6: only a
Global Administrator, in the admin center), so with app-only sign-in the closing administrator is the
user named in closegate.toml (`[tenant] closing_admin`, or `plan --closing-admin`), who must hold an
active Global Administrator assignment: a named account that does not is reported, never replaced by
someone else, because every check would otherwise protect the wrong person. With no name, it is the
one user who holds Global Administrator; with none or several, there is no closing admin yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from closegate.facts import (
    CALLER,
    GLOBAL_ADMIN_ELIGIBILITIES,
    GLOBAL_ADMINS,
    USERS,
    Caller,
    TenantReader,
    User,
)

__all__ = ["UNNAMED_ONLY", "ClosingAdmin", "active_global_admin_ids", "closing_admin", "human_global_admin_ids"]

# When checks that find the closing admin read the eligible holders too: only when no admin is named.
UNNAMED_ONLY = (("graph:RoleEligibilitySchedule.Read.Directory",
                 "only when no closing admin is signed in or named in closegate.toml"),)

SIGNED_IN = "signed-in user"
CONFIGURED = "configured in closegate.toml"
NAMED = "named with --closing-admin"
ONLY_HOLDER = "only user holding Global Administrator"


@dataclass(frozen=True)
class ClosingAdmin:
    user: User | None
    how: str  # SIGNED_IN | CONFIGURED | NAMED | ONLY_HOLDER, or one sentence saying why there is none
    named_upn: str | None = None  # the UPN the operator named, when that rule applied (even if it failed)


def human_global_admin_ids(tenant: TenantReader) -> tuple[str, ...]:
    """Users holding Global Administrator, active or eligible, directly or through a group.

    Without P2 the eligible holders read as none, which is what the tenant holds (facts.Eligibilities)."""
    eligible = tenant.read(GLOBAL_ADMIN_ELIGIBILITIES).assignments
    ids = {a.principal_id for a in (*tenant.read(GLOBAL_ADMINS), *eligible) if a.principal_type == "user"}
    return tuple(sorted(ids))


def active_global_admin_ids(tenant: TenantReader) -> tuple[str, ...]:
    """Users holding an active Global Administrator assignment, directly or through a group.

    A PIM-eligible user must activate the role before deleting the tenant, and may not be allowed to:
    only an active assignment proves a named closing administrator can act."""
    ids = {a.principal_id for a in tenant.read(GLOBAL_ADMINS) if a.principal_type == "user"}
    return tuple(sorted(ids))


def closing_admin(tenant: TenantReader, caller: Caller | None = None, *, named: str | None = None) -> ClosingAdmin:
    """The closing administrator; `named` (a command-line UPN) overrides the configured one."""
    caller = caller or tenant.read(CALLER)
    users = {u.id: u for u in tenant.read(USERS)}
    if caller.kind == "user":
        return ClosingAdmin(users.get(caller.object_id), SIGNED_IN)
    upn, how = (named, NAMED) if named else (tenant.closing_admin_upn(), CONFIGURED)
    if upn:
        return _named(tenant, users, upn, how)
    holders = human_global_admin_ids(tenant)
    if len(holders) == 1 and holders[0] in users:
        return ClosingAdmin(users[holders[0]], ONLY_HOLDER)
    return ClosingAdmin(None, f"{len(holders)} users hold Global Administrator, so none is the closing admin yet")


def _named(tenant: TenantReader, users: Mapping[str, User], upn: str, how: str) -> ClosingAdmin:
    # UPNs are case-insensitive in Entra; an administrator types them as they remember them.
    match = next((u for u in users.values() if u.user_principal_name.lower() == upn.lower()), None)
    if match is None:
        return ClosingAdmin(None, f"{upn}, the closing admin {how}, is not one of the {len(users)} users of "
                                  "this tenant", upn)
    active = active_global_admin_ids(tenant)
    if match.id not in active:
        return ClosingAdmin(None, f"{upn}, the closing admin {how}, holds no active Global Administrator "
                                  f"assignment ({len(active)} users do)", upn)
    return ClosingAdmin(match, how, upn)
