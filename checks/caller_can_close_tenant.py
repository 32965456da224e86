"""CG-001: the identity closegate runs as can close the tenant.

Microsoft: only a Global Administrator can delete a Microsoft Entra tenant (graph-facts §6, S1) and
run the close-your-account steps (§0, S2). A Billing Administrator can cancel and delete
subscriptions (steps 2-3) but cannot delete users or the directory (§7, S22). No app can delete a
tenant (§6: admin center only), so with app-only sign-in the tenant is closed by the closing
administrator: the user named in closegate.toml (`[tenant] closing_admin`), who must hold an active
Global Administrator assignment and be a member of this directory, not a guest (S1: a home-tenant
admin deletes it), or, when none is named, the one user holding Global Administrator. The check
passes when that person exists. Fixed by assigning the role in the portal or naming the right account.
"""

from __future__ import annotations

from closegate.closing_admin import UNNAMED_ONLY, closing_admin
from closegate.facts import BILLING_ADMINISTRATOR, CALLER, GLOBAL_ADMINS, USERS, TenantReader
from closegate.models import Outcome, Severity, Step, failed, passed
from closegate.registry import check

__all__ = ["caller_can_close_tenant"]


@check(
    id="CG-001",
    title="The caller is a Global Administrator who can close the tenant",
    severity=Severity.CRITICAL,
    blocking=True,
    step=Step.BACKUP,
    reads=(GLOBAL_ADMINS, USERS),
    conditional_permissions=UNNAMED_ONLY,
    doc_url="https://learn.microsoft.com/en-us/entra/identity/users/directory-delete-howto",
    why="Only a Global Administrator can delete the directory; a Billing Administrator can only do the "
    "subscription steps.",
    fix="Assign Global Administrator to the account that will close the tenant: Entra admin center "
    "(https://entra.microsoft.com) > Identity > Roles & admins > Global Administrator > Add assignments; "
    "with app sign-in, name that account in closegate.toml ([tenant] closing_admin = \"UPN\").",
)
def caller_can_close_tenant(tenant: TenantReader) -> Outcome:
    caller = tenant.read(CALLER)
    evidence = {
        "kind": caller.kind,
        "display_name": caller.display_name,
        "user_principal_name": caller.user_principal_name,
        "app_id": caller.app_id,
        "role_template_ids": sorted(caller.role_template_ids),
        "is_global_admin": caller.is_global_admin,
        "is_billing_admin": BILLING_ADMINISTRATOR in caller.role_template_ids,
    }
    who = caller.user_principal_name or caller.display_name
    if caller.kind == "app":
        admin = closing_admin(tenant, caller)
        evidence["closing_admin"] = admin.user.user_principal_name if admin.user else None
        evidence["closing_admin_how"] = admin.how
        evidence["closing_admin_configured"] = admin.named_upn
        if admin.user is None:
            if admin.named_upn:
                return failed(f"the app {who} cannot delete a tenant and {admin.how}", evidence)
            return failed(f"the app {who} cannot delete a tenant and no single Global Administrator user can: {admin.how}",
                          evidence)
        upn = admin.user.user_principal_name
        if admin.user.is_guest:
            return failed(f"the app {who} cannot delete a tenant and {upn}, the closing admin {admin.how}, is a "
                          "guest, while only a member of this directory can delete it", evidence)
        if admin.named_upn:
            return passed(f"the app {who} audits and remediates but cannot delete a tenant; {upn}, the closing admin "
                          f"{admin.how} and an active Global Administrator, deletes it in the Entra admin center",
                          evidence)
        return passed(f"the app {who} audits and remediates; {upn}, the only Global "
                      "Administrator user, deletes the tenant in the Entra admin center", evidence)
    if caller.is_global_admin:
        return passed(f"{who} is a Global Administrator", evidence)
    if BILLING_ADMINISTRATOR in caller.role_template_ids:
        return failed(f"{who} is a Billing Administrator, enough only to cancel and delete subscriptions (steps 2-3); "
                      "deleting users and the tenant needs a Global Administrator", evidence)
    return failed(f"{who} holds none of the {len(caller.role_template_ids)} roles that can close a tenant "
                  "(Global Administrator needed)", evidence)
