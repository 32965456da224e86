"""CG-027: no Microsoft Entra Domain Services managed domain remains.

Microsoft: Entra Domain Services must be removed before the directory can be deleted (graph-facts
§12.7). A managed domain is the ARM resource type Microsoft.AAD/domainServices inside one of the
directory's Azure subscriptions (Domain Services - List, api-version 2022-12-01); closegate looks in
every subscription it can see, and "none found" passes only when the caller provably sees every
subscription (the rule of CG-011, graph-facts §12.2): otherwise it is ERROR naming the elevate-access
fix. Fixed by `delete_domain_services`, a portal step: "Deletion is permanent and can't be reversed"
and takes 15-20 minutes or more (Learn "Delete a Microsoft Entra Domain Services managed domain",
entra-docs docs/identity/domain-services/delete.md).
"""

from __future__ import annotations

from closegate.errors import PermissionDenied
from closegate.facts import AZURE_SUBSCRIPTIONS, AZURE_VISIBILITY, DOMAIN_SERVICES, TenantReader
from closegate.models import Outcome, Severity, Step, failed, passed
from closegate.permissions import ELEVATE_ACCESS_FIX
from closegate.registry import check
from closegate.remediation.actions import Kind, Reversibility, Scope, Target, action

__all__ = ["no_domain_services"]

PORTAL = "https://entra.microsoft.com"  # the Learn page's entry point; then search "Microsoft Entra Domain Services"


@check(
    id="CG-027",
    title="No Microsoft Entra Domain Services managed domain remains",
    severity=Severity.CRITICAL,
    blocking=True,
    step=Step.DELETE_DIRECTORY,
    reads=(AZURE_SUBSCRIPTIONS, AZURE_VISIBILITY, DOMAIN_SERVICES),
    doc_url="https://learn.microsoft.com/en-us/entra/identity/domain-services/delete",
    why="Entra refuses to delete a directory while Microsoft Entra Domain Services is enabled for it.",
    fix="Action delete_domain_services: Microsoft Entra admin center > Microsoft Entra Domain Services > the managed "
    "domain > Overview > Delete (permanent). To let closegate look in every subscription: " + ELEVATE_ACCESS_FIX,
)
def no_domain_services(tenant: TenantReader) -> Outcome:
    subs = [s for s in tenant.read(AZURE_SUBSCRIPTIONS) if s.state != "Deleted"]
    found = tenant.read(DOMAIN_SERVICES)
    seen = tenant.read(AZURE_VISIBILITY)
    names = {s.subscription_id: s.display_name for s in subs}
    evidence = {
        "managed_domains": [{"domain_name": d.domain_name, "resource_id": d.id,
                             "subscription": names.get(d.subscription_id, d.subscription_id),
                             "provisioning_state": d.provisioning_state} for d in found.instances],
        "subscriptions_searched": len(subs) - len(found.unreadable),
        "subscriptions_unreadable": [{"subscription": names.get(sid, sid), "why": why}
                                     for sid, why in found.unreadable],
        "sees_every_subscription": seen.complete, "visibility": seen.how,
    }
    if found.instances:
        domains = ", ".join(d.domain_name for d in found.instances)
        more = "" if seen.complete and not found.unreadable else \
            "; closegate cannot search every subscription, so there may be more"
        return failed(f"{len(found.instances)} Microsoft Entra Domain Services managed domains remain ({domains})"
                      f"{more}", evidence)
    if found.unreadable:
        raise PermissionDenied(f"Domain Services could not be listed in {len(found.unreadable)} of {len(subs)} "
                               f"subscriptions ({found.unreadable[0][1]})",
                               "give the caller Reader on those subscriptions, or at root scope: " + ELEVATE_ACCESS_FIX)
    if not seen.complete:
        raise PermissionDenied(f"no Domain Services managed domain in the {len(subs)} subscriptions closegate can see, "
                               f"but {seen.how}", ELEVATE_ACCESS_FIX)
    return passed(f"no Microsoft Entra Domain Services managed domain in any of the {len(subs)} subscriptions "
                  "(closegate sees every subscription)", evidence)


@action(
    id="delete_domain_services",
    title="Delete the Microsoft Entra Domain Services managed domain (portal only)",
    fixes="CG-027",
    kind=Kind.MANUAL,
    step=Step.DELETE_DIRECTORY,
    order=20,
    reversibility=Reversibility.IRREVERSIBLE,
    requires=("CG-002",),
    portal_steps=(
        "Unjoin the machines joined to the managed domain first: they lose their trust relationship with it",
        "Sign in to the Microsoft Entra admin center as a Global Administrator",
        "Search for and select Microsoft Entra Domain Services > the managed domain > Overview > Delete; type the "
        "domain name to "
        "confirm (it takes 15-20 minutes or more)",
        "Run `closegate audit`: CG-027 passes once no managed domain remains",
    ),
    portal_link=PORTAL,
    undo="none: deletion is permanent (custom OUs, GPOs, DNS records and gMSAs are deleted with it)",
)
def delete_domain_services(tenant: TenantReader, scope: Scope) -> tuple[Target, ...]:
    return ()  # the managed domain's deletion is a portal step here; closegate does not delete Azure resources
