"""The tenant's clock-driven rules: sync turn-off, recycle bin and Microsoft 365 subscription lifecycles
(Azure's cancel -> delete rules are in azure_rules).

Kept apart from the state's data so the durations are one visible, configurable table
(graph-facts §3.2, §2.3, §4.3) and the rules can be read top to bottom.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from closegate.emulator import azure_rules
from closegate.emulator.records import SubscriptionRecord

if TYPE_CHECKING:
    from closegate.emulator.state import TenantState

__all__ = ["Lifecycle", "LifecycleRules"]

DAY = timedelta(days=1)


@dataclass(frozen=True)
class LifecycleRules:
    sync_turn_off: timedelta = timedelta(hours=72)  # §3.2: "may take up to 72 hours"
    recycle_bin: timedelta = 30 * DAY  # §2.3: restorable for 30 days
    deprovision_after_delete: timedelta = timedelta(hours=72)  # §4.3 (S1)
    renewal_term: timedelta = 365 * DAY
    # §4.3 (S3): Expired 30 d, Disabled 90 d for most offers; Graph's states split "Disabled" into
    # Suspended then LockedOut (§4.1 order of transition).
    paid: tuple[tuple[str, timedelta], ...] = (
        ("Warning", 30 * DAY), ("Suspended", 60 * DAY), ("LockedOut", 30 * DAY))
    # §4.3 (S1 trial table): Expired 30 d, Disabled 30 d, then deprovisioned.
    trial: tuple[tuple[str, timedelta], ...] = (
        ("Warning", 30 * DAY), ("Suspended", 15 * DAY), ("LockedOut", 15 * DAY))


class Lifecycle:
    """Applies `LifecycleRules` to a tenant; every method takes `now` from the simulated clock."""

    def __init__(self, rules: LifecycleRules) -> None:
        self.rules = rules
        # When the next soft-deleted user falls out of the recycle bin. Scanning every user on every
        # request made a 100,000-user backup quadratic (each of its ~6,000 requests walked the whole
        # list); users are only deleted at the current time, so nothing deleted after a scan can fall
        # due before `scan time + recycle_bin`, and one scan per due date is exact.
        self._users_due: datetime | None = None

    def apply(self, state: TenantState, now: datetime) -> None:
        self._sync(state, now)
        self._recycle_bin(state, now)
        for sub in list(state.subscriptions.values()):
            self._advance(sub, now)
            if sub.deprovision_at is not None and now >= sub.deprovision_at:
                del state.subscriptions[sub.id]
        azure_rules.apply(state, now)  # §12.3: Azure's cancel -> delete by offer

    # -- directory synchronization (§3.2): the org flag and every synced object flip together
    def _sync(self, state: TenantState, now: datetime) -> None:
        org = state.organization
        started = org.sync_off_requested_at
        if started is None or org.sync_enabled is not True or now < started + self.rules.sync_turn_off:
            return
        org.sync_enabled = False
        for user in state.user_list:
            if user.sync_enabled:
                user.sync_enabled = False
        for group in state.groups.values():
            if group.sync_enabled:
                group.sync_enabled = False

    def sync_reenable_allowed(self, state: TenantState, now: datetime) -> bool:
        started = state.organization.sync_off_requested_at
        return started is None or now >= started + self.rules.sync_turn_off

    def _recycle_bin(self, state: TenantState, now: datetime) -> None:
        horizon = now - self.rules.recycle_bin
        if self._users_due is None or now >= self._users_due:
            deleted = [(u.deleted_at, u) for u in state.user_list if u.deleted_at is not None]
            state.purge_users([u for when, u in deleted if when <= horizon])
            kept = [when for when, _ in deleted if when > horizon]
            self._users_due = min(kept, default=now) + self.rules.recycle_bin
        # groups, applications and service principals are few: checked on every tick
        for table in (state.groups, state.applications, state.service_principals):
            for key in [k for k, v in table.items() if v.deleted_at and v.deleted_at <= horizon]:
                del table[key]

    # -- Microsoft 365 subscriptions (§4.1, §4.3)
    def _advance(self, sub: SubscriptionRecord, now: datetime) -> None:
        while sub.next_lifecycle is not None and now >= sub.next_lifecycle:
            if sub.status == "Enabled" and sub.auto_renew and not sub.is_trial:
                sub.term_start = sub.next_lifecycle  # a renewal opens a new MCA cancel window (commerce)
                sub.next_lifecycle += self.rules.renewal_term
                continue
            if sub.status == "Deleted":
                sub.next_lifecycle = None
                return
            chain = self.rules.trial if sub.is_trial else self.rules.paid
            states = ["Enabled", *(name for name, _ in chain)]
            position = states.index(sub.status) if sub.status in states else len(states) - 1
            if position + 1 < len(states):
                sub.status, duration = chain[position]
                sub.next_lifecycle += duration
            else:
                self._mark_deleted(sub, sub.next_lifecycle)

    def cancel(self, sub: SubscriptionRecord, now: datetime) -> None:
        """Cancel: renewal stops; inside the window it skips Expired and goes Disabled (§4.3)."""
        if sub.status == "Deleted":
            return
        sub.auto_renew = False
        if sub.status in ("Enabled", "Warning"):
            chain = self.rules.trial if sub.is_trial else self.rules.paid
            sub.status = "Suspended"
            sub.next_lifecycle = now + dict(chain)["Suspended"]

    def delete(self, sub: SubscriptionRecord, now: datetime) -> None:
        """Explicit delete: only a canceled (not Enabled) subscription; deprovisioned 72 h later."""
        from closegate.emulator.state import Refused

        if sub.status == "Enabled":
            raise Refused("an active subscription must be canceled before it can be deleted")
        if sub.status != "Deleted":
            self._mark_deleted(sub, now)

    def _mark_deleted(self, sub: SubscriptionRecord, when: datetime) -> None:
        sub.status = "Deleted"
        sub.auto_renew = False
        sub.deprovision_at = when + self.rules.deprovision_after_delete
        sub.next_lifecycle = sub.deprovision_at
