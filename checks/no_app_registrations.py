"""CG-009: no app registrations remain.

Microsoft: "You must remove any applications before you can delete the organization" (graph-facts
§6, S1); B2C directories include b2c-extensions-app (S36). closegate's own registration, if it lives
in this tenant, is shown but not counted: it is needed until the end and deleted last, by hand.
Fixed by `delete_app_registrations`.
"""

from __future__ import annotations

from closegate.facts import APPLICATIONS, CALLER, TenantReader
from closegate.models import Outcome, Severity, Step, failed, passed
from closegate.registry import check
from closegate.remediation.actions import EffectName, Kind, Reversibility, Scope, Target, action

__all__ = ["no_app_registrations"]


@check(
    id="CG-009",
    title="No app registrations remain",
    severity=Severity.HIGH,
    blocking=True,
    step=Step.DELETE_DIRECTORY,
    reads=(APPLICATIONS,),
    doc_url="https://learn.microsoft.com/en-us/entra/identity/users/directory-delete-howto",
    why="Entra refuses to delete a directory that still contains applications.",
    fix="Action delete_app_registrations, or Entra admin center (https://entra.microsoft.com) > Identity > "
    "Applications > App registrations > All applications > select > Delete.",
)
def no_app_registrations(tenant: TenantReader) -> Outcome:
    own_app_id = tenant.read(CALLER).app_id
    apps = tenant.read(APPLICATIONS)
    remaining = [a for a in apps if a.app_id != own_app_id]
    evidence = {
        "remaining": len(remaining),
        "applications": [{"id": a.id, "app_id": a.app_id, "display_name": a.display_name} for a in remaining],
        "closegate_registration": [a.display_name for a in apps if a.app_id == own_app_id],
    }
    if remaining:
        return failed(f"{len(remaining)} app registrations remain", evidence)
    return passed("no app registration remains besides closegate's own", evidence)


@action(
    id="delete_app_registrations",
    title="Delete every app registration except closegate's own",
    fixes="CG-009",
    kind=Kind.AUTOMATED,
    step=Step.DELETE_DIRECTORY,
    order=10,  # before the service principals: deleting an app removes its own principal too
    reversibility=Reversibility.SOFT_DELETED_30_DAYS,
    requires=("CG-002",),
    permissions=("graph:Application.ReadWrite.All",),
    effect=EffectName.DELETE_APPLICATION,
    undo="restore within 30 days: App registrations > Deleted applications (its service principal is not restored)",
)
def delete_app_registrations(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return tuple(Target(a.id, a.display_name, {"app_id": a.app_id, "display_name": a.display_name})
                 for a in tenant.read(APPLICATIONS) if a.app_id != scope.caller_app_id and not scope.protects(a.id))
