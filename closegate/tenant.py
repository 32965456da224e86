"""Tenant: the facade checks see (closegate.facts.TenantReader), over the Graph and ARM clients.

Each fact (closegate.facts) has one reader here, marked `@_reads(FACT)`: it says what to request
($select of only the fields closegate uses, paging, batching) and hands payloads to
closegate.tenant_parse. `read(fact)` fetches each fact at most once per facade and shares it,
failures included (a fact that could not be read stays unreadable for the run instead of being
re-fetched by every check that needs it). `prefetch` reads independent facts concurrently before the
checks run.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from closegate import facts as f
from closegate import licences
from closegate import tenant_parse as parse
from closegate.auth import TokenProvider, token_claims
from closegate.backup.summary import read_backup
from closegate.errors import ClosegateError, ConfigError, GraphError, MalformedResponse, NotFound
from closegate.graph import BatchItem, BatchRunner, GraphClient, PageFeed, run_concurrently
from closegate.licences import not_licensed
from closegate.tenant_azure import AzureReaders
from closegate.tenant_marks import READERS as _READERS
from closegate.tenant_marks import reads as _reads
from closegate.tenant_records import RecordsReaders

__all__ = ["USAGE_FUNCTIONS", "Tenant"]

T = TypeVar("T")

# report fact -> Graph function (graph-facts §1.1); period D7 as the facts declare.
USAGE_FUNCTIONS = {
    f.USAGE_MAILBOX: ("mailbox", "getMailboxUsageDetail(period='D7')"),
    f.USAGE_ONEDRIVE: ("onedrive", "getOneDriveUsageAccountDetail(period='D7')"),
    f.USAGE_SHAREPOINT: ("sharepoint", "getSharePointSiteUsageDetail(period='D7')"),
}
_PAGE = "999"  # maximum page size of users, groups, applications (graph-facts §1.2, §2.1)


class Tenant(RecordsReaders, AzureReaders):
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
        self._user_feed: PageFeed[tuple[f.User, ...]] = PageFeed()

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
        return value  # type: ignore[no-any-return]  # the cache holds what fetch returned

    @staticmethod
    def reader_name(fact: f.Fact[Any]) -> str:
        """The method that reads `fact`; ValueError for a fact declared without a reader."""
        name = _READERS.get(fact)
        if name is None:
            raise ValueError(f"closegate.tenant has no reader for {fact!r}")
        return name

    def read(self, fact: f.Fact[T]) -> T:
        reader: Callable[[], T] = getattr(self, self.reader_name(fact))
        return self._once(fact, reader)

    def prefetch(self, facts: Iterable[f.Fact[Any]]) -> None:
        """Read the facts concurrently; errors are kept for the check that asks."""
        def fetch(fact: f.Fact[Any]) -> None:
            try:
                self.read(fact)
            except ClosegateError:
                pass  # cached; re-raised to the check that reads it

        run_concurrently(fetch, list(dict.fromkeys(facts)), self.workers)

    def _list(self, path: str, select: str, *, top: bool = False, filter: str | None = None,  # noqa: A002
              ) -> list[dict[str, Any]]:
        """Every object of a collection, with only `select`ed fields; OData `$filter` if given."""
        query = {"$select": select}
        if filter is not None:
            query["$filter"] = filter
        if top:
            query["$top"] = _PAGE
        return self.graph.get_all(path, params=query)

    # -- TenantReader ---------------------------------------------------------------------------

    def now(self) -> datetime:
        if self.graph.last_date is None:
            self.read(f.ORGANIZATION)
        if self.graph.last_date is None:
            raise MalformedResponse("Graph answered without a Date header", "report this; the tenant clock is unknown")
        return self.graph.last_date

    def closing_admin_upn(self) -> str | None:
        return self._closing_admin_upn

    # -- the readers, one per fact --------------------------------------------------------------

    @_reads(f.ORGANIZATION)
    def _organization(self) -> f.Organization:
        rows = self._list("/v1.0/organization", "id,displayName,verifiedDomains,onPremisesSyncEnabled,"
                          "onPremisesLastSyncDateTime,partnerTenantType,tenantType")
        if len(rows) != 1:
            raise MalformedResponse(f"/organization returned {len(rows)} objects instead of 1", "report this")
        return parse.organization(rows[0])

    @_reads(f.USERS)
    def _users(self) -> tuple[f.User, ...]:
        out: list[f.User] = []
        self._user_feed.claim()
        try:
            for page in self.graph.iter_pages("/v1.0/users", params={
                    "$select": "id,userPrincipalName,displayName,userType,accountEnabled,onPremisesSyncEnabled,"
                               "createdDateTime,assignedLicenses", "$top": _PAGE}):
                rows = tuple(parse.user(u) for u in page)
                out.extend(rows)
                self._user_feed.put(rows)
        except BaseException as exc:
            self._user_feed.close(exc)
            raise
        self._user_feed.close()
        return tuple(out)

    def _user_pages(self) -> Iterator[tuple[f.User, ...]]:
        """The users page by page as the USERS read lists them, starting that read if nobody has: a
        per-user read can then begin with the first page instead of after the last (999 users a page,
        pages one after another, graph-facts §2.1)."""
        if self._user_feed.claim():
            threading.Thread(target=self._read_quietly, args=(f.USERS,), name="closegate-users", daemon=True).start()
        yield from self._user_feed

    def _read_quietly(self, fact: f.Fact[Any]) -> None:
        # A failure is cached, re-raised to whoever reads the fact, and fed to the page readers.
        with contextlib.suppress(ClosegateError):
            self.read(fact)

    @_reads(f.GROUPS)
    def _groups(self) -> tuple[f.Group, ...]:
        rows = self._list("/v1.0/groups", "id,displayName,isAssignableToRole", top=True)
        # Only role-assignable groups can hold directory roles; their members are what checks need.
        assignable = [g["id"] for g in rows if g.get("isAssignableToRole")]
        members = dict(zip(assignable, run_concurrently(self._member_ids, assignable, self.workers), strict=True))
        return tuple(parse.group(g, members.get(g["id"], ())) for g in rows)

    def _member_ids(self, group_id: str) -> tuple[str, ...]:
        return tuple(parse.as_str(m, "id", "group member")
                     for m in self._list(f"/v1.0/groups/{group_id}/members", "id"))

    @_reads(f.GLOBAL_ADMINS)
    def _global_admins(self) -> tuple[f.RoleAssignment, ...]:
        return self._assignments("active", f.GLOBAL_ADMINISTRATOR)

    @_reads(f.GLOBAL_ADMIN_ELIGIBILITIES)
    def _global_admin_eligibilities(self) -> f.Eligibilities:
        try:
            return f.Eligibilities(self._assignments("eligible", f.GLOBAL_ADMINISTRATOR))
        except GraphError as exc:
            # Without P2 Graph answers 400 AadPremiumLicenseRequired: an answer, not a failure (licences.py).
            gap = not_licensed(exc, licences.ELIGIBILITY)
            if gap is None:
                raise
            return f.Eligibilities((), gap)

    @_reads(f.ROLE_ASSIGNMENTS)
    def _role_assignments(self) -> tuple[f.RoleAssignment, ...]:
        return self._assignments("active", None)

    def _assignments(self, kind: str, role_template_id: str | None) -> tuple[f.RoleAssignment, ...]:
        """Active or PIM-eligible holders of one role (None: of every role), groups expanded to members.

        Eligible holders are not in roleAssignments and need their own read (graph-facts §2.2, S21)."""
        params = {"$expand": "principal"}
        if role_template_id is not None:
            params["$filter"] = f"roleDefinitionId eq '{role_template_id}'"
        path = ("/v1.0/roleManagement/directory/roleAssignments" if kind == "active"
                else "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances")
        out: list[f.RoleAssignment] = []
        for row in self.graph.get_all(path, params=params):
            out.extend(self._holders(parse.role_assignment(row, kind)))
        return tuple(out)

    def _holders(self, base: f.RoleAssignment) -> list[f.RoleAssignment]:
        if base.principal_type != "group":
            return [base]
        members = self._once(("members", base.principal_id), lambda: self._group_members(base.principal_id))
        return [base] + [parse.via_group(base, m) for m in members]

    def _group_members(self, group_id: str) -> list[dict[str, Any]]:
        """Members of a role-assignable group, users with their userType (a guest may hold a role)."""
        # A directoryObject collection takes $select of a derived type's property and each member
        # returns the ones its own type has: users carry userType, groups and service principals do
        # not (Microsoft Graph team blog "Upcoming API changes to return limited information for
        # inaccessible member resources", 2019, selects group and servicePrincipal properties on
        # /groups/{id}/members). One request instead of one read per member.
        return self._list(f"/v1.0/groups/{group_id}/members", "id,displayName,userType")

    @_reads(f.CALLER)
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
            return f.Caller(kind="user", object_id=parse.as_str(me, "id", "caller"),
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
        sp_id = parse.as_str(sp, "id", "service principal")
        rows = self._list("/v1.0/roleManagement/directory/roleAssignments", "roleDefinitionId",
                          filter=f"principalId eq '{sp_id}'")
        return f.Caller(kind="app", object_id=sp_id, display_name=str(sp.get("displayName") or ""),
                        user_principal_name=None, app_id=app_id,
                        role_template_ids=frozenset(str(r.get("roleDefinitionId")) for r in rows), permissions=granted)

    @_reads(f.SUBSCRIBED_SKUS)
    def _subscribed_skus(self) -> tuple[f.SubscribedSku, ...]:
        return tuple(parse.subscribed_sku(s) for s in self._list(
            "/v1.0/subscribedSkus", "skuId,skuPartNumber,capabilityStatus,prepaidUnits,consumedUnits,subscriptionIds,"
            "servicePlans"))

    @_reads(f.COMPANY_SUBSCRIPTIONS)
    def _company_subscriptions(self) -> tuple[f.CompanySubscription, ...]:
        return tuple(parse.company_subscription(s) for s in self._list(
            "/v1.0/directory/subscriptions", "id,skuId,skuPartNumber,status,isTrial,createdDateTime,"
            "nextLifecycleDateTime,ownerTenantId,totalLicenses"))

    @_reads(f.PER_USER_MFA)
    def _per_user_mfa(self) -> tuple[f.PerUserMfa, ...]:
        # beta only (graph-facts §5.1); 20 per $batch, only failed items resent (batch.py); the batches
        # start with the first page of users, so listing and reading overlap.
        ids: dict[str, str] = {}

        def pages() -> Iterator[list[BatchItem]]:
            for page in self._user_pages():
                batch = []
                for user in page:
                    key = str(len(ids))
                    ids[key] = user.id
                    batch.append(BatchItem(id=key, method="GET", url=f"/users/{user.id}/authentication/requirements"))
                yield batch

        outcomes = BatchRunner(self.graph, api="beta").run_streamed(pages())
        out = []
        for key, user_id in ids.items():
            o = outcomes[key]
            if isinstance(o.error, NotFound):
                continue  # deleted since the user list was read
            if o.error is not None:
                raise o.error
            out.append(parse.per_user_mfa(user_id, o.body))
        return tuple(out)

    @_reads(f.SECURITY_DEFAULTS)
    def _security_defaults(self) -> f.SecurityDefaults:
        return parse.security_defaults(self.graph.get("/v1.0/policies/identitySecurityDefaultsEnforcementPolicy",
                                                      params={"$select": "isEnabled"}))

    @_reads(f.CONDITIONAL_ACCESS_POLICIES)
    def _conditional_access_policies(self) -> tuple[f.ConditionalAccessPolicy, ...]:
        return tuple(parse.parse_conditional_access(p) for p in self._list(
            "/v1.0/identity/conditionalAccess/policies", "id,displayName,state,grantControls"))

    @_reads(f.REGISTRATION_DETAILS)
    def _registration_details(self) -> f.RegistrationDetails:
        # $select is refused here (400; the v1.0 page lists only $filter and $orderby, graph-facts §12.1).
        try:
            rows = self.graph.get_all("/v1.0/reports/authenticationMethods/userRegistrationDetails")
        except GraphError as exc:
            gap = not_licensed(exc, licences.REGISTRATION_DETAILS)
            if gap is None:
                raise
            return f.RegistrationDetails((), gap)
        return f.RegistrationDetails(tuple(parse.registration_detail(r) for r in rows))

    @_reads(f.APPLICATIONS)
    def _applications(self) -> tuple[f.Application, ...]:
        return tuple(parse.application(a) for a in self._list(
            "/v1.0/applications", "id,appId,displayName,createdDateTime", top=True))

    @_reads(f.SERVICE_PRINCIPALS)
    def _service_principals(self) -> tuple[f.ServicePrincipal, ...]:
        return tuple(parse.service_principal(s) for s in self._list(
            "/v1.0/servicePrincipals", "id,appId,displayName,accountEnabled,appOwnerOrganizationId,"
            "servicePrincipalType", top=True))

    @_reads(f.DOMAINS)
    def _domains(self) -> tuple[f.Domain, ...]:
        return tuple(parse.domain(d) for d in self._list("/v1.0/domains", "id,isDefault,isInitial,isVerified"))


    def _usage(self, fact: f.Fact[tuple[f.UsageRow, ...]]) -> tuple[f.UsageRow, ...]:
        report, function = USAGE_FUNCTIONS[fact]
        # 302 to a pre-authenticated CSV that must be fetched without the bearer token (§1.1).
        resp = self.graph.send("GET", self.graph.url(f"/v1.0/reports/{function}"))
        if resp.status in (301, 302, 303, 307, 308):
            location = resp.header("location")
            if not location:
                raise MalformedResponse(f"the {report} usage report redirect has no Location", "report this")
            body = self.graph.download(location)
        else:
            body = resp.body
        return parse.parse_usage_csv(report, body)

    @_reads(f.USAGE_MAILBOX)
    def _usage_mailbox(self) -> tuple[f.UsageRow, ...]:
        return self._usage(f.USAGE_MAILBOX)

    @_reads(f.USAGE_ONEDRIVE)
    def _usage_onedrive(self) -> tuple[f.UsageRow, ...]:
        return self._usage(f.USAGE_ONEDRIVE)

    @_reads(f.USAGE_SHAREPOINT)
    def _usage_sharepoint(self) -> tuple[f.UsageRow, ...]:
        return self._usage(f.USAGE_SHAREPOINT)

    @_reads(f.REPORT_SETTINGS)
    def _report_settings(self) -> f.ReportSettings:
        return parse.report_settings(self.graph.get("/v1.0/admin/reportSettings",
                                                    params={"$select": "displayConcealedNames"}))

    def _deleted(self, kind: str) -> tuple[f.DeletedItem, ...]:
        select = "id,displayName,deletedDateTime" + (",userPrincipalName" if kind == "user" else "")
        # The OData cast is required: /directory/deletedItems without a type is not supported (§2.3).
        return tuple(parse.deleted_item(d, kind)
                     for d in self._list(f"/v1.0/directory/deletedItems/microsoft.graph.{kind}", select))

    @_reads(f.DELETED_USERS)
    def _deleted_users(self) -> tuple[f.DeletedItem, ...]:
        return self._deleted("user")

    @_reads(f.DELETED_APPLICATIONS)
    def _deleted_applications(self) -> tuple[f.DeletedItem, ...]:
        return self._deleted("application")

    @_reads(f.DELETED_SERVICE_PRINCIPALS)
    def _deleted_service_principals(self) -> tuple[f.DeletedItem, ...]:
        return self._deleted("servicePrincipal")

    @_reads(f.BACKUP)
    def _backup(self) -> f.Backup | None:
        """The configured backup, re-verified (read by CG-002)."""
        if self.backup_dir is None:
            raise ConfigError("no backup configured", "set [backup] dir in closegate.toml and run `closegate backup`")
        return read_backup(self.backup_dir, self.backup_max_age, self.backup_public_key)

    @_reads(f.B2C_INVENTORY)
    def _b2c_inventory(self) -> f.B2CInventory:
        if self.read(f.ORGANIZATION).tenant_type != f.B2C_TENANT_TYPE:
            return f.B2CInventory((), (), (), ())
        paths = ("/beta/identity/b2cUserFlows", "/beta/identity/identityProviders",
                 "/beta/trustFramework/keySets", "/beta/trustFramework/policies")
        found = run_concurrently(lambda p: tuple(parse.as_str(r, "id", "B2C object") for r in self._list(p, "id")),
                                 paths, self.workers)
        return f.B2CInventory(*found)

