"""CG-010: no deletable enterprise application (service principal) remains.

Microsoft: applications added by a user or administrator block the delete; "some service principals
can't be removed ... this does not prevent you from deleting your directory" (graph-facts §6, S1/S35).
Microsoft first-party principals (appOwnerOrganizationId of Microsoft's tenants, a community
convention, §6) are shown but do not block; nor does closegate's own principal while it runs.
Fixed by `delete_service_principals` (disabling the ones that refuse deletion).
"""

from __future__ import annotations

from closegate.facts import CALLER, SERVICE_PRINCIPALS, ServicePrincipal, TenantReader
from closegate.models import Outcome, Severity, Step, failed, passed
from closegate.registry import check
from closegate.remediation.actions import EffectName, Kind, Reversibility, Scope, Target, action

__all__ = ["no_deletable_service_principals"]


def _row(sp: ServicePrincipal) -> dict[str, object]:
    return {"id": sp.id, "app_id": sp.app_id, "display_name": sp.display_name, "type": sp.service_principal_type,
            "enabled": sp.account_enabled}


@check(
    id="CG-010",
    title="No deletable enterprise applications remain",
    severity=Severity.HIGH,
    blocking=True,
    step=Step.DELETE_DIRECTORY,
    reads=(SERVICE_PRINCIPALS,),
    doc_url="https://learn.microsoft.com/en-us/entra/identity/users/directory-delete-howto",
    why="Entra refuses to delete a directory holding applications added by a user or administrator.",
    fix="Action delete_service_principals, or Entra admin center (https://entra.microsoft.com) > Identity > "
    "Applications > Enterprise applications > select > Properties > Delete.",
)
def no_deletable_service_principals(tenant: TenantReader) -> Outcome:
    caller = tenant.read(CALLER)
    sps = tenant.read(SERVICE_PRINCIPALS)
    own = [sp for sp in sps if sp.app_id == caller.app_id]
    first_party = [sp for sp in sps if sp.is_microsoft_first_party and sp not in own]
    remaining = [sp for sp in sps if not sp.is_microsoft_first_party and sp not in own]
    evidence = {
        "remaining": len(remaining),
        "service_principals": [_row(sp) for sp in remaining],
        "microsoft_first_party": [_row(sp) for sp in first_party],
        "closegate_service_principal": [_row(sp) for sp in own],
    }
    if remaining:
        return failed(f"{len(remaining)} enterprise applications remain ({len(first_party)} Microsoft first-party "
                      "ones are shown but do not block)", evidence)
    return passed(f"no deletable enterprise application remains ({len(first_party)} Microsoft first-party ones "
                  "cannot be deleted and do not block)", evidence)


@action(
    id="delete_service_principals",
    title="Delete the enterprise applications (service principals) that can be deleted; disable any that refuse",
    fixes="CG-010",
    kind=Kind.AUTOMATED,
    step=Step.DELETE_DIRECTORY,
    order=20,
    reversibility=Reversibility.SOFT_DELETED_30_DAYS,
    requires=("CG-002",),
    permissions=("graph:Application.ReadWrite.All",),
    effect=EffectName.DELETE_SERVICE_PRINCIPAL,
    undo="restore within 30 days from the recycle bin (graph-facts §2.3)",
)
def delete_service_principals(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return tuple(Target(sp.id, sp.display_name, {"app_id": sp.app_id, "display_name": sp.display_name},
                        {"type": sp.service_principal_type})
                 for sp in tenant.read(SERVICE_PRINCIPALS)
                 if not sp.is_microsoft_first_party and sp.app_id != scope.caller_app_id and not scope.protects(sp.id))


@action(
    id="disable_undeletable_service_principals",
    title="Disable the Microsoft first-party service principals, which cannot be deleted",
    fixes="CG-010",
    kind=Kind.AUTOMATED,
    step=Step.DELETE_DIRECTORY,
    order=21,
    reversibility=Reversibility.REVERSIBLE,
    permissions=("graph:Application.ReadWrite.All",),
    effect=EffectName.DISABLE_SERVICE_PRINCIPAL,
    undo="set accountEnabled back to true (Enterprise applications > Properties > Enabled for users to sign in)",
)
def disable_undeletable_service_principals(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    # graph-facts §6 (S1): principals that cannot be removed are disabled; they do not block (S35).
    return tuple(Target(sp.id, sp.display_name, {"app_id": sp.app_id, "display_name": sp.display_name})
                 for sp in tenant.read(SERVICE_PRINCIPALS)
                 if sp.is_microsoft_first_party and sp.account_enabled and not scope.protects(sp.id))
