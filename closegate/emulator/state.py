"""The live tenant behind the emulator: its directory objects, its rules and its simulated time.

Graph, ARM, the identity platform and the operator surface all read and change this one object
under `lock`. Time-based rules (graph-facts §3.2 sync turn-off, §2.3 recycle bin, §4.3 subscription
lifecycles) are applied lazily by `tick()` whenever the simulated clock has moved.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from closegate.emulator import azure_rules, commerce
from closegate.emulator.azure_state import AzureEstate
from closegate.emulator.clock import SimClock
from closegate.emulator.compat import Compat
from closegate.emulator.records import (
    AppRecord,
    AzureSubscription,
    CaPolicy,
    Eligibility,
    GroupRecord,
    RoleAssignment,
    ServicePrincipalRecord,
    SiteRecord,
    SkuRecord,
    SubscriptionRecord,
    UserRecord,
)
from closegate.emulator.records_compliance import RecordsData
from closegate.emulator.tenant_rules import Lifecycle, LifecycleRules

__all__ = ["GLOBAL_ADMIN", "Organization", "Refused", "StateError", "TenantState", "UnknownObject"]

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"  # graph-facts §2.2


class StateError(Exception):
    """A tenant operation that cannot be carried out; the message is safe to show."""


class UnknownObject(StateError, LookupError):
    """No object with that id or name exists in the tenant."""


class Refused(StateError, ValueError):
    """The tenant refuses the operation in its current state (e.g. deleting a synced user)."""


@dataclass(slots=True)
class Organization:
    display_name: str
    tenant_type: str = "AAD"  # "AAD B2C" for B2C tenants
    partner_tenant_type: str | None = None
    country_letter_code: str = "US"
    created: datetime | None = None
    sync_enabled: bool | None = None
    last_sync: datetime | None = None
    sync_off_requested_at: datetime | None = None
    technical_notification_mails: tuple[str, ...] = ()


@dataclass(slots=True)
class B2CData:
    user_flows: list[dict[str, Any]] = field(default_factory=list)
    identity_providers: list[dict[str, Any]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)
    key_sets: list[dict[str, Any]] = field(default_factory=list)


class TenantState:
    """Everything one emulated tenant knows. Callers hold `lock` across read-modify-write."""

    def __init__(
        self,
        *,
        tenant_id: str,
        primary_domain: str,
        organization: Organization,
        clock: SimClock,
        closing_admin_upn: str,
        rules: LifecycleRules | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.primary_domain = primary_domain
        self.organization = organization
        self.clock = clock
        self.closing_admin_upn = closing_admin_upn
        self.lifecycle = Lifecycle(rules or LifecycleRules())
        self.lock = threading.RLock()
        self.deleted = False
        self.eventual_delay = timedelta(0)  # how long a deleted object is still listed (faults)
        self.users: dict[str, UserRecord] = {}
        self.user_list: list[UserRecord] = []  # seq order, includes soft-deleted users
        self._by_upn: dict[str, str] = {}
        self.groups: dict[str, GroupRecord] = {}
        self.role_assignments: dict[str, RoleAssignment] = {}
        self.eligibilities: dict[str, Eligibility] = {}
        self.applications: dict[str, AppRecord] = {}
        self.service_principals: dict[str, ServicePrincipalRecord] = {}
        self.domains: list[dict[str, Any]] = []
        self.skus: dict[str, SkuRecord] = {}
        self.subscriptions: dict[str, SubscriptionRecord] = {}
        self.azure_subscriptions: dict[str, AzureSubscription] = {}
        self.azure = AzureEstate(tenant_id)  # RBAC, resources, billing (closegate.emulator.azure_state)
        self.ca_policies: dict[str, CaPolicy] = {}
        self.security_defaults_enabled = False
        self.display_concealed_names = False
        self.mfa_providers: list[str] = []
        self.signup_products: list[str] = []
        self.sites: list[SiteRecord] = []
        self.b2c = B2CData()
        self.compat = Compat()  # closegate.emulator.compat: deliberate departures from Microsoft
        self.records = RecordsData()  # holds, retention, devices, logs, multitenant organization
        self._ticked_at: datetime | None = None
        self._size_class: tuple[str, float] | None = None

    @property
    def display_name(self) -> str:
        return self.organization.display_name

    # ----------------------------------------------------------------- construction
    def add_user(self, record: UserRecord) -> None:
        key = record.user_principal_name.lower()
        if key in self._by_upn or record.id in self.users:
            raise Refused(f"duplicate user {record.user_principal_name}")
        self.users[record.id] = record
        self.user_list.append(record)
        self._by_upn[key] = record.id

    def next_user_seq(self) -> int:
        return self.user_list[-1].seq + 1 if self.user_list else 0

    def ensure_service_principal(self, app_id: str, display_name: str) -> str:
        """Register an app's service principal (idempotent) so it can hold roles and be listed."""
        with self.lock:
            for sp in self.service_principals.values():
                if sp.app_id == app_id and sp.deleted_at is None:
                    return sp.id
            sp_id = self.service_principal_id(app_id)
            self.service_principals[sp_id] = ServicePrincipalRecord(
                id=sp_id, app_id=app_id, display_name=display_name,
                app_owner_organization_id=self.tenant_id,
            )
            return sp_id

    def service_principal_id(self, app_id: str) -> str:
        """The object id an app's service principal gets here, known before it is registered."""
        return str(uuid.uuid5(uuid.UUID(self.tenant_id), f"sp:{app_id}"))

    def add_role_assignment(self, principal_id: str, role_template_id: str) -> str:
        with self.lock:
            for ra in self.role_assignments.values():
                if ra.principal_id == principal_id and ra.role_definition_id == role_template_id:
                    return ra.id
            ra_id = assignment_id(role_template_id, principal_id)
            self.role_assignments[ra_id] = RoleAssignment(ra_id, role_template_id, principal_id)
            return ra_id

    # ----------------------------------------------------------------- time
    def tick(self) -> None:
        """Apply every time-based rule that fell due since the last call."""
        with self.lock:
            now = self.clock.now()
            if self._ticked_at == now:
                return
            self._ticked_at = now
            self.lifecycle.apply(self, now)

    # ----------------------------------------------------------------- reads
    @property
    def size_class(self) -> str:
        """graph-facts §8.3: S (<50 users), M (50-500), L (>500), for throttling.

        Every request asks; counting 100,000 users each time made the emulator, not the client, the
        bottleneck. The class only changes at 50 and 500 users, so an answer a second old is exact
        enough.
        """
        now = time.monotonic()
        if self._size_class is None or now - self._size_class[1] > 1.0:
            count = sum(1 for u in self.user_list if u.deleted_at is None)
            self._size_class = ("S" if count < 50 else ("M" if count <= 500 else "L"), now)
        return self._size_class[0]

    def user_record(self, key: str) -> UserRecord | None:
        rec = self.users.get(key)
        if rec is None:
            uid = self._by_upn.get(key.lower())
            rec = self.users.get(uid) if uid else None
        return rec

    def find_user(self, upn_or_id: str) -> dict[str, Any] | None:
        """A live user as Graph shapes it (id, userPrincipalName, displayName...), or None."""
        from closegate.emulator.shapes import user_shape

        with self.lock:
            self.tick()
            rec = self.user_record(upn_or_id)
            if rec is None or rec.deleted_at is not None:
                return None
            return user_shape(rec, _FIND_USER_FIELDS)

    def listed(self, deleted_at: datetime | None, now: datetime) -> bool:
        """Is an object still listed? Deleted ones linger for `eventual_delay` (eventual consistency)."""
        return deleted_at is None or now < deleted_at + self.eventual_delay

    def live_users(self) -> Iterator[UserRecord]:
        return (u for u in self.user_list if u.deleted_at is None)

    def directory_object(self, object_id: str) -> tuple[str, Any] | None:
        """("user"|"group"|"servicePrincipal", record) for a live principal id."""
        for kind, table in (("user", self.users), ("group", self.groups),
                            ("servicePrincipal", self.service_principals)):
            rec = table.get(object_id)
            if rec is not None and rec.deleted_at is None:
                return kind, rec
        return None

    def groups_of(self, principal_id: str) -> list[GroupRecord]:
        return [g for g in self.groups.values()
                if g.deleted_at is None and principal_id in g.member_ids]

    def active_role_template_ids(self, principal_id: str) -> set[str]:
        """Active directory roles of a principal: direct, plus through role-assignable groups."""
        with self.lock:
            holders = {principal_id} | {g.id for g in self.groups_of(principal_id)
                                        if g.is_assignable_to_role}
            return {ra.role_definition_id for ra in self.role_assignments.values()
                    if ra.principal_id in holders}

    # ----------------------------------------------------------------- directory writes
    def delete_user(self, user: UserRecord) -> None:
        if user.sync_enabled:
            raise Refused("synced user")
        now = self.clock.now()
        user.deleted_at = now
        for ra_id in [k for k, ra in self.role_assignments.items() if ra.principal_id == user.id]:
            del self.role_assignments[ra_id]
        for el_id in [k for k, el in self.eligibilities.items() if el.principal_id == user.id]:
            del self.eligibilities[el_id]
        for group in self.groups.values():
            if user.id in group.member_ids:
                group.member_ids.remove(user.id)

    def purge_user(self, user: UserRecord) -> None:
        self.purge_users([user])

    def purge_users(self, users: list[UserRecord]) -> None:
        """Remove users for good; one pass over the list however many go (the recycle bin empties in bulk)."""
        if not users:
            return
        gone = {id(u) for u in users}
        for user in users:
            self.users.pop(user.id, None)
            self._by_upn.pop(user.user_principal_name.lower(), None)
        self.user_list = [u for u in self.user_list if id(u) not in gone]

    # ----------------------------------------------------------------- operator operations
    def cancel_subscription(self, subscription_id: str) -> None:
        """Portal-only cancel (graph-facts §4.2): M365 by its billing type's rules (commerce); Azure goes Disabled."""
        with self.lock:
            self.tick()
            azure = self.azure_subscriptions.get(subscription_id)
            if azure is not None:
                self.cancel_azure(azure)
                return
            commerce.cancel(self, self._subscription(subscription_id), self.clock.now())

    def delete_subscription(self, subscription_id: str) -> None:
        """Portal-only delete: M365 deprovisions 72 h later (S1); Azure by its offer's rules (azure_rules)."""
        with self.lock:
            self.tick()
            azure = self.azure_subscriptions.get(subscription_id)
            if azure is not None:
                azure_rules.delete(self, azure, self.clock.now())
                return
            commerce.delete(self, self._subscription(subscription_id), self.clock.now())

    def cancel_azure(self, azure: AzureSubscription) -> None:
        azure_rules.cancel(self, azure, self.clock.now())

    def delete_mfa_provider(self, name: str) -> None:
        with self.lock:
            if name not in self.mfa_providers:
                raise UnknownObject(f"no MFA provider named {name!r}")
            self.mfa_providers.remove(name)

    def delete_signup_product(self, name: str) -> None:
        with self.lock:
            if name not in self.signup_products:
                raise UnknownObject(f"no self-service sign-up product named {name!r}")
            self.signup_products.remove(name)

    def deletion_blockers(self) -> list[str]:
        """What the admin center's "Required action" column would list (graph-facts §6)."""
        with self.lock:
            self.tick()
            blockers: list[str] = []
            users = sum(1 for _ in self.live_users())
            if users > 1:
                blockers.append(f"Delete all users except yourself ({users - 1} remain)")
            if self.subscriptions:
                blockers.append("Directory has one or more subscriptions to Microsoft Online Services")
            if self.azure_subscriptions:
                blockers.append("Directory has one or more Azure subscriptions")
            apps = [a for a in self.applications.values() if a.deleted_at is None]
            sps = [s for s in self.service_principals.values() if s.deleted_at is None and s.deletable]
            if apps or sps:
                blockers.append("Directory contains one or more applications that were added by a "
                                "user or administrator")
            if any(s.deleted_at is None and s.account_enabled and s.blocks_deletion_while_enabled
                   for s in self.service_principals.values()):
                # §12.4: some enterprise apps "might block"; disable only those that refuse deletion.
                blockers.append("Directory contains one or more enterprise applications that cannot be "
                                "deleted and must be disabled")
            if self.mfa_providers:
                blockers.append("Directory has one or more Multi-Factor Authentication providers")
            if self.signup_products:
                blockers.append("Directory has one or more self-service sign-up products")
            if self.organization.partner_tenant_type:
                blockers.append("Directory is a 'Partner' directory")
            blockers += azure_rules.blockers(self)
            return blockers

    def delete_tenant(self, *, force: bool = False, as_user: str | None = None) -> None:
        """The portal's final delete: refused while any blocker remains, unless forced (tests).

        With `as_user` the person first signs in to the Entra admin center (closegate.emulator.portal:
        a disabled portal app or no MFA method locks them out) and must be an active Global
        Administrator (S1: "Only a Global Administrator can delete a Microsoft Entra organization").
        """
        from closegate.emulator.portal import sign_in

        with self.lock:
            if as_user is not None:
                person = sign_in(self, as_user, "entra")
                if GLOBAL_ADMIN not in self.active_role_template_ids(person.user_id):
                    raise Refused(f"{person.user_principal_name} is not an active Global Administrator")
            blockers = self.deletion_blockers()
            if blockers and not force:
                raise Refused("; ".join(blockers))
            self.deleted = True

    def _subscription(self, subscription_id: str) -> SubscriptionRecord:
        for sub in self.subscriptions.values():
            if subscription_id in (sub.id, sub.commerce_subscription_id):
                return sub
        raise UnknownObject(f"no subscription {subscription_id}")


_FIND_USER_FIELDS = ("id", "userPrincipalName", "displayName", "givenName", "surname", "mail",
                     "userType", "accountEnabled", "onPremisesSyncEnabled")


def assignment_id(role_template_id: str, principal_id: str) -> str:
    """Graph's role assignment ids are opaque; derive a stable one like the documented samples."""
    import base64

    raw = uuid.UUID(role_template_id).bytes_le + uuid.UUID(principal_id).bytes_le
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") + "-1"
