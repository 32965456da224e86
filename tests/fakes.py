"""A TenantReader over plain facts records, for framework and check unit tests.

Emulator tests prove the checks against Graph's behaviour; this fake proves the logic on exact,
hand-written facts. `FakeTenant.ready()` is a tenant where every API-visible check passes; tests
change one thing with `.with_(users=...)` and make any fact fail with `failing={"users": error}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from closegate import facts as f
from closegate.errors import ConfigError
from closegate.facts import (
    GLOBAL_ADMINISTRATOR,
    AzureVisibility,
    Backup,
    Caller,
    Fact,
    Organization,
    PerUserMfa,
    RoleAssignment,
    User,
    fact_named,
)

__all__ = ["ADMIN", "APP_ID", "ATTESTED_CLEAN", "ATTESTED_READY", "BackedUpTenant", "FakeTenant", "NOW", "WithBackup", "admin_assignment", "keep_only_the_callers_service_principal", "run_check",
           "user"]

T = TypeVar("T")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
APP_ID = "11111111-1111-1111-1111-111111111111"
ALL_READ = frozenset({
    "Application.Read.All", "Directory.Read.All", "Organization.Read.All", "Policy.Read.All",
    "ReportSettings.Read.All", "Reports.Read.All", "RoleEligibilitySchedule.Read.Directory", "RoleManagement.Read.Directory",
    "User.Read.All", "GroupMember.Read.All",
    # records, holds and devices (CG-019 ... CG-024)
    "eDiscovery.Read.All", "RecordsManagement.Read.All", "DeviceManagementManagedDevices.Read.All",
    "DeviceManagementServiceConfig.Read.All", "BitlockerKey.ReadBasic.All",
})
# What no API can settle on `FakeTenant.ready()`: the portal-only items, the holds Graph cannot see, and
# CG-019, since its signed-in caller may see only the eDiscovery cases it is a member of.
ATTESTED_READY = ("CG-013", "CG-014", "CG-015", "CG-019", "CG-020")
# ... and on a clean emulated tenant signed in as an app without licences: Graph refuses app-only
# eDiscovery and Intune, and retention labels to any app (the checks say so and ask a person).
ATTESTED_CLEAN = ("CG-013", "CG-014", "CG-015", "CG-019", "CG-020", "CG-021", "CG-022")


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


# Old names of the fake's settings, kept as the names of the facts they set: with_(users=...).
_SETTINGS = ("clock", "configured_admin", "failing")


def _ready_values() -> dict[Fact[Any], Any]:
    return {
        f.ORGANIZATION: Organization("tenant-1", "Contoso", "contoso.onmicrosoft.com", None, None, None, "AAD"),
        f.CALLER: Caller("user", ADMIN.id, "admin", ADMIN.user_principal_name, APP_ID,
                         frozenset({GLOBAL_ADMINISTRATOR}), ALL_READ, arm_access=True, user_type="Member"),
        f.USERS: (ADMIN,),
        f.GLOBAL_ADMINS: (admin_assignment(ADMIN),),
        f.PER_USER_MFA: (PerUserMfa(ADMIN.id, "enforced"),),
        # A ready tenant's caller provably sees every Azure subscription (none remain).
        f.AZURE_VISIBILITY: AzureVisibility(True, "the caller holds Reader at /, above every subscription",
                                            ("Reader at /",)),
    }


@dataclass(frozen=True)
class FakeTenant:
    """Answers any declared fact (closegate.facts): the value a test gave, else the fact's `empty`.

    `ready()` is a tenant where every API-visible check passes; `with_(users=..., caller=...)` changes
    facts by name, `failing={"users": error}` makes a fact raise. ROLE_ASSIGNMENTS defaults to the
    Global Administrator holders, and BACKUP to "no backup configured" (as Tenant without [backup] dir).
    """

    values: Mapping[Fact[Any], Any] = field(default_factory=dict)
    clock: datetime = NOW
    configured_admin: str | None = None  # [tenant] closing_admin
    failing: Mapping[str, Exception] = field(default_factory=dict)

    @classmethod
    def ready(cls, **changes: Any) -> FakeTenant:
        return cls(values=_ready_values()).with_(**changes)

    def with_(self, **changes: Any) -> FakeTenant:
        settings = {k: changes.pop(k) for k in _SETTINGS if k in changes}
        for name in settings.get("failing", {}):
            if name != "now":
                fact_named(name)  # a typo in a test must not silently fail nothing
        values = {**self.values, **{fact_named(name): value for name, value in changes.items()}}
        for name in ("global_admins", "role_assignments"):
            if any(a.kind != "active" for a in values.get(fact_named(name), ())):
                # Eligible holders are their own fact since the P2 split: a test must say which it means.
                raise ValueError(f"{name} holds active assignments only; give eligible ones as "
                                 "global_admin_eligibilities=Eligibilities((...))")
        return replace(self, values=values, **settings)

    def value(self, fact: Fact[T]) -> T:
        if fact in self.values:
            return self.values[fact]  # type: ignore[no-any-return]  # values are keyed by their fact
        if fact is f.ROLE_ASSIGNMENTS:
            return self.value(f.GLOBAL_ADMINS)  # type: ignore[return-value]  # every holder here is a GA
        return fact.empty  # type: ignore[no-any-return]

    def read(self, fact: Fact[T]) -> T:
        if fact.name in self.failing:
            raise self.failing[fact.name]
        if fact is f.ROLE_ASSIGNMENTS and "global_admins" in self.failing:
            raise self.failing["global_admins"]
        if fact is f.BACKUP:
            if f.BACKUP not in self.values:
                raise ConfigError("no backup configured", "set [backup] dir in closegate.toml and run `closegate backup`")
            return covering(self.value(f.BACKUP), self)  # type: ignore[return-value]  # BACKUP is a Backup
        return self.value(fact)

    def now(self) -> datetime:
        if "now" in self.failing:
            raise self.failing["now"]
        return self.clock

    def closing_admin_upn(self) -> str | None:
        return self.configured_admin


DEFAULT_BACKUP = Backup(NOW - timedelta(hours=2), "backup/", 120, 4096, True, timedelta(days=7))


def BackedUpTenant(backup: Backup | None = DEFAULT_BACKUP, **changes: Any) -> FakeTenant:  # noqa: N802 - a fake's name
    """A ready FakeTenant whose configured backup is known and holds every user and group it has."""
    return FakeTenant.ready(backup=backup, **changes)


def run_check(function: object, tenant: object, **settings: object):  # type: ignore[no-untyped-def]
    """One check through the runner (where ERROR is made), as the audit would run it."""
    from closegate.registry import Catalog, spec_of
    from closegate.runner import RunSettings, run

    spec = spec_of(function)
    assert spec is not None, f"{function!r} is not marked with @check"
    record = run(tenant, Catalog((spec,)), RunSettings(clock=lambda: NOW, **settings))  # type: ignore[arg-type]
    return record.results[0]


class WithBackup:
    """Any TenantReader plus a known backup: stands in for the backup feature in emulator runs."""

    def __init__(self, tenant: Any, backup: Backup) -> None:
        self._tenant = tenant
        self._backup = backup

    def __getattr__(self, name: str) -> object:
        return getattr(self._tenant, name)

    def read(self, fact: Fact[T]) -> T:
        if fact is f.BACKUP:
            return covering(self._backup, self._tenant)  # type: ignore[return-value]  # BACKUP is a Backup
        return self._tenant.read(fact)  # type: ignore[no-any-return]


def covering(backup: Backup | None, tenant: object) -> Backup | None:
    """A stand-in backup holds every user and group the tenant has, unless the test names its own ids."""
    if backup is None or backup.user_ids or backup.group_ids:
        return backup
    return replace(backup, user_ids=frozenset(u.id for u in tenant.read(f.USERS)),  # type: ignore[attr-defined]
                   group_ids=frozenset(g.id for g in tenant.read(f.GROUPS)),  # type: ignore[attr-defined]
                   device_ids=frozenset(d.id for d in tenant.read(f.DEVICES)))  # type: ignore[attr-defined]


def keep_only_the_callers_service_principal(emu: Any, own: str) -> None:
    """The emulator registers four closegate apps; a real tenant has the one closegate signs in with."""
    with emu.state.lock:
        for sp in emu.state.service_principals.values():
            if sp.app_id != own and sp.app_owner_organization_id == emu.state.tenant_id:
                sp.deleted_at = emu.state.clock.now() - timedelta(days=31)
