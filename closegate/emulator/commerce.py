"""What the Microsoft 365 admin center lets an administrator do to a subscription, by billing type.

Rules (graph-facts §12.6, §4.3, §0):
* Warning is an expired subscription in its grace period: it cannot be cancelled, it lapses.
* Microsoft Customer Agreement: cancellable only within 7 days of purchase or renewal (10 in Chile);
  after that, turn recurring billing off and wait for the term end
  (https://learn.microsoft.com/microsoft-365/commerce/subscriptions/cancel-your-subscription). A disabled
  MCA subscription cannot be deleted; it is deleted at the end of its term (S2 step 4).
* Direct (MOSA) purchases with more than 25 licences must be reduced to 25 before cancelling.
* CSP: the partner who owns it (ownerTenantId, the partner's tenant) cancels it, not the customer.
* A trial without a payment method can only run out (Active 30, Expired 30, Disabled 30 days).
* Free and self-service sign-up products are removed under Entra admin center > Licenses >
  Self-service sign-up products > Delete, "immediate and irrevocable" (S1); they cannot be cancelled.

Scenarios written before these rules set compat `legacyCommerce` and get the old, permissive answers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from closegate.emulator.records import SubscriptionRecord

if TYPE_CHECKING:
    from closegate.emulator.state import TenantState

__all__ = ["BILLING_TYPES", "KINDS", "MCA_CANCEL_WINDOW", "cancel", "delete", "reduce_licenses",
           "turn_off_recurring_billing"]

MCA_CANCEL_WINDOW = timedelta(days=7)
DIRECT_CANCEL_MAX_LICENCES = 25
BILLING_TYPES = ("direct", "mca", "csp")
KINDS = ("paid", "trial", "free", "selfService")


def _refuse(message: str) -> None:
    from closegate.emulator.state import Refused

    raise Refused(message)


def _partner(sub: SubscriptionRecord) -> None:
    if sub.billing == "csp":
        _refuse(f"this subscription is owned by partner tenant {sub.owner_tenant_id}: the partner cancels, "
                "reduces or deletes it in Partner Center")


def _product(sub: SubscriptionRecord) -> None:
    if sub.kind in ("free", "selfService"):
        _refuse("a free or self-service sign-up product cannot be cancelled: delete it under Entra admin center "
                "> Licenses > Self-service sign-up products")


def cancel(state: TenantState, sub: SubscriptionRecord, now: datetime) -> None:
    if sub.status == "Deleted":
        return
    if not state.compat.legacy_commerce:
        if sub.status == "Warning":
            _refuse(f"an expired subscription in its grace period cannot be cancelled; it lapses on "
                    f"{sub.next_lifecycle.isoformat() if sub.next_lifecycle else 'its next lifecycle date'}")
        _partner(sub)
        _product(sub)
        if sub.is_trial:
            _refuse("a trial without a payment method cannot be cancelled; it runs out on its own")
        if sub.status == "Enabled" and sub.billing == "mca" and now > (sub.term_start or sub.created) + MCA_CANCEL_WINDOW:
            _refuse("outside the 7-day cancellation window of a Microsoft Customer Agreement subscription: turn "
                    "recurring billing off; it ends at the end of its term "
                    f"({sub.next_lifecycle.isoformat() if sub.next_lifecycle else 'unknown'})")
        if sub.status == "Enabled" and sub.billing == "direct" and sub.total_licenses > DIRECT_CANCEL_MAX_LICENCES:
            _refuse(f"reduce the subscription to {DIRECT_CANCEL_MAX_LICENCES} licences before cancelling it "
                    f"(it has {sub.total_licenses})")
    state.lifecycle.cancel(sub, now)


def turn_off_recurring_billing(state: TenantState, sub: SubscriptionRecord) -> None:
    _partner(sub)
    _product(sub)
    sub.auto_renew = False


def reduce_licenses(state: TenantState, sub: SubscriptionRecord, licences: int) -> None:
    _partner(sub)
    if licences < 1 or licences > sub.total_licenses:
        _refuse(f"licences can only be reduced, to between 1 and {sub.total_licenses}")
    sub.total_licenses = licences


def delete(state: TenantState, sub: SubscriptionRecord, now: datetime) -> None:
    if not state.compat.legacy_commerce:
        _partner(sub)
        if sub.kind in ("free", "selfService"):
            del state.subscriptions[sub.id]  # S1: immediate and irrevocable
            return
        if sub.billing == "mca":
            _refuse("a disabled Microsoft Customer Agreement subscription cannot be deleted; it is deleted at "
                    "the end of its term")
    state.lifecycle.delete(sub, now)
