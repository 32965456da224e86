"""Tenant: the facade checks see (closegate.facts.TenantReader), over the Graph and ARM clients.

Each fact is fetched at most once per run and shared, failures included (a fact that could not be
read stays unreadable for the run instead of being re-fetched by every check that needs it).
Requests ask only for the fields closegate uses ($select). `prefetch` reads independent facts
concurrently before the checks run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from closegate import facts as f
from closegate.auth import TokenProvider, token_claims
from closegate.backup.summary import read_backup
from closegate.errors import ClosegateError, ConfigError, MalformedResponse, NotFound
from closegate.graph import BatchItem, BatchRunner, GraphClient, run_concurrently
from closegate.tenant_parse import (
    as_bool,
    as_datetime,
    as_int,
    as_list,
    as_str,
    parse_conditional_access,
    parse_usage_csv,
    principal_kind,
)

__all__ = ["Tenant", "USAGE_REPORTS"]

T = TypeVar("T")

# report name -> Graph function (graph-facts §1.1); period D7 as the TenantReader contract says.
USAGE_REPORTS = {
    "mailbox": "getMailboxUsageDetail(period='D7')",
    "onedrive": "getOneDriveUsageAccountDetail(period='D7')",
    "sharepoint": "getSharePointSiteUsageDetail(period='D7')",
}
_DELETED_KINDS = {"user", "application", "servicePrincipal", "group"}
_PAGE = "999"  # maximum page size of users, groups, applications (graph-facts §1.2, §2.1)


class Tenant:
    """Implements closegate.facts.TenantReader; thread-safe."""

    def __init__(self, graph: GraphClient, arm: GraphClient | None, tokens: TokenProvider, *,
                 workers: int = 4, backup_dir: Path | None = None,
                 backup_max_age: timedelta = timedelta(days=7), backup_public_key: Path | None = None,
                 closing_admin_upn: str | None = None) -> None:
        self.graph = graph
        self.arm = arm
        self.tokens = tokens
        self.workers = workers
        self.backup_dir = backup_dir  # [backup] dir; None: no backup configured (CG-002 ERROR)
        self.backup_max_age = backup_max_age
        self.backup_public_key = backup_public_key  # [backup] public_key; None: no signature required
        self._closing_admin_upn = closing_admin_upn  # [tenant] closing_admin; None: not configured
        self._lock = threading.Lock()
        self._locks: dict[Any, threading.Lock] = {}
        self._facts: dict[Any, tuple[bool, Any]] = {}

    # -- caching --------------------------------------------------------------------------------

    def _once(self, key: Any, fetch: Callable[[], T]) -> T:
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._facts:
                try:
                    self._facts[key] = (True, fetch())
                except ClosegateError as exc:
                    self._facts[key] = (False, exc)
            ok, value = self._facts[key]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def prefetch(self, names: Iterable[str]) -> None:
        """Read the named zero-argument facts concurrently; errors are kept for the check that asks."""
        wanted = [n for n in dict.fromkeys(names) if callable(getattr(self, n, None)) and not n.startswith("_")]

        def fetch(name: str) -> None:
            try:
                getattr(self, name)()
            except ClosegateError:
                pass  # cached; re-raised to the check that reads it

        run_concurrently(fetch, wanted, self.workers)

    def _list(self, path: str, select: str, *, top: bool = False, **params: str) -> list[dict[str, Any]]:
        query = {"$select": select, **params}
        if top:
            query["$top"] = _PAGE
        return self.graph.get_all(path, params=query)

    # -- TenantReader ---------------------------------------------------------------------------

    def now(self) -> datetime:
        if self.graph.last_date is None:
            self.organization()
        if self.graph.last_date is None:
            raise MalformedResponse("Graph answered without a Date header", "report this; the tenant clock is unknown")
        return self.graph.last_date

    def organization(self) -> f.Organization:
        def fetch() -> f.Organization:
            rows = self._list("/v1.0/organization", "id,displayName,verifiedDomains,onPremisesSyncEnabled,"
                              "onPremisesLastSyncDateTime,partnerTenantType,tenantType")
            if len(rows) != 1:
                raise MalformedResponse(f"/organization returned {len(rows)} objects instead of 1", "report this")
            o = rows[0]
            domains = o.get("verifiedDomains") or []
            default = next((d.get("name") for d in domains if isinstance(d, dict) and d.get("isDefault")), None)
            return f.Organization(
                id=as_str(o, "id", "organization"), display_name=as_str(o, "displayName", "organization", ""),
                primary_domain=str(default or ""),
                on_premises_sync_enabled=as_bool(o, "onPremisesSyncEnabled", "organization", None),
                on_premises_last_sync=as_datetime(o, "onPremisesLastSyncDateTime", "organization"),
                partner_tenant_type=o.get("partnerTenantType"), tenant_type=o.get("tenantType"),
                verified_domains=tuple(str(d.get("name")) for d in domains if isinstance(d, dict) and d.get("name")))
        return self._once("organization", fetch)

    def users(self) -> tuple[f.User, ...]:
        def fetch() -> tuple[f.User, ...]:
            out = []
            for page in self.graph.iter_pages("/v1.0/users", params={
                    "$select": "id,userPrincipalName,displayName,userType,accountEnabled,onPremisesSyncEnabled,"
                               "createdDateTime,assignedLicenses", "$top": _PAGE}):
                out.extend(_user(u) for u in page)
            return tuple(out)
        return self._once("users", fetch)

    def groups(self) -> tuple[f.Group, ...]:
        def fetch() -> tuple[f.Group, ...]:
            rows = self._list("/v1.0/groups", "id,displayName,isAssignableToRole", top=True)
            # Only role-assignable groups can hold directory roles; their members are what checks need.
            assignable = [g["id"] for g in rows if g.get("isAssignableToRole")]
            members = dict(zip(assignable, run_concurrently(self._member_ids, assignable, self.workers)))
            return tuple(f.Group(id=as_str(g, "id", "group"), display_name=as_str(g, "displayName", "group", ""),
                                 is_assignable_to_role=bool(g.get("isAssignableToRole")),
                                 member_ids=members.get(g["id"], ())) for g in rows)
        return self._once("groups", fetch)

    def _member_ids(self, group_id: str) -> tuple[str, ...]:
        return tuple(as_str(m, "id", "group member") for m in self._list(f"/v1.0/groups/{group_id}/members", "id"))

    def role_assignments(self, role_template_id: str | None) -> tuple[f.RoleAssignment, ...]:
        def fetch() -> tuple[f.RoleAssignment, ...]:
            params = {"$expand": "principal"}
            if role_template_id is not None:
                params["$filter"] = f"roleDefinitionId eq '{role_template_id}'"
            kinds = (("active", "/v1.0/roleManagement/directory/roleAssignments"),
                     ("eligible", "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances"))
            lists = run_concurrently(lambda k: self.graph.get_all(k[1], params=params), kinds, 2)
            out: list[f.RoleAssignment] = []
            for (kind, _path), rows in zip(kinds, lists):
                for row in rows:
                    out.extend(self._holders(row, kind))
            return tuple(out)
        return self._once(("role_assignments", role_template_id), fetch)

    def _holders(self, row: dict[str, Any], kind: str) -> list[f.RoleAssignment]:
        principal = row.get("principal")
        if not isinstance(principal, dict):
            raise MalformedResponse("a role assignment came back without its expanded principal", "report this")
        ptype = principal_kind(principal)
        base = f.RoleAssignment(
            id=as_str(row, "id", "role assignment"),
            role_definition_id=as_str(row, "roleDefinitionId", "role assignment"),
            principal_id=as_str(row, "principalId", "role assignment"), principal_type=ptype,
            principal_display_name=str(principal.get("displayName") or ""), kind=kind,
            principal_user_type=principal.get("userType") if ptype == "user" else None,
            directory_scope_id=str(row.get("directoryScopeId") or "/"))
        if ptype != "group":
            return [base]
        members = self._once(("members", base.principal_id), lambda: self._group_members(base.principal_id))
        return [base] + [
            f.RoleAssignment(id=f"{base.id}:{m['id']}", role_definition_id=base.role_definition_id,
                             principal_id=m["id"], principal_type=principal_kind(m),
                             principal_display_name=str(m.get("displayName") or ""), kind=kind,
                             via_group_id=base.principal_id, principal_user_type=m.get("userType"),
                             directory_scope_id=base.directory_scope_id) for m in members]

    def _group_members(self, group_id: str) -> list[dict[str, Any]]:
        """Members of a role-assignable group, users with their userType (a guest may hold a role)."""
        # A directoryObject collection takes $select of a derived type's property and each member
        # returns the ones its own type has: users carry userType, groups and service principals do
        # not (Microsoft Graph team blog "Upcoming API changes to return limited information for
        # inaccessible member resources", 2019, selects group and servicePrincipal properties on
        # /groups/{id}/members). One request instead of one read per member.
        return self._list(f"/v1.0/groups/{group_id}/members", "id,displayName,userType")

    def caller(self) -> f.Caller:
        return self._once("caller", self._caller)

    def _caller(self) -> f.Caller:
        claims = token_claims(self.tokens.token(self.graph.resource))
        app_id = str(claims.get("appid") or claims.get("azp") or "")
        if "scp" in claims:
            granted = frozenset(str(claims["scp"]).split())
            me = self.graph.get("/v1.0/me", params={
                "$select": "id,displayName,userPrincipalName,userType,onPremisesSyncEnabled"})
            # Transitive: roles held through a role-assignable group count (graph-facts §7). The cast makes
            # the collection directoryRole, so its roleTemplateId can be $selected (S39).
            roles = [r for r in self.graph.get_all("/v1.0/me/transitiveMemberOf/microsoft.graph.directoryRole",
                                                   params={"$select": "id,displayName,roleTemplateId"})
                     if str(r.get("@odata.type", "#microsoft.graph.directoryRole")).endswith("directoryRole")]
            return f.Caller(kind="user", object_id=as_str(me, "id", "caller"),
                            display_name=str(me.get("displayName") or ""),
                            user_principal_name=me.get("userPrincipalName"), app_id=app_id,
                            role_template_ids=frozenset(str(r.get("roleTemplateId")) for r in roles),
                            permissions=granted, user_type=me.get("userType"),
                            on_premises_sync_enabled=bool(me.get("onPremisesSyncEnabled")))
        granted = frozenset(str(r) for r in claims.get("roles") or ())
        try:
            sp = self.graph.get(f"/v1.0/servicePrincipals(appId='{app_id}')",
                                params={"$select": "id,displayName,appId"})
        except NotFound as exc:
            raise MalformedResponse("the signed-in app has no service principal in this tenant",
                                    "consent the app in this tenant (Enterprise applications)") from exc
        sp_id = as_str(sp, "id", "service principal")
        rows = self._list("/v1.0/roleManagement/directory/roleAssignments", "roleDefinitionId",
                          **{"$filter": f"principalId eq '{sp_id}'"})
        return f.Caller(kind="app", object_id=sp_id, display_name=str(sp.get("displayName") or ""),
                        user_principal_name=None, app_id=app_id,
                        role_template_ids=frozenset(str(r.get("roleDefinitionId")) for r in rows), permissions=granted)

    def subscribed_skus(self) -> tuple[f.SubscribedSku, ...]:
        def fetch() -> tuple[f.SubscribedSku, ...]:
            rows = self._list("/v1.0/subscribedSkus",
                              "skuId,skuPartNumber,capabilityStatus,prepaidUnits,consumedUnits,subscriptionIds")
            out = []
            for s in rows:
                units = s.get("prepaidUnits") or {}
                out.append(f.SubscribedSku(
                    sku_id=as_str(s, "skuId", "subscribed SKU"),
                    sku_part_number=as_str(s, "skuPartNumber", "subscribed SKU", ""),
                    capability_status=as_str(s, "capabilityStatus", "subscribed SKU", ""),
                    enabled_units=as_int(units, "enabled"), warning_units=as_int(units, "warning"),
                    suspended_units=as_int(units, "suspended"), locked_out_units=as_int(units, "lockedOut"),
                    consumed_units=as_int(s, "consumedUnits"),
                    subscription_ids=tuple(str(x) for x in s.get("subscriptionIds") or ())))
            return tuple(out)
        return self._once("subscribed_skus", fetch)

    def company_subscriptions(self) -> tuple[f.CompanySubscription, ...]:
        def fetch() -> tuple[f.CompanySubscription, ...]:
            rows = self._list("/v1.0/directory/subscriptions", "id,skuId,skuPartNumber,status,isTrial,createdDateTime,"
                              "nextLifecycleDateTime,ownerTenantId,totalLicenses")
            return tuple(f.CompanySubscription(
                id=as_str(s, "id", "subscription"), sku_id=as_str(s, "skuId", "subscription", ""),
                sku_part_number=as_str(s, "skuPartNumber", "subscription", ""),
                status=as_str(s, "status", "subscription"),
                is_trial=bool(s.get("isTrial")), created=as_datetime(s, "createdDateTime", "subscription"),
                next_lifecycle=as_datetime(s, "nextLifecycleDateTime", "subscription"),
                owner_tenant_id=s.get("ownerTenantId"), total_licenses=as_int(s, "totalLicenses")) for s in rows)
        return self._once("company_subscriptions", fetch)

    def per_user_mfa(self) -> tuple[f.PerUserMfa, ...]:
        def fetch() -> tuple[f.PerUserMfa, ...]:
            users = self.users()
            # beta only (graph-facts §5.1); 20 per $batch, only failed items resent (batch.py).
            items = [BatchItem(id=str(i), method="GET", url=f"/users/{u.id}/authentication/requirements")
                     for i, u in enumerate(users)]
            outcomes = BatchRunner(self.graph, api="beta").run(items)
            out = []
            for i, user in enumerate(users):
                o = outcomes[str(i)]
                if isinstance(o.error, NotFound):
                    continue  # deleted since the user list was read
                if o.error is not None:
                    raise o.error
                state = o.body.get("perUserMfaState") if isinstance(o.body, dict) else None
                if not isinstance(state, str):
                    raise MalformedResponse("an authentication/requirements answer has no perUserMfaState",
                                            "report this")
                out.append(f.PerUserMfa(user_id=user.id, state=state))
            return tuple(out)
        return self._once("per_user_mfa", fetch)

    def security_defaults(self) -> f.SecurityDefaults:
        return self._once("security_defaults", lambda: f.SecurityDefaults(is_enabled=as_bool(self.graph.get(
            "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy", params={"$select": "isEnabled"}),
            "isEnabled", "security defaults")))

    def conditional_access_policies(self) -> tuple[f.ConditionalAccessPolicy, ...]:
        return self._once("conditional_access_policies", lambda: tuple(parse_conditional_access(p) for p in self._list(
            "/v1.0/identity/conditionalAccess/policies", "id,displayName,state,grantControls")))

    def registration_details(self) -> tuple[f.RegistrationDetail, ...]:
        return self._once("registration_details", lambda: tuple(f.RegistrationDetail(
            user_id=as_str(r, "id", "registration detail"), user_principal_name=str(r.get("userPrincipalName") or ""),
            is_mfa_registered=bool(r.get("isMfaRegistered")),
            methods_registered=tuple(str(m) for m in r.get("methodsRegistered") or ())) for r in self._list(
            "/v1.0/reports/authenticationMethods/userRegistrationDetails",
            "id,userPrincipalName,isMfaRegistered,methodsRegistered")))

    def applications(self) -> tuple[f.Application, ...]:
        return self._once("applications", lambda: tuple(f.Application(
            id=as_str(a, "id", "application"), app_id=as_str(a, "appId", "application"),
            display_name=str(a.get("displayName") or ""), created=as_datetime(a, "createdDateTime", "application"))
            for a in self._list("/v1.0/applications", "id,appId,displayName,createdDateTime", top=True)))

    def service_principals(self) -> tuple[f.ServicePrincipal, ...]:
        return self._once("service_principals", lambda: tuple(f.ServicePrincipal(
            id=as_str(s, "id", "service principal"), app_id=as_str(s, "appId", "service principal"),
            display_name=str(s.get("displayName") or ""), account_enabled=bool(s.get("accountEnabled", True)),
            app_owner_organization_id=s.get("appOwnerOrganizationId"),
            service_principal_type=s.get("servicePrincipalType")) for s in self._list(
            "/v1.0/servicePrincipals",
            "id,appId,displayName,accountEnabled,appOwnerOrganizationId,servicePrincipalType",
            top=True)))

    def domains(self) -> tuple[f.Domain, ...]:
        return self._once("domains", lambda: tuple(f.Domain(
            id=as_str(d, "id", "domain"), is_default=bool(d.get("isDefault")), is_initial=bool(d.get("isInitial")),
            is_verified=bool(d.get("isVerified")))
            for d in self._list("/v1.0/domains", "id,isDefault,isInitial,isVerified")))

    def azure_subscriptions(self) -> tuple[f.AzureSubscription, ...]:
        def fetch() -> tuple[f.AzureSubscription, ...]:
            if self.arm is None:
                raise MalformedResponse("no Azure Resource Manager client is configured", "configure the ARM endpoint")
            # graph-facts §4.4: ARM pages with "nextLink"; the token is for the ARM audience.
            rows = self.arm.get_all("/subscriptions", params={"api-version": "2022-12-01"}, link_key="nextLink")
            return tuple(f.AzureSubscription(
                subscription_id=as_str(s, "subscriptionId", "Azure subscription"),
                display_name=str(s.get("displayName") or ""), state=as_str(s, "state", "Azure subscription"),
                quota_id=(s.get("subscriptionPolicies") or {}).get("quotaId")) for s in rows)
        return self._once("azure_subscriptions", fetch)

    def usage(self, report: str) -> tuple[f.UsageRow, ...]:
        if report not in USAGE_REPORTS:
            raise ValueError(f"unknown usage report {report!r}; use one of {', '.join(USAGE_REPORTS)}")

        def fetch() -> tuple[f.UsageRow, ...]:
            # 302 to a pre-authenticated CSV that must be fetched without the bearer token (§1.1).
            resp = self.graph.send("GET", self.graph.url(f"/v1.0/reports/{USAGE_REPORTS[report]}"))
            if resp.status in (301, 302, 303, 307, 308):
                location = resp.header("location")
                if not location:
                    raise MalformedResponse(f"the {report} usage report redirect has no Location", "report this")
                body = self.graph.download(location)
            else:
                body = resp.body
            return parse_usage_csv(report, body)
        return self._once(("usage", report), fetch)

    def report_settings(self) -> f.ReportSettings:
        return self._once("report_settings", lambda: f.ReportSettings(display_concealed_names=as_bool(
            self.graph.get("/v1.0/admin/reportSettings", params={"$select": "displayConcealedNames"}),
            "displayConcealedNames", "report settings")))

    def deleted_items(self, kind: str) -> tuple[f.DeletedItem, ...]:
        if kind not in _DELETED_KINDS:
            raise ValueError(f"unknown deleted-item kind {kind!r}; use one of {', '.join(sorted(_DELETED_KINDS))}")
        select = "id,displayName,deletedDateTime" + (",userPrincipalName" if kind == "user" else "")
        # The OData cast is required: /directory/deletedItems without a type is not supported (§2.3).
        return self._once(("deleted_items", kind), lambda: tuple(f.DeletedItem(
            id=as_str(d, "id", "deleted item"), kind=kind, display_name=str(d.get("displayName") or ""),
            deleted=as_datetime(d, "deletedDateTime", "deleted item"), user_principal_name=d.get("userPrincipalName"))
            for d in self._list(f"/v1.0/directory/deletedItems/microsoft.graph.{kind}", select)))

    def closing_admin_upn(self) -> str | None:
        return self._closing_admin_upn

    def latest_backup(self) -> f.Backup | None:
        """The configured backup, re-verified (closegate.facts.BackupReader, read by CG-002)."""
        if self.backup_dir is None:
            raise ConfigError("no backup configured", "set [backup] dir in closegate.toml and run `closegate backup`")
        backup_dir = self.backup_dir
        return self._once("latest_backup",
                          lambda: read_backup(backup_dir, self.backup_max_age, self.backup_public_key))

    def b2c_inventory(self) -> f.B2CInventory:
        def fetch() -> f.B2CInventory:
            if self.organization().tenant_type != "AAD B2C":
                return f.B2CInventory((), (), (), ())
            paths = ("/beta/identity/b2cUserFlows", "/beta/identity/identityProviders",
                     "/beta/trustFramework/keySets", "/beta/trustFramework/policies")
            found = run_concurrently(lambda p: tuple(as_str(r, "id", "B2C object") for r in self._list(p, "id")),
                                     paths, self.workers)
            return f.B2CInventory(*found)
        return self._once("b2c_inventory", fetch)


def _user(u: dict[str, Any]) -> f.User:
    return f.User(
        id=as_str(u, "id", "user"), user_principal_name=as_str(u, "userPrincipalName", "user"),
        display_name=str(u.get("displayName") or ""), user_type=str(u.get("userType") or "Member"),
        account_enabled=bool(u.get("accountEnabled", True)),
        on_premises_sync_enabled=bool(u.get("onPremisesSyncEnabled")),  # None: never synced (facts.User)
        created=as_datetime(u, "createdDateTime", "user"),
        license_count=len(as_list(u, "assignedLicenses", "user")))
