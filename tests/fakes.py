"""A TenantReader over plain facts records, for framework and check unit tests.

Emulator tests prove the checks against Graph's behaviour; this fake proves the logic on exact,
hand-written facts. `FakeTenant.ready()` is a tenant where every API-visible check passes; tests
change one thing with `replace(...)` and make any fact fail with `failing={"users": error}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from closegate.facts import (
    GLOBAL_ADMINISTRATOR,
    Application,
    AzureSubscription,
    B2CInventory,
    Backup,
    Caller,
    CompanySubscription,
    ConditionalAccessPolicy,
    DeletedItem,
    Domain,
    Group,
    Organization,
    PerUserMfa,
    RegistrationDetail,
    ReportSettings,
    RoleAssignment,
    SecurityDefaults,
    ServicePrincipal,
    SubscribedSku,
    UsageRow,
    User,
)

__all__ = ["ADMIN", "APP_ID", "BackedUpTenant", "FakeTenant", "NOW", "WithBackup", "admin_assignment", "keep_only_the_callers_service_principal", "run_check",
           "user"]

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
APP_ID = "11111111-1111-1111-1111-111111111111"
ALL_READ = frozenset({
    "Application.Read.All", "Directory.Read.All", "Organization.Read.All", "Policy.Read.All",
    "ReportSettings.Read.All", "Reports.Read.All", "RoleEligibilitySchedule.Read.Directory", "RoleManagement.Read.Directory",
    "User.Read.All", "GroupMember.Read.All",
})


def user(upn: str, **changes: object) -> User:
    base = User(id=f"id-{upn.split('@')[0]}", user_principal_name=upn, display_name=upn.split("@")[0],
                user_type="Member", account_enabled=True, on_premises_sync_enabled=False)
    return replace(base, **changes)  # type: ignore[arg-type]


ADMIN = user("admin@contoso.onmicrosoft.com")


def admin_assignment(principal: User, kind: str = "active", **changes: object) -> RoleAssignment:
    base = RoleAssignment(id=f"ra-{principal.id}-{kind}", role_definition_id=GLOBAL_ADMINISTRATOR,
                          principal_id=principal.id, principal_type="user",
                          principal_display_name=principal.display_name, kind=kind,
                          principal_user_type=principal.user_type)
    return replace(base, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class FakeTenant:
    clock: datetime = NOW
    org: Organization = Organization("tenant-1", "Contoso", "contoso.onmicrosoft.com", None, None, None, "AAD")
    who: Caller = Caller("user", ADMIN.id, "admin", ADMIN.user_principal_name, APP_ID,
                         frozenset({GLOBAL_ADMINISTRATOR}), ALL_READ, arm_access=True, user_type="Member")
    user_list: tuple[User, ...] = (ADMIN,)
    group_list: tuple[Group, ...] = ()
    admins: tuple[RoleAssignment, ...] = (admin_assignment(ADMIN),)
    skus: tuple[SubscribedSku, ...] = ()
    subscriptions: tuple[CompanySubscription, ...] = ()
    mfa: tuple[PerUserMfa, ...] = (PerUserMfa(ADMIN.id, "enforced"),)
    defaults: SecurityDefaults = SecurityDefaults(False)
    policies: tuple[ConditionalAccessPolicy, ...] = ()
    apps: tuple[Application, ...] = ()
    sps: tuple[ServicePrincipal, ...] = ()
    azure: tuple[AzureSubscription, ...] = ()
    deleted: Mapping[str, tuple[DeletedItem, ...]] = field(default_factory=dict)
    concealed: bool = False
    b2c: B2CInventory = B2CInventory((), (), (), ())
    configured_admin: str | None = None  # [tenant] closing_admin
    failing: Mapping[str, Exception] = field(default_factory=dict)

    @classmethod
    def ready(cls, **changes: object) -> FakeTenant:
        return replace(cls(), **changes)  # type: ignore[arg-type]

    def _fact(self, name: str, value):  # type: ignore[no-untyped-def]
        if name in self.failing:
            raise self.failing[name]
        return value

    def now(self) -> datetime:
        return self._fact("now", self.clock)

    def organization(self) -> Organization:
        return self._fact("organization", self.org)

    def caller(self) -> Caller:
        return self._fact("caller", self.who)

    def closing_admin_upn(self) -> str | None:
        return self._fact("closing_admin_upn", self.configured_admin)

    def users(self) -> tuple[User, ...]:
        return self._fact("users", self.user_list)

    def groups(self) -> tuple[Group, ...]:
        return self._fact("groups", self.group_list)

    def role_assignments(self, role_template_id: str | None) -> tuple[RoleAssignment, ...]:
        return self._fact("role_assignments", tuple(
            a for a in self.admins if role_template_id is None or a.role_definition_id == role_template_id))

    def subscribed_skus(self) -> tuple[SubscribedSku, ...]:
        return self._fact("subscribed_skus", self.skus)

    def company_subscriptions(self) -> tuple[CompanySubscription, ...]:
        return self._fact("company_subscriptions", self.subscriptions)

    def per_user_mfa(self) -> tuple[PerUserMfa, ...]:
        return self._fact("per_user_mfa", self.mfa)

    def security_defaults(self) -> SecurityDefaults:
        return self._fact("security_defaults", self.defaults)

    def conditional_access_policies(self) -> tuple[ConditionalAccessPolicy, ...]:
        return self._fact("conditional_access_policies", self.policies)

    def registration_details(self) -> tuple[RegistrationDetail, ...]:
        return self._fact("registration_details", ())

    def applications(self) -> tuple[Application, ...]:
        return self._fact("applications", self.apps)

    def service_principals(self) -> tuple[ServicePrincipal, ...]:
        return self._fact("service_principals", self.sps)

    def domains(self) -> tuple[Domain, ...]:
        return self._fact("domains", ())

    def azure_subscriptions(self) -> tuple[AzureSubscription, ...]:
        return self._fact("azure_subscriptions", self.azure)

    def usage(self, report: str) -> tuple[UsageRow, ...]:
        return self._fact("usage", ())

    def report_settings(self) -> ReportSettings:
        return self._fact("report_settings", ReportSettings(self.concealed))

    def deleted_items(self, kind: str) -> tuple[DeletedItem, ...]:
        return self._fact("deleted_items", self.deleted.get(kind, ()))

    def b2c_inventory(self) -> B2CInventory:
        return self._fact("b2c_inventory", self.b2c)


@dataclass(frozen=True)
class BackedUpTenant(FakeTenant):
    """A FakeTenant whose configured backup is known (what the backup feature will provide)."""

    backup: Backup | None = Backup(NOW - timedelta(hours=2), "backup/", 120, 4096, True, timedelta(days=7))

    def latest_backup(self) -> Backup | None:
        return self._fact("latest_backup", covering(self.backup, self))


def run_check(function: object, tenant: object, **settings: object):  # type: ignore[no-untyped-def]
    """One check through the runner (where ERROR is made), as the audit would run it."""
    from closegate.registry import Catalog, spec_of
    from closegate.runner import RunSettings, run

    spec = spec_of(function)
    assert spec is not None, f"{function!r} is not marked with @check"
    record = run(tenant, Catalog((spec,)), RunSettings(clock=lambda: NOW, **settings))  # type: ignore[arg-type]
    return record.results[0]


class WithBackup:
    """Any TenantReader plus a known backup: stands in for the backup feature (issue: backup) in emulator runs."""

    def __init__(self, tenant: object, backup: Backup) -> None:
        self._tenant = tenant
        self._backup = backup

    def __getattr__(self, name: str) -> object:
        return getattr(self._tenant, name)

    def latest_backup(self) -> Backup | None:
        return covering(self._backup, self._tenant)


def covering(backup: Backup | None, tenant: object) -> Backup | None:
    """A stand-in backup holds every user and group the tenant has, unless the test names its own ids."""
    if backup is None or backup.user_ids or backup.group_ids:
        return backup
    return replace(backup, user_ids=frozenset(u.id for u in tenant.users()),  # type: ignore[attr-defined]
                   group_ids=frozenset(g.id for g in tenant.groups()))  # type: ignore[attr-defined]


def keep_only_the_callers_service_principal(emu: Any, own: str) -> None:
    """The emulator registers four closegate apps; a real tenant has the one closegate signs in with."""
    with emu.state.lock:
        for sp in emu.state.service_principals.values():
            if sp.app_id != own and sp.app_owner_organization_id == emu.state.tenant_id:
                sp.deleted_at = emu.state.clock.now() - timedelta(days=31)
