"""What happened to one planned change, and the names of the kinds of change: enums, counted in one place.

The executor, the journal, the remediation summary and the GO certificate all reason about the same
outcomes; as strings, a typo on this safety-critical path would silently count a failure as done. An
`ItemReport` counts outcomes per action, and its properties are the only place that decides what
"changed", "already done", "skipped" and "failed" add up to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

__all__ = ["EffectName", "ItemReport", "Outcome", "TERMINAL"]


class Outcome(Enum):
    """The journal's word for what happened to one operation (its JSON value)."""

    APPLIED = "applied"  # the write was sent and accepted
    DISABLED_INSTEAD = "disabled_instead"  # deletion refused; disabled as Microsoft advises for that case
    ALREADY_DONE = "already_done"  # the desired state already held (or an interrupted attempt had applied it)
    DONE_EARLIER = "done_earlier"  # a previous run of the same plan finished it (from the journal)
    SKIPPED = "skipped"  # not changed, on purpose (protected, changed since the plan, gone, blocked)
    FAILED = "failed"  # the tenant refused or the answer was lost; retried by a re-run


# With final=True these close an operation: a re-run of the same plan does not touch it again.
TERMINAL = frozenset({Outcome.APPLIED, Outcome.ALREADY_DONE, Outcome.SKIPPED, Outcome.DISABLED_INSTEAD})


class EffectName(Enum):
    """Every kind of write closegate can make (closegate.remediation.effects holds each one's requests)."""

    REVEAL_REPORT_NAMES = "reveal_report_names"
    TURN_OFF_SYNC = "turn_off_sync"
    DELETE_ROLE_ASSIGNMENT = "delete_role_assignment"
    REMOVE_ELIGIBILITY = "remove_eligibility"
    DELETE_USER = "delete_user"
    PURGE_DELETED_ITEM = "purge_deleted_item"
    DISABLE_PER_USER_MFA = "disable_per_user_mfa"
    DISABLE_SECURITY_DEFAULTS = "disable_security_defaults"
    DISABLE_CA_POLICY = "disable_ca_policy"
    DELETE_APPLICATION = "delete_application"
    DELETE_SERVICE_PRINCIPAL = "delete_service_principal"
    DISABLE_SERVICE_PRINCIPAL = "disable_service_principal"
    CANCEL_AZURE_SUBSCRIPTION = "cancel_azure_subscription"
    DELETE_MANAGED_DEVICE = "delete_managed_device"
    DELETE_AUTOPILOT_DEVICE = "delete_autopilot_device"


@dataclass
class ItemReport:
    """What the executor did with one plan item."""

    action_id: str
    planned: int
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)  # why skipped or failed, counted
    note: str = ""  # set when the item was not applied at all, and why

    def count(self, outcome: Outcome, reason: str = "", n: int = 1) -> None:
        self.outcomes[outcome] += n
        if reason:
            self.reasons[reason] += n

    @property
    def changed(self) -> int:
        return self.outcomes[Outcome.APPLIED] + self.outcomes[Outcome.DISABLED_INSTEAD]

    @property
    def already_done(self) -> int:
        return self.outcomes[Outcome.ALREADY_DONE] + self.outcomes[Outcome.DONE_EARLIER]

    @property
    def skipped(self) -> int:
        return self.outcomes[Outcome.SKIPPED]

    @property
    def failed(self) -> int:
        return self.outcomes[Outcome.FAILED]

    @property
    def applied_nothing(self) -> bool:
        """Not applied at all (a requirement unmet, an opt-in not given, a planning error)."""
        return bool(self.note) and not sum(self.outcomes.values())
