"""CG-017 (advisory): the recycle bin holds no soft-deleted users or applications.

Deleted users, applications and service principals stay restorable for 30 days (graph-facts §2.3,
S25). They do not block the delete in Microsoft's docs, but they still hold data and names; purging
them makes the closure final and is part of closegate's final step. Fixed by `purge_recycle_bin`.
"""

from __future__ import annotations

from closegate.facts import (
    APPLICATIONS,
    DELETED,
    DELETED_APPLICATIONS,
    DELETED_SERVICE_PRINCIPALS,
    DELETED_USERS,
    SERVICE_PRINCIPALS,
    USERS,
    TenantReader,
)
from closegate.models import Outcome, Severity, Step, failed, passed
from closegate.registry import check
from closegate.remediation.actions import EffectName, Kind, Reversibility, Scope, Target, action

__all__ = ["recycle_bin_empty"]

KINDS = ("user", "application", "servicePrincipal")


@check(
    id="CG-017",
    title="The recycle bin holds no soft-deleted users or applications (advisory)",
    severity=Severity.LOW,
    blocking=False,
    step=Step.DELETE_DIRECTORY,
    reads=(DELETED_USERS, DELETED_APPLICATIONS, DELETED_SERVICE_PRINCIPALS),
    doc_url="https://learn.microsoft.com/en-us/graph/api/directory-deleteditems-list",
    why="Soft-deleted objects stay restorable, with their data, for 30 days after deletion.",
    fix="Action purge_recycle_bin, or Entra admin center (https://entra.microsoft.com) > Identity > Users > "
    "Deleted users (and App registrations > Deleted applications) > Delete permanently.",
)
def recycle_bin_empty(tenant: TenantReader) -> Outcome:
    found = {kind: tenant.read(DELETED[kind]) for kind in KINDS}
    evidence = {
        kind: [{"id": d.id, "display_name": d.display_name, "deleted": d.deleted,
                "user_principal_name": d.user_principal_name} for d in items]
        for kind, items in found.items()
    }
    counts = {kind: len(items) for kind, items in found.items()}
    if any(counts.values()):
        return failed(f"the recycle bin holds {counts['user']} users, {counts['application']} applications and "
                      f"{counts['servicePrincipal']} service principals, restorable for up to 30 days", evidence)
    return passed("the recycle bin holds no users, applications or service principals", evidence)


@action(
    id="purge_recycle_bin",
    title="Permanently delete the soft-deleted users and applications (recycle bin)",
    fixes="CG-017",
    kind=Kind.AUTOMATED,
    step=Step.DELETE_DIRECTORY,
    order=90,  # last: it purges what the earlier actions of the plan soft-deleted
    reversibility=Reversibility.IRREVERSIBLE,
    requires=("CG-002",),
    permissions=("graph:User.DeleteRestore.All", "graph:Application.ReadWrite.All"),
    effect=EffectName.PURGE_DELETED_ITEM,
    opt_in="--purge",
    undo="none: a purged object cannot be restored (graph-facts §2.3)",
)
def purge_recycle_bin(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    """What is in the bin now, plus what this plan deletes (it is in the bin by the time this runs)."""
    planned: dict[str, str] = {}
    for kind in KINDS:
        for d in tenant.read(DELETED[kind]):
            planned[d.id] = d.user_principal_name or d.display_name
    planned.update({u.id: u.user_principal_name for u in tenant.read(USERS)})
    planned.update({a.id: a.display_name for a in tenant.read(APPLICATIONS) if a.app_id != scope.caller_app_id})
    planned.update({sp.id: sp.display_name for sp in tenant.read(SERVICE_PRINCIPALS)
                    if sp.app_id != scope.caller_app_id and not sp.is_microsoft_first_party})
    return tuple(Target(oid, label) for oid, label in sorted(planned.items()) if not scope.protects(oid))
