"""CG-016: an Azure AD B2C directory is emptied of its B2C configuration (B2C tenants only).

Microsoft: before a B2C tenant can be deleted, remove user flows, identity providers, IEF policy keys,
custom policies and every app registration including b2c-extensions-app (graph-facts §6, S36).
Workforce tenants have none of these: the check does not apply. Fixed by `delete_b2c_configuration`
or the Azure AD B2C blade of the Azure portal.
"""

from __future__ import annotations

from closegate.facts import APPLICATIONS, B2C_INVENTORY, B2C_ONLY, B2C_TENANT_TYPE, ORGANIZATION, TenantReader
from closegate.models import Outcome, Severity, Step, failed, not_applicable, passed
from closegate.registry import check

__all__ = ["b2c_directory_emptied"]

B2C = B2C_TENANT_TYPE
EXTENSIONS_APP = "b2c-extensions-app"


@check(
    id="CG-016",
    title="B2C user flows, identity providers, policy keys and custom policies are removed",
    severity=Severity.HIGH,
    blocking=True,
    step=Step.DELETE_DIRECTORY,
    reads=(ORGANIZATION, B2C_INVENTORY),
    # The b2c-extensions-app is looked for only in a B2C directory (reading the apps is CG-009's need).
    conditional_permissions=(("graph:Application.Read.All", B2C_ONLY),),
    doc_url="https://learn.microsoft.com/en-us/azure/active-directory-b2c/tutorial-delete-tenant",
    why="A B2C directory cannot be deleted while user flows, identity providers, keys or custom policies remain.",
    fix="Action delete_b2c_configuration, or Azure portal (https://portal.azure.com) > Azure AD B2C > User flows, "
    "Identity providers, Identity Experience Framework > Policy keys / Custom policies > delete each.",
)
def b2c_directory_emptied(tenant: TenantReader) -> Outcome:
    org = tenant.read(ORGANIZATION)
    if org.tenant_type != B2C:
        return not_applicable(f"the directory is a {org.tenant_type or 'workforce'} tenant, not Azure AD B2C",
                              {"tenant_type": org.tenant_type})
    inventory = tenant.read(B2C_INVENTORY)
    extensions = [a.display_name for a in tenant.read(APPLICATIONS) if a.display_name == EXTENSIONS_APP]
    evidence = {"tenant_type": org.tenant_type, "inventory": inventory, "b2c_extensions_app": extensions}
    counts = (len(inventory.user_flows), len(inventory.identity_providers), len(inventory.policy_keysets),
              len(inventory.custom_policies))
    if any(counts) or extensions:
        return failed(f"{counts[0]} user flows, {counts[1]} identity providers, {counts[2]} policy keys, "
                      f"{counts[3]} custom policies and {len(extensions)} b2c-extensions-app remain", evidence)
    return passed("no user flow, identity provider, policy key, custom policy or b2c-extensions-app remains",
                  evidence)
