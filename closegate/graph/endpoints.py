"""What closegate knows about each Graph endpoint it calls: its template, the permissions it accepts
and its resource-unit cost, so a 403 can name the permission to grant and the run record can count
requests per endpoint without leaking object ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

__all__ = ["EndpointInfo", "describe", "resource_units", "template"]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CALL = re.compile(r"^([A-Za-z.]+)\((.*)\)$")
# Collections whose next path segment is an object key, whatever its shape (GUID, UPN, test id).
_COLLECTIONS = frozenset({"users", "groups", "applications", "servicePrincipals", "organization", "devices",
                          "domains", "directoryObjects", "deletedItems", "roleAssignments",
                          "roleEligibilityScheduleInstances", "subscriptions", "members", "transitiveMembers",
                          "directoryRoles", "b2cUserFlows", "identityProviders", "keySets", "managedDevices",
                          "windowsAutopilotDeviceIdentities", "recoveryKeys", "directoryAudits", "ediscoveryCases",
                          "legalHolds", "custodians"})


@dataclass(frozen=True)
class EndpointInfo:
    template: str  # "GET /v1.0/users/{id}/authentication/requirements"
    permissions: tuple[str, ...]  # accepted permissions, least privileged first; () when unknown


def template(method: str, url: str) -> str:
    """`GET /v1.0/users/{id}`: the path with ids and function arguments replaced, no query."""
    path = urlsplit(url).path if "://" in url else url.split("?", 1)[0]
    parts: list[str] = []
    for seg in path.split("/"):
        keyed = bool(parts) and (parts[-1] in _COLLECTIONS or parts[-2:] in (["conditionalAccess", "policies"],
                                                                           ["trustFramework", "policies"]))
        keyed = keyed and bool(seg) and not seg.startswith(("$", "microsoft.graph."))
        call = _CALL.match(seg)
        if call:
            args = call.group(2)
            # servicePrincipals(appId='...') is an alternate key (an id); report functions keep the name.
            parts.append(f"{call.group(1)}({{id}})" if "Id=" in args or _GUID.search(args.strip("'"))
                         else f"{call.group(1)}(...)")
        elif keyed or _GUID.match(seg) or "@" in seg:
            parts.append("{id}")
        else:
            parts.append(seg)
    return f"{method.upper()} {'/'.join(parts)}"


# (method, path regex after the version segment) -> permissions, least privileged first.
# Sources: graph-facts §1.1 (reports), §2.1-2.3 (users, roles, PIM), §3 (organization),
# §4.1 (subscribedSkus, directory/subscriptions), §5.1-5.4 (MFA, security defaults, CA,
# registration details), §6 (service principals), §7 (caller identity), §2.3 deletedItems.
_RULES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("GET", r"/me(/.*)?", ("User.Read",)),
    ("GET", r"/users/\{id\}/authentication/requirements", ("Policy.Read.All", "Policy.ReadWrite.AuthenticationMethod")),
    ("PATCH", r"/users/\{id\}/authentication/requirements", ("Policy.ReadWrite.AuthenticationMethod",)),
    ("GET", r"/users(/\{id\})?", ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All")),
    ("DELETE", r"/users/\{id\}", ("User.DeleteRestore.All", "User.ReadWrite.All")),
    ("GET", r"/organization(/\{id\})?", ("Organization.Read.All", "Directory.Read.All")),
    ("PATCH", r"/organization/\{id\}", ("Organization.ReadWrite.All",)),
    ("GET", r"/roleManagement/directory/roleAssignments.*",
     ("RoleManagement.Read.Directory", "RoleManagement.Read.All", "Directory.Read.All")),
    ("GET", r"/roleManagement/directory/roleEligibilityScheduleInstances.*",
     ("RoleEligibilitySchedule.Read.Directory", "RoleManagement.Read.Directory", "RoleManagement.Read.All")),
    ("GET", r"/groups.*", ("GroupMember.Read.All", "Group.Read.All", "Directory.Read.All")),
    ("GET", r"/subscribedSkus.*", ("Organization.Read.All", "Directory.Read.All")),
    ("GET", r"/directory/subscriptions.*", ("Organization.Read.All", "Directory.Read.All")),
    ("GET", r"/policies/identitySecurityDefaultsEnforcementPolicy", ("Policy.Read.All",)),
    ("PATCH", r"/policies/identitySecurityDefaultsEnforcementPolicy", ("Policy.ReadWrite.SecurityDefaults",)),
    ("GET", r"/identity/conditionalAccess/policies.*", ("Policy.Read.All",)),
    ("PATCH", r"/identity/conditionalAccess/policies/\{id\}", ("Policy.ReadWrite.ConditionalAccess",)),
    ("GET", r"/reports/authenticationMethods/.*", ("AuditLog.Read.All",)),
    ("GET", r"/reports/get.*", ("Reports.Read.All",)),
    ("GET", r"/admin/reportSettings", ("ReportSettings.Read.All", "ReportSettings.ReadWrite.All")),
    ("PATCH", r"/admin/reportSettings", ("ReportSettings.ReadWrite.All",)),
    ("GET", r"/applications.*", ("Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All")),
    ("DELETE", r"/applications/\{id\}", ("Application.ReadWrite.All",)),
    ("GET", r"/servicePrincipals.*", ("Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All")),
    ("DELETE", r"/servicePrincipals.*", ("Application.ReadWrite.All",)),
    ("PATCH", r"/servicePrincipals.*", ("Application.ReadWrite.All",)),
    ("GET", r"/domains.*", ("Domain.Read.All", "Directory.Read.All")),
    ("GET", r"/directory/deletedItems/microsoft\.graph\.user", ("User.Read.All", "User.DeleteRestore.All")),
    ("GET", r"/directory/deletedItems/microsoft\.graph\.group", ("Group.Read.All", "Directory.Read.All")),
    ("GET", r"/directory/deletedItems/microsoft\.graph\.(application|servicePrincipal)", ("Application.Read.All",)),
    ("DELETE", r"/directory/deletedItems/\{id\}", ("User.DeleteRestore.All", "Application.ReadWrite.All")),
    ("GET", r"/identity/b2cUserFlows.*", ("IdentityUserFlow.Read.All",)),
    ("GET", r"/identity/identityProviders.*", ("IdentityProvider.Read.All",)),
    ("GET", r"/trustFramework/keySets.*", ("TrustFrameworkKeySet.Read.All",)),
    ("GET", r"/trustFramework/policies.*", ("Policy.Read.All",)),
    # Records, holds and devices (issue 14): the permission tables of each page (closegate.permissions).
    ("GET", r"/security/cases/ediscoveryCases.*", ("eDiscovery.Read.All", "eDiscovery.ReadWrite.All")),
    ("GET", r"/security/labels/retentionLabels.*", ("RecordsManagement.Read.All", "RecordsManagement.ReadWrite.All")),
    ("GET", r"/security/trigger(s|Types)/.*", ("RecordsManagement.Read.All", "RecordsManagement.ReadWrite.All")),
    ("GET", r"/devices.*", ("Device.Read.All", "Directory.Read.All")),
    ("GET", r"/deviceManagement/managedDevices.*",
     ("DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All")),
    ("DELETE", r"/deviceManagement/managedDevices/\{id\}", ("DeviceManagementManagedDevices.ReadWrite.All",)),
    ("GET", r"/deviceManagement/windowsAutopilotDeviceIdentities.*",
     ("DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.ReadWrite.All")),
    ("DELETE", r"/deviceManagement/windowsAutopilotDeviceIdentities/\{id\}",
     ("DeviceManagementServiceConfig.ReadWrite.All",)),
    ("GET", r"/informationProtection/bitlocker/recoveryKeys.*", ("BitLockerKey.ReadBasic.All", "BitLockerKey.Read.All")),
    ("GET", r"/auditLogs/.*", ("AuditLog.Read.All",)),
    ("GET", r"/sites.*", ("Sites.Read.All",)),
    ("GET", r"/users/\{id\}/mailboxSettings.*", ("MailboxSettings.Read",)),
)
_COMPILED = tuple((m, re.compile(rf"^/(?:v1\.0|beta){p}$"), perms) for m, p, perms in _RULES)


def describe(method: str, url: str) -> EndpointInfo:
    tpl = template(method, url)
    path = tpl.split(" ", 1)[1]
    for rule_method, pattern, perms in _COMPILED:
        if rule_method == method.upper() and pattern.match(path):
            return EndpointInfo(tpl, perms)
    return EndpointInfo(tpl, ())


# Identity-and-access costs per request (graph-facts §8.3); everything else costs 1.
_BASE_COST: tuple[tuple[str, int], ...] = (
    (r"/users", 2), (r"/subscribedSkus", 3), (r"/me/(transitiveM|m)emberOf.*", 2),
    (r"/groups/\{id\}/members", 3), (r"/servicePrincipals/\{id\}/appRoleAssignments", 2), (r"/applications", 2),
)
_COST = tuple((re.compile(rf"^/(?:v1\.0|beta){p}$"), c) for p, c in _BASE_COST)


def resource_units(method: str, url: str) -> int:
    """Estimated resource units of one request, for the run record and the throttle floor."""
    path = template(method, url).split(" ", 1)[1]
    if path.endswith("/$batch"):
        return 0  # each item inside is charged (and counted) on its own
    if method.upper() != "GET":
        return 1
    cost = next((c for pattern, c in _COST if pattern.match(path)), 1)
    query = dict(parse_qsl(urlsplit(url).query)) if "?" in url else {}
    if "$select" in query:
        cost -= 1
    if "$expand" in query:
        cost += 1
    top = query.get("$top", "")
    if top.isdigit() and int(top) < 20:
        cost -= 1
    return max(1, cost)
