"""`closegate permissions`: what to grant the app registration, derived from the checks and actions.

The list comes from `closegate.permissions.needed` (what every check and action declares), the same
source `closegate doctor` compares a token against, so the README, the manifest fragment and the
doctor cannot disagree. Azure Resource Manager access is not an app permission at all: it is an
Azure RBAC role assignment at subscription scope, so it is reported as a note, never put in the
manifest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import click

from closegate import permissions as perms
from closegate.commands._common import fail
from closegate.errors import ConfigError

__all__ = ["GRAPH_APP_ID", "GRAPH_APP_ROLE_IDS", "arm_notes", "manifest", "register", "table"]

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"  # Microsoft Graph's appId (resourceAppId)

# Microsoft Graph application permissions (app roles, "type": "Role") closegate may request, by name.
# Source: Microsoft's generated table microsoftgraph/microsoft-graph-docs-contrib
# concepts/includes/permissions-ids.md (stored versions @0fcd5cbe and @43b49839; "Application" rows),
# except User.DeleteRestore.All (added December 2024, after those versions): its id is the one
# graphpermissions.merill.net/permission/User.DeleteRestore.All.html lists (generated from Graph's
# own service principal), matched by two independent scripts that grant it; and BitlockerKey.ReadBasic.All
# (an application permission since 2024-08-27, after those versions): its id is the one a dump of Graph's
# own appRoles lists ("Read all BitLocker keys basic information"), matched by a dated permission change
# log and two scripts that grant it. A permission missing here is never guessed: `manifest` refuses,
# and tests/commands/test_permissions_command.py fails.
GRAPH_APP_ROLE_IDS: Mapping[str, str] = {
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "BitlockerKey.ReadBasic.All": "f690d423-6b29-4d04-98c6-694c42282419",
    "Device.Read.All": "7438b122-aefc-4978-80ed-43db9fcc7715",
    "DeviceManagementManagedDevices.Read.All": "2f51be20-0bb4-4fed-bf7b-db946066c75e",
    "DeviceManagementManagedDevices.ReadWrite.All": "243333ab-4d21-40cb-a475-36241daa0842",
    "DeviceManagementServiceConfig.Read.All": "06a5fe6d-c49d-46a7-b082-56b1b14103c7",
    "DeviceManagementServiceConfig.ReadWrite.All": "5ac13192-7ace-4fcf-b828-1a26f28068ee",
    "eDiscovery.Read.All": "50180013-6191-4d1e-a373-e590ff4e66af",
    "RecordsManagement.Read.All": "ac3a2b8e-03a3-4da9-9ce0-cbe28bf1accd",
    "GroupMember.Read.All": "98830695-27a2-44f7-8c18-0c3ebc9698f6",
    "IdentityProvider.Read.All": "e321f0bb-e7f7-481e-bb28-e3b0b32d4bd0",
    "IdentityUserFlow.Read.All": "1b0c317f-dd31-4305-9932-259a8b6e8099",
    "Organization.Read.All": "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    "Organization.ReadWrite.All": "292d869f-3427-49a8-9dab-8c70152b74e9",
    "Policy.Read.All": "246dd0d5-5bd0-4def-940b-0421030a5b68",
    "Policy.ReadWrite.AuthenticationMethod": "29c18626-4985-4dcd-85c0-193eef327366",
    "Policy.ReadWrite.ConditionalAccess": "01c0a623-fc9b-48e9-b794-0756f8e8f067",
    "Policy.ReadWrite.SecurityDefaults": "1c6e93a6-28e2-4cbb-9f64-1a46a821124d",
    "ReportSettings.Read.All": "ee353f83-55ef-4b78-82da-555bfa2b4b95",
    "ReportSettings.ReadWrite.All": "2a60023f-3219-47ad-baa4-40e17cd02a1d",
    "Reports.Read.All": "230c1aed-a721-4c5d-9cb4-a90514e508ef",
    "RoleEligibilitySchedule.Read.Directory": "ff278e11-4a33-4d0c-83d2-d01dc58929a5",
    "RoleEligibilitySchedule.ReadWrite.Directory": "fee28b28-e1f3-4841-818e-2704dc62245f",
    "RoleManagement.Read.Directory": "483bed4a-2ad3-4361-a73b-c83ccdbdc53c",
    "RoleManagement.ReadWrite.Directory": "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
    "TrustFrameworkKeySet.Read.All": "fff194f1-7dce-4428-8301-1badb5518201",
    "User.DeleteRestore.All": "eccc023d-eccf-4e7b-9683-8813ab36cecc",
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
}

# Built-in Azure roles whose actions include each ARM action closegate performs (Reader grants */read;
# Owner grants *). Named so the operator knows what to assign; a custom role with the action works too.
_ARM_ROLES: Mapping[str, str] = {
    "Microsoft.Resources/subscriptions/read": "Reader",
    "Microsoft.Authorization/roleAssignments/read": "Reader",
    "Microsoft.Resources/subscriptions/resources/read": "Reader",
    "Microsoft.AAD/domainServices/read": "Reader",
    "Microsoft.Subscription/cancel/action": "Owner",
}
# Reads that only prove anything at root scope: ARM lists what a role applies to (graph-facts §12.2).
_ROOT_SCOPE = frozenset({"Microsoft.Resources/subscriptions/read", "Microsoft.Authorization/roleAssignments/read",
                         "Microsoft.Resources/subscriptions/resources/read", "Microsoft.AAD/domainServices/read"})
# Microsoft.Billing actions are granted by billing roles, not Azure RBAC (Cost Management + Billing).
_BILLING = "Microsoft.Billing/"
PURPOSES = ("audit", "remediate", "all")


def _merged(needs: Sequence[perms.PermissionNeed]) -> list[tuple[perms.PermissionNeed, str]]:
    """One row per permission: needs that differ only by condition are folded into one "needed by"."""
    rows: dict[tuple[str, str], list[perms.PermissionNeed]] = {}
    for need in needs:
        rows.setdefault((need.resource, need.permission), []).append(need)
    merged = []
    for (resource, _), group in sorted(rows.items(), key=lambda kv: (kv[0][0] != "graph", kv[0][1])):
        who = [", ".join(n.needed_by) + (f" ({n.only_when})" if n.only_when else "")
               for n in sorted(group, key=lambda n: n.only_when)]
        merged.append((group[0], "; ".join(who)))
    return merged


def table(needs: Sequence[perms.PermissionNeed]) -> str:
    """A Markdown table: readable in a terminal and pasted verbatim into README.md."""
    rows = [("Permission", "Resource", "Needed by", "Also satisfied by")]
    for need, needed_by in _merged(needs):
        if need.resource == "graph":
            rows.append((need.permission, "Microsoft Graph (application)", needed_by,
                         ", ".join(need.satisfied_by) or "-"))
        elif need.permission.startswith(_BILLING):
            rows.append((need.permission, "Azure billing role (billing account)", needed_by,
                         "Billing account reader, or any billing role that reads invoices"))
        else:
            role = _ARM_ROLES.get(need.permission, "a role with this action")
            where = "root scope '/'" if need.permission in _ROOT_SCOPE else "subscription scope"
            rows.append((need.permission, f"Azure RBAC ({where})", needed_by,
                         f"{role} role, or any role with this action"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def manifest(needs: Sequence[perms.PermissionNeed], *, include_conditional: bool = False) -> dict[str, Any]:
    """The `requiredResourceAccess` fragment of the app registration's manifest (Graph app roles only).

    Raises ConfigError naming any Graph permission whose app-role id closegate does not know: a
    manifest with a guessed id would grant something else or fail at consent.
    """
    wanted = sorted({n.permission for n in needs
                     if n.resource == "graph" and (include_conditional or not n.only_when)})
    unknown = [p for p in wanted if p not in GRAPH_APP_ROLE_IDS]
    if unknown:
        raise ConfigError(f"no verified app-role id for {', '.join(unknown)}",
                          "add them in the Entra admin center (API permissions > Add a permission > "
                          "Microsoft Graph > Application permissions) instead of the manifest")
    return {"requiredResourceAccess": [{
        "resourceAppId": GRAPH_APP_ID,
        "resourceAccess": [{"id": GRAPH_APP_ROLE_IDS[p], "type": "Role"} for p in wanted],
    }]}


def arm_notes(needs: Sequence[perms.PermissionNeed]) -> list[str]:
    """What to do about ARM needs: they are Azure role assignments, which no app manifest can carry."""
    arm = [n for n in needs if n.resource == "arm"]
    notes = []
    reads = [n for n in arm if n.permission in _ROOT_SCOPE]
    if reads:
        users = sorted({i for n in reads for i in n.needed_by})
        notes.append(f"Azure Resource Manager reads (for {', '.join(users)}): not an app permission but an Azure role; "
                     "ARM lists only what a role of the caller applies to, so closegate proves it sees every "
                     "subscription only with a role at the top: " + perms.ELEVATE_ACCESS_FIX)
    for need in arm:
        if need.permission in _ROOT_SCOPE or need.permission.startswith(_BILLING):
            continue
        role = _ARM_ROLES.get(need.permission, "a role that includes the action")
        notes.append(f"Azure Resource Manager: {need.permission} (for {', '.join(need.needed_by)}) is not an app "
                     f"permission; assign the app's service principal the Azure role {role} at the scope of each "
                     "Azure subscription (or at the root scope '/' after elevating access as Global Administrator)")
    billing = sorted({i for n in arm if n.permission.startswith(_BILLING) for i in n.needed_by})
    if billing:
        notes.append(f"Azure billing ({', '.join(billing)}): optional; without a billing role CG-015 asks for an "
                     "attestation instead of reading the invoices. To let closegate read them: "
                     + perms.BILLING_READER_FIX)
    return notes


def register(group: click.Group) -> None:
    @group.command("permissions")
    @click.option("--for", "purpose", type=click.Choice(PURPOSES), default="all", show_default=True,
                  help="Permissions for auditing only, for remediation only, or both.")
    @click.option("--format", "output", type=click.Choice(("table", "manifest")), default="table",
                  show_default=True,
                  help="table: what to grant and why; manifest: the requiredResourceAccess JSON fragment.")
    @click.option("--b2c", "include_conditional", is_flag=True,
                  help="Include the permissions only Azure AD B2C tenants need (manifest only; the table "
                       "always lists them, marked).")
    def permissions_command(purpose: str, output: str, include_conditional: bool) -> None:
        """List the Microsoft Graph and Azure permissions closegate needs, from what its checks declare.

        The manifest is printed on stdout (JSON); notes about Azure roles go to stderr.

        \b
        Examples:
          closegate permissions
          closegate permissions --for audit
          closegate permissions --format manifest > required-resource-access.json
        """
        needs = perms.needed(purpose)
        if output == "table":
            click.echo(table(needs))
            for note in arm_notes(needs):
                click.echo(f"\nnote: {note}")
            return
        try:
            fragment = manifest(needs, include_conditional=include_conditional)
        except ConfigError as exc:
            fail(exc, "closegate permissions")
        click.echo(json.dumps(fragment, indent=2))
        for note in arm_notes(needs):
            click.echo(f"note: {note}", err=True)
