"""CG-012: the directory is not a partner directory.

Microsoft: "Directory is a 'Partner' directory" blocks deletion; only Partner Support can lift it
(graph-facts §6, S35). Graph shows it as organization.partnerTenantType (§3.1, S7). No API fixes it.
"""

from __future__ import annotations

from closegate.facts import ORGANIZATION, TenantReader
from closegate.models import Outcome, Severity, Step, failed, passed
from closegate.registry import check

__all__ = ["not_partner_directory"]


@check(
    id="CG-012",
    title="The directory is not a partner directory",
    severity=Severity.HIGH,
    blocking=True,
    step=Step.DELETE_DIRECTORY,
    reads=(ORGANIZATION,),
    doc_url="https://learn.microsoft.com/en-us/troubleshoot/azure/entra/entra-id/dir-dmns-obj/cannot-delete-directory-azure-portal",
    why="Entra refuses to delete a 'Partner' directory until Partner Support removes the partner type.",
    fix="Open a case with Microsoft Partner Support (Partner Center > Help + support) to remove the partner type.",
)
def not_partner_directory(tenant: TenantReader) -> Outcome:
    org = tenant.read(ORGANIZATION)
    evidence = {"partner_tenant_type": org.partner_tenant_type, "organization": org.display_name}
    if org.partner_tenant_type:
        return failed(f"the directory is a partner directory (partnerTenantType {org.partner_tenant_type})", evidence)
    return passed("the directory has no partner tenant type", evidence)
