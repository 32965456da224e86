"""The Microsoft Graph service of the emulator: one routing and permission table, then dispatch.

Every request (direct or inside $batch) goes through the same steps: route -> permission check
(403 Authorization_RequestDenied when the token holds none of the permissions the endpoint accepts,
graph-facts tables) -> delegated role check where Graph documents one -> query parsing ->
throttling (§8.3) -> handler, under the tenant lock with the simulated clock applied.

Delegated role checks are deliberately few and documented: the usage reports (§1.1 roles) and the
caller-role rules of user deletion (in graph_users). Everything else relies on scopes, as Graph
does for most reads.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from closegate.emulator import graph_apps as apps
from closegate.emulator import graph_b2c as b2c
from closegate.emulator import graph_directory as directory
from closegate.emulator import graph_registrations as registrations
from closegate.emulator import graph_roles as roles
from closegate.emulator import graph_tenant as tenant
from closegate.emulator import graph_users as users
from closegate.emulator import licensing
from closegate.emulator.batch import run_batch
from closegate.emulator.graph_common import Ctx
from closegate.emulator.graph_records import ROUTE_SPECS
from closegate.emulator.odata import GraphFault, parse_query
from closegate.emulator.reports import DOWNLOAD_PREFIX, ReportDownloads, usage_report
from closegate.emulator.state import TenantState
from closegate.emulator.throttle import Limits, make_throttle, request_cost
from closegate.emulator.wire import (
    Principal,
    Request,
    Response,
    graph_error,
    new_request_id,
)

__all__ = ["DOWNLOAD_PREFIX", "GraphService", "Limits", "ROUTES", "Route"]

Handler = Callable[[Ctx], Response]

# -- permission sets (graph-facts section in brackets)
DIR_R = ("Directory.Read.All", "Directory.ReadWrite.All")
USERS_R = ("User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", *DIR_R)  # §2.1
USERS_W = ("User.ReadWrite.All", "Directory.ReadWrite.All")
USERS_DELETE = ("User.DeleteRestore.All", "User.ReadWrite.All")  # §2.3 (S23, S24)
ORG_R = ("User.Read", "Organization.Read.All", "Organization.ReadWrite.All", *DIR_R)  # §3.1 (S44)
ORG_W = ("Organization.ReadWrite.All", "Directory.ReadWrite.All",
         "OnPremDirectorySynchronization.ReadWrite.All")  # §3.2 (S4, S6)
SKUS_R = ("Organization.Read.All", "Organization.ReadWrite.All", *DIR_R)  # §4.1 (S8)
SUBS_R = ("Organization.Read.All", "Organization.ReadWrite.All", "Directory.Read.All")  # §4.1 (S9)
ROLES_R = ("RoleManagement.Read.Directory", "RoleManagement.Read.All", "RoleManagement.ReadWrite.Directory",
           *DIR_R)  # §2.2 (S20)
ROLES_W = ("RoleManagement.ReadWrite.Directory",)
ELIG_R = ("RoleEligibilitySchedule.Read.Directory", "RoleEligibilitySchedule.ReadWrite.Directory",
          "RoleManagement.Read.All", "RoleManagement.Read.Directory",
          "RoleManagement.ReadWrite.Directory")  # §2.2 (S21)
ELIG_W = ("RoleEligibilitySchedule.ReadWrite.Directory", "RoleManagement.ReadWrite.Directory")
GROUPS_R = ("GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", *DIR_R)
ME = ("User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All",
      *DIR_R)  # §7 (S39)
APPS_R = ("Application.Read.All", "Application.ReadWrite.All", *DIR_R)
APPS_W = ("Application.ReadWrite.All", "Directory.ReadWrite.All")  # §6 (S39)
# graph-docs-contrib includes/permissions/application-list-owners-permissions.md @2c095ade and
# serviceprincipal-list-owners-permissions.md @c9bbab2c: the reads plus ReadWrite.OwnedBy
OWNERS_R = ("Application.ReadWrite.OwnedBy", *APPS_R)
DOMAINS_R = ("Domain.Read.All", "Domain.ReadWrite.All", *DIR_R)
DELETED_ANY = tuple(sorted(set().union(*(t[3] | t[4] for t in directory.DELETED_TYPES.values()))))
MFA_R = ("Policy.Read.All", "Policy.ReadWrite.AuthenticationMethod")  # §5.1 (S11)
MFA_W = ("Policy.ReadWrite.AuthenticationMethod",)
SECDEF_R = ("Policy.Read.All", "Policy.ReadWrite.SecurityDefaults", "Policy.ReadWrite.ConditionalAccess")
SECDEF_W = ("Policy.ReadWrite.SecurityDefaults", "Policy.ReadWrite.ConditionalAccess")  # §5.2
CA_R = ("Policy.Read.All",)  # §5.3 (S14)
CA_W = ("Policy.ReadWrite.ConditionalAccess",)
REG_R = ("AuditLog.Read.All",)  # §5.4
REPORTS = ("Reports.Read.All",)  # §1.1
REPORT_SETTINGS_R = ("ReportSettings.Read.All", "ReportSettings.ReadWrite.All")  # §1.1 (S17)
REPORT_SETTINGS_W = ("ReportSettings.ReadWrite.All",)
B2C_FLOWS_R = ("IdentityUserFlow.Read.All", "IdentityUserFlow.ReadWrite.All")
B2C_FLOWS_W = ("IdentityUserFlow.ReadWrite.All",)
IDP_R = ("IdentityProvider.Read.All", "IdentityProvider.ReadWrite.All")
IDP_W = ("IdentityProvider.ReadWrite.All",)
TF_POLICY_R = ("Policy.Read.All", "Policy.ReadWrite.TrustFramework")
TF_POLICY_W = ("Policy.ReadWrite.TrustFramework",)
TF_KEYS_R = ("TrustFrameworkKeySet.Read.All", "TrustFrameworkKeySet.ReadWrite.All")
TF_KEYS_W = ("TrustFrameworkKeySet.ReadWrite.All",)

# §1.1 (S16): delegated callers of usage reports also need one of these roles
REPORT_ROLES = frozenset({
    "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
    "29232cdf-9323-42fd-ade2-1d097af3e4de",  # Exchange Administrator
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",  # SharePoint Administrator
    "75941009-915a-4869-abe7-691bff18279e",  # Skype for Business (Lync) Administrator
    "69091246-20e8-4a56-aa4d-066075b2a7a8",  # Teams Administrator
    "baf37b3a-610e-45da-9e62-d9d1e5e8914b",  # Teams Communications Administrator
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451",  # Global Reader
    "75934031-6c7e-415a-99d7-48dbd49e875e",  # Usage Summary Reports Reader
    "4a5d8f65-41da-4de4-8968-e035b65339cf",  # Reports Reader
})

GUID = r"([0-9a-fA-F-]{36})"
KEY = r"([^/()]+)"
QUOTED = r"'([^']*)'"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    permissions: frozenset[str]
    versions: frozenset[str] = frozenset({"v1.0", "beta"})
    delegated_only: bool = False
    delegated_roles: frozenset[str] = frozenset()
    conditional_access: bool = False
    # Raises the licence error Graph answers with when the tenant lacks the licence (closegate.emulator.licensing).
    licence: Callable[[TenantState], None] | None = None
    max_page_size: int | None = None  # where the endpoint documents its own $top ceiling


def _r(method: str, path: str, handler: Handler, perms: tuple[str, ...], **kw: object) -> Route:
    return Route(method, re.compile(path + r"\Z"), handler, frozenset(perms), **kw)  # type: ignore[arg-type]


BETA = frozenset({"beta"})
ROUTES: tuple[Route, ...] = (
    _r("GET", r"organization", tenant.list_organization, ORG_R),
    _r("GET", rf"organization/{KEY}", tenant.get_organization, ORG_R),
    _r("PATCH", rf"organization/{KEY}", tenant.patch_organization, ORG_W),
    _r("GET", r"users", users.list_users, USERS_R),
    _r("GET", r"users/\$count", users.count_users, USERS_R),
    _r("GET", rf"users/{KEY}", users.get_user, USERS_R),
    _r("PATCH", rf"users/{KEY}", users.patch_user, USERS_W),
    _r("DELETE", rf"users/{KEY}", users.delete_user, USERS_DELETE),
    _r("GET", rf"users/{KEY}/authentication/requirements", users.get_mfa_requirements, MFA_R, versions=BETA),
    _r("PATCH", rf"users/{KEY}/authentication/requirements", users.patch_mfa_requirements, MFA_W,
       versions=BETA),
    _r("GET", r"me", users.get_me, ME, delegated_only=True),
    _r("GET", r"me/transitiveMemberOf", users.my_transitive_member_of, ME, delegated_only=True),
    _r("GET", r"me/transitiveMemberOf/(microsoft\.graph\.\w+)", users.my_transitive_member_of, ME,
       delegated_only=True),
    _r("GET", r"me/authentication/requirements", users.get_mfa_requirements, ("User.Read", *MFA_R),
       versions=BETA, delegated_only=True),
    _r("GET", r"directory/deletedItems", directory.untyped_deleted, DELETED_ANY),
    _r("GET", r"directory/deletedItems/(microsoft\.graph\.\w+)", directory.list_deleted, DELETED_ANY),
    _r("GET", rf"directory/deletedItems/{GUID}", directory.deleted_item, DELETED_ANY),
    _r("DELETE", rf"directory/deletedItems/{GUID}", directory.purge_deleted, DELETED_ANY),
    _r("POST", rf"directory/deletedItems/{GUID}/restore", directory.restore_deleted, DELETED_ANY),
    _r("GET", r"roleManagement/directory/roleAssignments", roles.list_role_assignments, ROLES_R),
    _r("GET", rf"roleManagement/directory/roleAssignments/{KEY}", roles.get_role_assignment, ROLES_R),
    _r("DELETE", rf"roleManagement/directory/roleAssignments/{KEY}", roles.delete_role_assignment, ROLES_W),
    _r("GET", r"roleManagement/directory/roleEligibilityScheduleInstances",
       roles.list_eligibility_instances, ELIG_R, licence=licensing.require_pim),
    _r("POST", r"roleManagement/directory/roleEligibilityScheduleRequests",
       roles.post_eligibility_request, ELIG_W, licence=licensing.require_pim),
    _r("GET", r"directoryRoles", roles.list_directory_roles, ROLES_R),
    _r("GET", rf"directoryRoles/{GUID}", roles.get_directory_role, ROLES_R),
    _r("GET", rf"directoryRoles\(roleTemplateId={QUOTED}\)", roles.get_directory_role, ROLES_R),
    _r("GET", rf"directoryRoles/{GUID}/members", roles.directory_role_members, ROLES_R),
    _r("GET", rf"directoryRoles\(roleTemplateId={QUOTED}\)/members", roles.directory_role_members, ROLES_R),
    _r("GET", r"groups", directory.list_groups, GROUPS_R),
    _r("GET", rf"groups/{GUID}", directory.get_group, GROUPS_R),
    _r("GET", rf"groups/{GUID}/members", directory.group_members, GROUPS_R),
    _r("GET", r"applications", apps.list_applications, APPS_R),
    _r("GET", rf"applications/{GUID}", apps.get_application, APPS_R),
    _r("GET", rf"applications\(appId={QUOTED}\)", apps.get_application, APPS_R),
    _r("GET", rf"applications/{GUID}/owners", apps.application_owners, OWNERS_R),
    _r("GET", rf"applications\(appId={QUOTED}\)/owners", apps.application_owners, OWNERS_R),
    _r("DELETE", rf"applications/{GUID}", apps.delete_application, APPS_W),
    _r("DELETE", rf"applications\(appId={QUOTED}\)", apps.delete_application, APPS_W),
    _r("GET", r"servicePrincipals", apps.list_service_principals, APPS_R),
    _r("GET", rf"servicePrincipals/{GUID}", apps.get_service_principal, APPS_R),
    _r("GET", rf"servicePrincipals\(appId={QUOTED}\)", apps.get_service_principal, APPS_R),
    _r("GET", rf"servicePrincipals/{GUID}/owners", apps.service_principal_owners, OWNERS_R),
    _r("GET", rf"servicePrincipals\(appId={QUOTED}\)/owners", apps.service_principal_owners, OWNERS_R),
    _r("DELETE", rf"servicePrincipals/{GUID}", apps.delete_service_principal, APPS_W),
    _r("DELETE", rf"servicePrincipals\(appId={QUOTED}\)", apps.delete_service_principal, APPS_W),
    _r("PATCH", rf"servicePrincipals/{GUID}", apps.patch_service_principal, APPS_W),
    _r("PATCH", rf"servicePrincipals\(appId={QUOTED}\)", apps.patch_service_principal, APPS_W),
    _r("GET", r"domains", tenant.list_domains, DOMAINS_R),
    _r("GET", r"subscribedSkus", tenant.list_subscribed_skus, SKUS_R),
    _r("GET", r"directory/subscriptions", tenant.list_subscriptions, SUBS_R),
    _r("GET", rf"directory/subscriptions/{KEY}", tenant.get_subscription, SUBS_R),
    _r("GET", rf"directory/subscriptions\(commerceSubscriptionId={QUOTED}\)", tenant.get_subscription, SUBS_R),
    _r("GET", r"policies/identitySecurityDefaultsEnforcementPolicy", tenant.get_security_defaults, SECDEF_R),
    _r("PATCH", r"policies/identitySecurityDefaultsEnforcementPolicy", tenant.patch_security_defaults,
       SECDEF_W),
    _r("GET", r"identity/conditionalAccess/policies", tenant.list_ca_policies, CA_R, conditional_access=True),
    _r("GET", rf"identity/conditionalAccess/policies/{KEY}", tenant.get_ca_policy, CA_R,
       conditional_access=True),
    _r("PATCH", rf"identity/conditionalAccess/policies/{KEY}", tenant.patch_ca_policy, CA_W,
       conditional_access=True),
    _r("GET", r"reports/authenticationMethods/userRegistrationDetails", registrations.list_registrations, REG_R),
    _r("GET", rf"reports/authenticationMethods/userRegistrationDetails/{KEY}", registrations.get_registration, REG_R),
    _r("GET", r"reports/(getMailboxUsageDetail|getOneDriveUsageAccountDetail|getSharePointSiteUsageDetail)"
       r"\((period|date)=([^)]*)\)", usage_report, REPORTS, delegated_roles=REPORT_ROLES),
    _r("GET", r"admin/reportSettings", tenant.get_report_settings, REPORT_SETTINGS_R),
    _r("PATCH", r"admin/reportSettings", tenant.patch_report_settings, REPORT_SETTINGS_W),
    _r("GET", r"identity/b2cUserFlows", b2c.list_b2c, B2C_FLOWS_R, versions=BETA),
    _r("DELETE", rf"identity/b2cUserFlows/{KEY}", b2c.delete_b2c_item, B2C_FLOWS_W, versions=BETA),
    _r("GET", r"identity/identityProviders", b2c.list_b2c, IDP_R),
    _r("DELETE", rf"identity/identityProviders/{KEY}", b2c.delete_b2c_item, IDP_W),
    _r("GET", r"trustFramework/policies", b2c.list_b2c, TF_POLICY_R, versions=BETA),
    _r("DELETE", rf"trustFramework/policies/{KEY}", b2c.delete_b2c_item, TF_POLICY_W, versions=BETA),
    _r("GET", r"trustFramework/keySets", b2c.list_b2c, TF_KEYS_R, versions=BETA),
    _r("DELETE", rf"trustFramework/keySets/{KEY}", b2c.delete_b2c_item, TF_KEYS_W, versions=BETA),
) + tuple(_r(method, path, handler, perms, **kw) for method, path, handler, perms, kw in ROUTE_SPECS)

DENIED = "Insufficient privileges to complete the operation."
# Identity and access reports (throttling-limits page): audit and sign-in logs, and, as the worse case,
# the authentication-methods reports.
REPORT_PREFIXES = ("auditlogs/", "reports/authenticationmethods/", "reports/credentialuserregistrationdetails")


class GraphService:
    """`handle(req, principal)` for every path under /v1.0/ and /beta/ (the bearer is already valid)."""

    def __init__(self, state: TenantState, limits: Limits | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.state = state
        self.limits = limits or Limits()
        self._monotonic = monotonic
        self.throttle = make_throttle(self.limits, monotonic)
        self.downloads = ReportDownloads(monotonic)

    def set_limits(self, limits: Limits) -> None:
        if limits.model != self.limits.model:
            self.throttle = make_throttle(limits, self._monotonic)  # a new model starts with full buckets
        self.limits = limits
        self.throttle.limits = limits

    def handle(self, req: Request, principal: Principal) -> Response:
        version, _, resource = req.path.lstrip("/").partition("/")
        if version in ("v1.0", "beta") and resource == "$batch":
            if req.method != "POST":
                return self._error(req, GraphFault(405, "Request_BadRequest",
                                                   "Specified HTTP method is not allowed for the request target."))
            return run_batch(req, lambda inner: self.dispatch(inner, principal, version), self._error)
        return self.dispatch(req, principal, version)

    def handle_download(self, req: Request) -> Response:
        """The pre-authenticated CSV behind a usage report's 302 (no Authorization header)."""
        return self.downloads.serve(req)

    def dispatch(self, req: Request, principal: Principal, version: str) -> Response:
        try:
            return self._dispatch(req, principal, version)
        except GraphFault as fault:
            return self._error(req, fault)

    def _dispatch(self, req: Request, principal: Principal, version: str) -> Response:
        prefix = f"/{version}/"
        if version not in ("v1.0", "beta") or not req.path.startswith(prefix):
            raise GraphFault(400, "BadRequest", "Invalid version.")
        # Graph accepts the namespace alias "graph." for "microsoft.graph." in type casts (the SDK
        # builds `/directory/deletedItems/graph.user`); route on the full name.
        resource = "/".join(
            "microsoft." + seg if seg.startswith("graph.") else seg
            for seg in req.path[len(prefix):].rstrip("/").split("/")
        )
        route, args = self._route(req.method, resource, version)
        if not principal.permissions & route.permissions:
            raise GraphFault(403, "Authorization_RequestDenied", DENIED)
        if route.delegated_only and principal.kind != "user":
            raise GraphFault(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
        if route.delegated_roles and principal.kind == "user" and not principal.wids & route.delegated_roles:
            raise GraphFault(403, "Authorization_RequestDenied", DENIED)
        query = parse_query(req.raw_query, route.max_page_size or self.limits.max_page_size)
        cost = request_cost(req.method, resource, select=query.select is not None,
                            expand=bool(query.expand), top=query.top)
        with self.state.lock:
            self.state.tick()
            if route.conditional_access and not self.throttle.admit_conditional_access(self.state.tenant_id):
                raise GraphFault(429, "TooManyRequests", "Please retry again later.")  # §8.3: no Retry-After
            refused = self._admit(principal.app_id, resource, query, cost)
            if refused is not None:
                raise GraphFault(429, "TooManyRequests", "Please retry again later.", refused)
            if route.licence is not None:
                route.licence(self.state)  # after admission: a refused request still costs (§12.8)
            ctx = Ctx(req=req, principal=principal, state=self.state, version=version, resource=resource,
                      args=args, query=query, limits=self.limits, downloads=self.downloads,
                      now=self.state.clock.now())
            response = route.handler(ctx)
        response.headers.append(("x-ms-resource-unit", str(cost.units)))
        percentage = self.throttle.usage_percentage(principal.app_id, self.state.tenant_id)
        if percentage is not None:
            response.headers.append(("x-ms-throttle-limit-percentage", percentage))
        rid = new_request_id()
        response.headers += [("request-id", rid), ("client-request-id", req.header("client-request-id") or rid)]
        return response

    def _admit(self, app_id: str, resource: str, query: Any, cost: Any) -> list[tuple[str, str]] | None:
        """Identity reports have their own request limit instead of resource units; users read with
        signInActivity pay both (throttling-limits page, §12.8)."""
        tenant_id = self.state.tenant_id
        low = resource.lower()
        sign_in_activity = low == "users" and "signinactivity" in f"{query.select} {query.filter}".lower()
        if low.startswith(REPORT_PREFIXES) and self.limits.model == "bucket":  # the window model predates it
            return self.throttle.admit_report(app_id, tenant_id, False)
        refused = self.throttle.admit(app_id, tenant_id, self.state.size_class, cost)
        if refused is None and sign_in_activity:
            refused = self.throttle.admit_report(app_id, tenant_id, True)
        return refused

    def _route(self, method: str, resource: str, version: str) -> tuple[Route, tuple[str, ...]]:
        other_method = False
        for route in ROUTES:
            m = route.pattern.match(resource)
            if m is None:
                continue
            if version not in route.versions:
                continue
            if route.method != method:
                other_method = True
                continue
            return route, tuple(g for g in m.groups() if g is not None)
        if other_method:
            raise GraphFault(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
        segment = resource.split("/")[-1] if resource else ""
        raise GraphFault(400, "BadRequest", f"Resource not found for the segment '{segment}'.")

    def _error(self, req: Request, fault: GraphFault) -> Response:
        response = graph_error(fault.status, fault.code, fault.message,
                               client_request_id=req.header("client-request-id"),
                               now=self.state.clock.now(), headers=fault.headers)
        if fault.status == 429:
            # §8.2 sample: the throttling body nests code/status in innerError
            import json

            body = json.loads(response.body)
            body["error"]["innerError"].update({"code": "429", "status": "429", "message": "Please retry after"})
            response.body = json.dumps(body, separators=(",", ":")).encode()
        return response
